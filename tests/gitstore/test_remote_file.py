"""Fetching from a file:// URL: only the asked refs' objects arrive, as from a real server."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest
from gitkit import AUTHOR, fleet

from gitops_ocm import errors
from gitops_ocm.gitstore import objects, refs, remote, repository, writer

HUB = "+refs/heads/ocm/hub:refs/heads/ocm/hub"


@pytest.fixture
def origin(tmp_path: Path) -> repository.Repository:
    """A bare repository with ocm/hub and one report branch."""
    repo = repository.init(tmp_path / "hub.git")
    writer.publish_tree(repo, "ocm/hub", fleet(clusters=2), "seed", author=AUTHOR)
    writer.publish_tree(repo, "ocm/reports/c9", {"a.yaml": b"one\n"}, "r1", author=AUTHOR)
    return repo


def _has(store: remote.Store, data: bytes) -> bool:
    """Whether the mirror's object database holds the blob of ``data``."""
    return objects.blob_id(data).hex() in pygit2.Repository(store.path)


def test_fetch_brings_only_the_asked_refs_objects(
    origin: repository.Repository, tmp_path: Path
) -> None:
    """Another branch's new objects stay on the remote when only ocm/hub is fetched.

    libgit2's local transport sent the objects of every ref the mirror's refs do
    not reach, which made a fleet's passes over file:// grow with the fleet.
    """
    store = remote.open_store(f"file://{origin.path}", tmp_path / "cache")
    store.fetch((HUB,))
    writer.publish_tree(origin, "ocm/reports/c9", {"a.yaml": b"two\n"}, "r2", author=AUTHOR)
    hub = fleet(clusters=2) | {"new.yaml": b"hub two\n"}
    writer.publish_tree(origin, "ocm/hub", hub, "hub 2", author=AUTHOR)
    store.fetch((HUB,))
    assert refs.read_tip(store.repo, "refs/heads/ocm/hub").id == (
        refs.read_tip(origin, "refs/heads/ocm/hub").id
    )
    assert _has(store, b"hub two\n")
    assert not _has(store, b"one\n") and not _has(store, b"two\n")


def test_fetch_skips_an_asked_ref_the_remote_lacks(
    origin: repository.Repository, tmp_path: Path
) -> None:
    """An asked branch that does not exist yet is skipped, as libgit2 does, not an error."""
    store = remote.open_store(f"file://{origin.path}", tmp_path / "cache")
    missing = "+refs/heads/ocm/reports/new:refs/remotes/origin/ocm/reports/new"
    store.fetch((HUB, missing))
    assert refs.read_tip(store.repo, "refs/heads/ocm/hub").id is not None
    assert refs.read_tip(store.repo, "refs/remotes/origin/ocm/reports/new").id is None


def test_fetch_ignores_a_hooks_git_dir(
    origin: repository.Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIT_DIR and quarantine variables of a calling hook do not redirect the fetch."""
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere.git"))
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(tmp_path / "elsewhere-objects"))
    store = remote.open_store(f"file://{origin.path}", tmp_path / "cache")
    store.fetch((HUB,))
    assert refs.read_tip(store.repo, "refs/heads/ocm/hub").id is not None


def test_whole_mirror_prunes_deleted_branches(
    origin: repository.Repository, tmp_path: Path
) -> None:
    """The default refspec keeps the mirror exact: a branch deleted on the remote goes."""
    store = remote.open_store(f"file://{origin.path}", tmp_path / "cache")
    store.fetch()
    assert refs.read_tip(store.repo, "refs/heads/ocm/reports/c9").id is not None
    pygit2.Repository(origin.path).references.delete("refs/heads/ocm/reports/c9")
    store.fetch()
    assert refs.read_tip(store.repo, "refs/heads/ocm/reports/c9").id is None


def test_missing_remote_is_transient(tmp_path: Path) -> None:
    """A file:// URL with no repository behind it is a transient failure naming the URL."""
    store = remote.open_store(f"file://{tmp_path / 'none.git'}", tmp_path / "cache")
    with pytest.raises(errors.Transient, match=r"none\.git"):
        store.fetch((HUB,))
