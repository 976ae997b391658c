"""An open Git repository, as the rest of gitops-ocm holds it.

I/O (opening a repository). Code outside the git store passes a
:class:`Repository` to the store's functions and learns only its path: the
pygit2 object it wraps never leaves this package. The store's modules reach
that object as ``repo._pygit2``, the one accessor for it; no other package
may use it (``tests/gitstore/test_exposure.py`` checks both).
"""

from __future__ import annotations

import os

import pygit2

from gitops_ocm import errors


class Repository:
    """An open repository (bare or not); ``path`` is its Git folder."""

    __slots__ = ("_pygit2",)

    _pygit2: pygit2.Repository

    @property
    def path(self) -> str:
        """The repository's Git folder (``.git`` or the bare repository), ending in a slash."""
        return str(self._pygit2.path)

    def __repr__(self) -> str:
        return f"Repository({self.path!r})"


def _wrap(raw: pygit2.Repository) -> Repository:
    """Hold an opened pygit2 repository as a :class:`Repository` (this package only)."""
    repo = Repository.__new__(Repository)
    repo._pygit2 = raw
    return repo


def open(path: str | os.PathLike[str]) -> Repository:
    """Open the repository (bare or not) at ``path``; NotFound if there is none."""
    try:
        return _wrap(pygit2.Repository(os.fspath(path)))
    except (pygit2.GitError, KeyError, ValueError) as exc:
        raise errors.NotFound(f"not a Git repository: {os.fspath(path)}") from exc


def open_from_env() -> Repository:
    """Open the repository named by ``GIT_DIR`` and friends, as Git hooks see it.

    A pre-receive hook runs while the pushed objects are in quarantine
    (``GIT_QUARANTINE_PATH``); only ``RepositoryOpenFlag.FROM_ENV`` makes libgit2
    honour ``GIT_OBJECT_DIRECTORY`` and ``GIT_ALTERNATE_OBJECT_DIRECTORIES``, so
    the pushed commit is visible.
    """
    path = os.environ.get("GIT_DIR", ".")
    try:
        return _wrap(pygit2.Repository(path, pygit2.enums.RepositoryOpenFlag.FROM_ENV))
    except (pygit2.GitError, KeyError, ValueError) as exc:
        raise errors.NotFound(f"not a Git repository: {path}") from exc


def init(path: str | os.PathLike[str], *, bare: bool = True) -> Repository:
    """Create a repository at ``path`` (an existing one is opened as is)."""
    try:
        return _wrap(pygit2.init_repository(os.fspath(path), bare=bare))
    except (pygit2.GitError, OSError) as exc:
        where = os.fspath(path)
        raise errors.GitopsOcmError(f"cannot create a repository at {where}: {exc}") from exc
