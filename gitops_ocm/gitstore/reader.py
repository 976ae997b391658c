"""Reading trees and blobs of any commit, without a checkout (bare repositories too).

I/O. Walks a commit's tree and yields its entries; blob content is read only when
asked for, so callers with a cache keyed by blob id never read unchanged files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pygit2

from gitops_ocm import errors

_TREE = pygit2.enums.FileMode.TREE
_LINK = pygit2.enums.FileMode.LINK


@dataclasses.dataclass(frozen=True)
class Entry:
    """One file of a tree: its path, blob id and whether it is a symlink."""

    path: str
    blob: str
    symlink: bool


def open_repository(path: str) -> pygit2.Repository:
    """Open a repository (bare or not) at ``path``."""
    try:
        return pygit2.Repository(path)
    except (pygit2.GitError, KeyError, ValueError) as exc:
        raise errors.InvalidInput(f"not a Git repository: {path}") from exc


def resolve(repo: pygit2.Repository, rev: str) -> pygit2.Commit:
    """Resolve a revision (branch, tag, sha, ``HEAD~1``) to a commit."""
    try:
        obj = repo.revparse_single(rev)
        commit = obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise errors.InvalidInput(f"unknown revision {rev!r}") from exc
    return commit


def walk(repo: pygit2.Repository, tree: pygit2.Tree, prefix: str = "") -> Iterator[Entry]:
    """Yield every file of ``tree`` (recursively), in Git's name order."""
    for item in tree:
        name = item.name or ""
        path = f"{prefix}{name}"
        if item.filemode == _TREE:
            sub = repo[item.id]
            assert isinstance(sub, pygit2.Tree)
            yield from walk(repo, sub, path + "/")
        elif item.type_str == "blob":
            yield Entry(path, str(item.id), item.filemode == _LINK)


def read_blob(repo: pygit2.Repository, blob: str) -> bytes:
    """Return the content of a blob."""
    obj = repo[blob]
    assert isinstance(obj, pygit2.Blob)
    return bytes(obj.data)


def read_path(repo: pygit2.Repository, tree: pygit2.Tree, path: str) -> bytes | None:
    """Return the content of the file at ``path`` in ``tree``, or None if absent."""
    try:
        item = tree[path]
    except KeyError:
        return None
    if item.type_str != "blob":
        return None
    return read_blob(repo, str(item.id))
