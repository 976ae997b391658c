"""Helpers for the controller tests: a fleet repository with commits on main."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import pygit2

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "repo"
NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SIG = pygit2.Signature("test", "test@example.com", 1_700_000_000, 0)
CONFIG_FILE = ".gitops-ocm.yaml"
OPEN_CONFIG = b"registration: open\n"


def example_files() -> dict[str, bytes]:
    """Return the example fleet's files by relative path."""
    return {
        p.relative_to(EXAMPLES).as_posix(): p.read_bytes() for p in sorted(EXAMPLES.rglob("*.yaml"))
    }


def new_fleet(tmp_path: Path, files: dict[str, bytes] | None = None) -> Path:
    """Create a bare repository whose main holds ``files`` (default: the example fleet)."""
    path = tmp_path / "fleet.git"
    pygit2.init_repository(str(path), bare=True, initial_head="main")
    commit(path, files if files is not None else example_files(), "initial fleet")
    return path


def commit(repo_path: Path, files: dict[str, bytes], message: str) -> str:
    """Commit ``files`` as the whole tree of main, with ``registration: open`` unless configured.

    The fleets here have no agent keys: open registration publishes them as
    before; tests about trust commit their own ``.gitops-ocm.yaml``.
    """
    repo = pygit2.Repository(str(repo_path))
    index = pygit2.Index()
    for rel, data in {CONFIG_FILE: OPEN_CONFIG, **files}.items():
        index.add(pygit2.IndexEntry(rel, repo.create_blob(data), pygit2.enums.FileMode.BLOB))
    tree = index.write_tree(repo)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    return str(repo.create_commit("refs/heads/main", SIG, SIG, message, tree, parents))


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` and return stdout."""
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def hub_files(repo: Path, rev: str = "ocm/hub") -> dict[str, bytes]:
    """Return every file of a hub commit."""
    names = git(repo, "ls-tree", "-r", "--name-only", rev).split()
    return {
        n: subprocess.run(
            ["git", "-C", str(repo), "show", f"{rev}:{n}"], capture_output=True, check=True
        ).stdout
        for n in names
    }


def trailer(repo: Path, rev: str) -> str:
    """Return the Source-Commit trailer of a commit."""
    return git(repo, "log", "-1", "--format=%(trailers:key=Source-Commit,valueonly)", rev).strip()
