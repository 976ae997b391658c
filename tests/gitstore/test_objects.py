"""Tree hashing and editing in Python agree with libgit2."""

from __future__ import annotations

from pathlib import Path

import pygit2
import pytest
from gitkit import new_bare, raw

from gitops_ocm import errors
from gitops_ocm.gitstore import objects


def _leaves(files: dict[str, bytes]) -> dict[str, objects.Leaf]:
    return {p: objects.Leaf(objects.MODE_BLOB, objects.blob_id(d)) for p, d in files.items()}


def _libgit2_tree(repo: pygit2.Repository, files: dict[str, bytes]) -> str:
    index = pygit2.Index()
    for path, data in files.items():
        index.add(pygit2.IndexEntry(path, repo.create_blob(data), pygit2.enums.FileMode.BLOB))
    return str(index.write_tree(repo))


def test_blob_id_matches_libgit2() -> None:
    """A blob id is the one libgit2 computes."""
    for data in (b"", b"a\n", bytes(range(256)) * 300):
        assert objects.blob_id(data).hex() == str(pygit2.hash(data))


def test_tree_id_matches_libgit2(tmp_path: Path) -> None:
    """Nested trees sort and hash exactly as Git's (folders sort as 'name/')."""
    bare = raw(new_bare(tmp_path))
    files = {"a.b": b"1", "a/x": b"2", "a-b/c": b"3", "ab": b"4", "z/y/x/w": b"5", "é.yaml": b"6"}
    assert objects.hash_tree(objects.build(_leaves(files))).hex() == _libgit2_tree(bare, files)


def test_empty_tree_id() -> None:
    """The empty tree has Git's well-known id."""
    assert objects.hash_tree(objects.Tree()).hex() == "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@pytest.mark.parametrize("path", ["", "/a", "a//b", "a/../b", "./a", ".git/config", "a/"])
def test_invalid_paths_rejected(path: str) -> None:
    """Paths Git cannot store are invalid input."""
    with pytest.raises(errors.InvalidInput):
        objects.build(_leaves({path: b"x"}))


def test_file_and_folder_clash_rejected() -> None:
    """A path that is both a file and a folder is invalid input."""
    with pytest.raises(errors.InvalidInput, match="both a file and a folder"):
        objects.build(_leaves({"a": b"1", "a/b": b"2"}))


def test_edit_matches_rebuild(tmp_path: Path) -> None:
    """Editing a tree (set, replace, delete file and folder) equals building the result anew."""
    bare = raw(new_bare(tmp_path))
    base = {"a/x": b"1", "a/y": b"2", "b/c/d": b"3", "e": b"4"}
    root = objects.build(_leaves(base))
    objects.hash_tree(root)
    changes = {"a/x": b"9", "b/c": None, "new/f": b"5", "e": None, "missing/q": None}
    leaves = {p: None if d is None else _leaves({p: d})[p] for p, d in changes.items()}
    objects.edit(root, leaves, lambda oid: pytest.fail("nothing to load"))
    expected = {"a/x": b"9", "a/y": b"2", "new/f": b"5"}
    assert objects.hash_tree(root).hex() == _libgit2_tree(bare, expected)
