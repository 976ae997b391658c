"""Signed commits: every publish signs with the author's key, and stock git verifies it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keykit
import pygit2
import pytest
from gitkit import AUTHOR, fleet, new_bare, raw

from gitops_ocm import errors
from gitops_ocm.gitstore import reader, refs, writer
from gitops_ocm.trust import failure, signers, sshsig

SOURCE = {"Source-Commit": "1" * 40}
SIG = pygit2.Signature("t", "t@example.com", 1_700_000_000, 0)


def test_every_publish_is_signed_and_git_verifies_it(tmp_path: Path) -> None:
    """Every publishing function signs; git verify-commit accepts that key and refuses another."""
    bare = new_bare(tmp_path)
    signer = keykit.signer()
    author = dataclasses.replace(AUTHOR, signer=signer)
    first = writer.publish_tree(bare, "ocm/hub", fleet(), "hub: one", SOURCE, author=author)
    second = writer.publish_changes(
        bare, "ocm/hub", {"extra.yaml": b"a: 1\n"}, "hub: two", SOURCE, author=author
    )
    third = writer.graft(bare, "ocm/status", {"hub": second.tree}, {}, "status", author=author)
    ours = signers.render({"hub": [signer.public_key]})
    theirs = signers.render({"hub": [keykit.public(keykit.OTHER_SEED)]})
    for result in (first, second, third):
        good = keykit.verify_commit(bare.path, result.commit, ours)
        assert good.returncode == 0, good.stderr
        assert "signature for hub" in good.stderr
        assert keykit.verify_commit(bare.path, result.commit, theirs).returncode != 0
        parts = reader.signed_parts(bare, result.commit)
        assert parts.signature is not None
        assert sshsig.verify(parts.signature, parts.payload) == signer.public_key


def test_unsigned_author_writes_unsigned_commits(tmp_path: Path) -> None:
    """Without a signer the commit has no signature, and the tree is the same as a signed one's."""
    bare = new_bare(tmp_path)
    plain = writer.publish_tree(bare, "a", fleet(), "m", SOURCE, author=AUTHOR)
    signed_author = dataclasses.replace(AUTHOR, signer=keykit.signer())
    signed = writer.publish_tree(bare, "b", fleet(), "m", SOURCE, author=signed_author)
    assert reader.signed_parts(bare, plain.commit).signature is None
    assert plain.tree == signed.tree and plain.commit != signed.commit
    assert (
        refs.read_tip(bare, refs.branch_ref("b")).message
        == refs.read_tip(bare, refs.branch_ref("a")).message
    )


def test_signed_parts_refuses_what_is_not_a_commit(tmp_path: Path) -> None:
    """A tree id is refused with T611, an unknown id with NotFound."""
    bare = new_bare(tmp_path)
    done = writer.publish_tree(bare, "a", fleet(), "m", SOURCE, author=AUTHOR)
    with pytest.raises(failure.TrustError) as caught:
        reader.signed_parts(bare, done.tree)
    assert caught.value.code == failure.COMMIT
    with pytest.raises(errors.NotFound):
        reader.signed_parts(bare, "0" * 40)


def test_signed_parts_refuses_an_oversized_commit(tmp_path: Path) -> None:
    """A commit object over the bound is refused before it is read whole."""
    bare = new_bare(tmp_path)
    git = raw(bare)
    tree = git.TreeBuilder().write()
    big = git.create_commit(None, SIG, SIG, "x" * (2 << 20), tree, [])
    with pytest.raises(failure.TrustError, match="at most"):
        reader.signed_parts(bare, str(big))


def test_descends_from(tmp_path: Path) -> None:
    """A commit descends from itself and its parents, not from a later or unrelated commit."""
    bare = new_bare(tmp_path)
    one = writer.publish_tree(bare, "a", fleet(), "1", author=AUTHOR)
    two = writer.publish_changes(bare, "a", {"x.yaml": b"x: 1\n"}, "2", author=AUTHOR)
    other = writer.publish_tree(bare, "b", {"y.yaml": b"y: 1\n"}, "3", author=AUTHOR)
    assert reader.descends_from(bare, two.commit, one.commit)
    assert reader.descends_from(bare, one.commit, one.commit)
    assert not reader.descends_from(bare, one.commit, two.commit)
    assert not reader.descends_from(bare, other.commit, one.commit)
    assert not reader.descends_from(bare, "f" * 40, one.commit)
