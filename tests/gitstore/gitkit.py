"""Helpers for the git store tests: bare repositories in tmp_path and a fixed author.

A test hands the store a :class:`repository.Repository`; it may open the same
repository with pygit2 (:func:`raw`) to build fixtures or inspect what was written.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pygit2

from gitops_ocm.gitstore import repository, writer

AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000)


def git(repo: Path | str, *args: str) -> str:
    """Run git in ``repo`` and return its stdout (raises on failure)."""
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def fsck(repo: Path | str) -> None:
    """Assert that ``git fsck`` finds nothing wrong."""
    done = subprocess.run(
        ["git", "-C", str(repo), "fsck", "--no-dangling"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def fleet(clusters: int = 5, works: int = 3, tag: str = "") -> dict[str, bytes]:
    """A small hub tree: ``clusters/<c>/manifestworks/<w>.yaml``."""
    return {
        f"clusters/c{c}/manifestworks/w{w}.yaml": f"name: w{w}\ncluster: c{c}\n{tag}".encode()
        for c in range(clusters)
        for w in range(works)
    }


def new_bare(tmp_path: Path) -> repository.Repository:
    """Create an empty bare repository in ``tmp_path``."""
    return repository.init(tmp_path / "hub.git")


def raw(repo: repository.Repository) -> pygit2.Repository:
    """Open the same repository with pygit2, for a test to build or inspect objects itself."""
    return pygit2.Repository(repo.path)
