"""Reading a branch tip and moving it only by compare-and-swap.

I/O. The ref is locked (Git's ``.lock`` file), compared with the tip we read
and only then moved, so a swap either moves the ref from exactly that tip or
fails; a failure becomes :class:`errors.RefConflict` and the caller re-reads and
retries. Refs are never
force-updated. A process killed while holding a ref's ``.lock`` leaves the file
behind, which blocks every later writer; :func:`clear_stale_lock` removes such a
lock once it is older than any live writer holds one (writers hold it for
microseconds).
"""

from __future__ import annotations

import dataclasses
import os
import time

import pygit2

from gitops_ocm import errors
from gitops_ocm.gitstore import repository

STALE_LOCK_SECONDS = 10.0
"""A ref lock older than this is taken to be left by a killed process."""


@dataclasses.dataclass(frozen=True)
class Tip:
    """A branch as read: its commit id, tree id and message (None, None, "" if absent).

    Plain values: :func:`swap` compares the ref's value under its lock with ``id``.
    """

    name: str
    id: str | None
    tree: str | None = None
    message: str = ""


def branch_ref(branch: str) -> str:
    """Return ``refs/heads/<branch>``, rejecting names Git would refuse."""
    name = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    if not pygit2.reference_is_valid_name(name):
        raise errors.InvalidInput(f"invalid branch name {branch!r}")
    return name


def read_tip(repo: repository.Repository, name: str) -> Tip:
    """Read the ref ``name`` and the commit it points to."""
    git = repo._pygit2
    ref = git.references.get(name)
    if ref is None:
        return Tip(name, None)
    commit = git[ref.target]
    if not isinstance(commit, pygit2.Commit):
        raise errors.InvalidInput(f"{name} does not point to a commit")
    return Tip(name, str(commit.id), str(commit.tree_id), str(commit.message))


def descends(repo: repository.Repository, tip: Tip, ancestor: Tip) -> bool:
    """Whether ``tip``'s commit descends from ``ancestor``'s (False when either is absent)."""
    if tip.id is None or ancestor.id is None:
        return False
    return bool(repo._pygit2.descendant_of(tip.id, ancestor.id))


def swap(repo: repository.Repository, tip: Tip, new: str | None, log_message: str) -> None:
    """Move ``tip.name`` from the tip as read to ``new`` (an id; None deletes it), or raise
    RefConflict.

    The ref is locked, its current value compared with the tip as read (absent
    included), and only then written: a compare-and-swap under Git's own lock.
    """
    git = repo._pygit2
    target = None if new is None else pygit2.Oid(hex=new)
    try:
        with git.transaction() as tx:
            tx.lock_ref(tip.name)
            current = git.references.get(tip.name)
            if (None if current is None else str(current.target)) != tip.id:
                raise errors.RefConflict(f"{tip.name} moved while publishing")
            if target is None:
                tx.remove(tip.name)
            else:
                tx.set_target(tip.name, target, message=log_message)
    except (pygit2.GitError, OSError, ValueError) as exc:
        if "lock" in str(exc):
            clear_stale_lock(repo, tip.name)
        raise errors.RefConflict(f"{tip.name} could not be updated: {exc}") from exc


def lock_path(repo: repository.Repository, name: str) -> str:
    """Return the path of the lock file libgit2 and git use for the ref ``name``."""
    return os.path.join(repo.path, name + ".lock")


def clear_stale_lock(
    repo: repository.Repository, name: str, older_than: float = STALE_LOCK_SECONDS
) -> bool:
    """Remove the ref's lock file if it is older than ``older_than`` seconds."""
    path = lock_path(repo, name)
    try:
        age = time.time() - os.stat(path).st_mtime
        if age < older_than:
            return False
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
