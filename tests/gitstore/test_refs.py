"""What the git store exposes of commits and branch tips: ids, messages, ancestry, the path."""

from __future__ import annotations

from pathlib import Path

import pytest
from gitkit import AUTHOR, new_bare, raw

from gitops_ocm import errors
from gitops_ocm.gitstore import reader, refs, remote, repository, writer

BRANCH = "refs/heads/ocm/status"


def _two_tips(tmp_path: Path) -> tuple[repository.Repository, refs.Tip, refs.Tip]:
    """A repository whose status branch got two commits, and its tip after each."""
    bare = new_bare(tmp_path)
    writer.publish_tree(bare, "ocm/status", {"a": b"1"}, "one", author=AUTHOR)
    first = refs.read_tip(bare, BRANCH)
    writer.publish_tree(bare, "ocm/status", {"a": b"2"}, "two", author=AUTHOR)
    return bare, first, refs.read_tip(bare, BRANCH)


def test_tip_reads_id_and_message_and_absent_branch(tmp_path: Path) -> None:
    """A tip gives its commit id and message as strings; an absent branch gives None and ""."""
    bare = new_bare(tmp_path)
    assert (refs.read_tip(bare, BRANCH).id, refs.read_tip(bare, BRANCH).message) == (None, "")
    result = writer.publish_tree(bare, "ocm/status", {"a": b"1"}, "status: one", author=AUTHOR)
    tip = refs.read_tip(bare, BRANCH)
    assert tip.id == result.commit
    assert tip.message.startswith("status: one")


def test_descends_follows_ancestry_and_absent_tips(tmp_path: Path) -> None:
    """A later tip descends from an earlier one, not the reverse; nothing descends from absence."""
    bare, first, second = _two_tips(tmp_path)
    absent = refs.read_tip(bare, "refs/heads/nothing")
    assert refs.descends(bare, second, first)
    assert not refs.descends(bare, first, second)
    assert not refs.descends(bare, absent, first) and not refs.descends(bare, second, absent)


def test_swap_moves_a_ref_to_a_commit_given_by_its_hex_id(tmp_path: Path) -> None:
    """swap accepts the string id callers hold, and moves the ref from the tip as read."""
    bare, first, second = _two_tips(tmp_path)
    assert first.id is not None
    refs.swap(bare, second, first.id, "back")
    assert refs.read_tip(bare, BRANCH).id == first.id


def test_store_path_is_the_repository_folder(tmp_path: Path) -> None:
    """A local store's path is its repository's folder, as Git names it."""
    bare = new_bare(tmp_path)
    assert remote.Store(str(tmp_path / "hub.git")).path == bare.path


def test_commit_info_gives_plain_values(tmp_path: Path) -> None:
    """commit_info resolves a revision to its commit's id, tree id, time and message as values."""
    bare = new_bare(tmp_path)
    result = writer.publish_tree(bare, "ocm/status", {"a": b"1"}, "status: one", author=AUTHOR)
    info = reader.commit_info(bare, "ocm/status")
    commit = raw(bare)[result.commit]
    assert info == reader.CommitInfo(
        result.commit, str(commit.tree_id), AUTHOR.when, str(commit.message)
    )
    assert info.message.startswith("status: one")


def test_swap_from_an_absent_tip_refuses_a_branch_created_since(tmp_path: Path) -> None:
    """A tip read while the branch was absent cannot create it once someone else has."""
    bare, first, second = _two_tips(tmp_path)
    absent = refs.Tip(BRANCH, None)
    assert first.id is not None
    with pytest.raises(errors.RefConflict):
        refs.swap(bare, absent, first.id, "create")
    assert refs.read_tip(bare, BRANCH) == second
