"""Test helpers: small fleets written to folders and committed to Git repositories."""

from __future__ import annotations

import functools
import importlib.util
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pygit2

CLUSTER = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: {name}
  labels:
    region: {region}
spec:
  hubAcceptsClient: true
"""


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (path -> text or bytes) below ``root``."""
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return root


def commit_files(repo_path: Path, files: Mapping[str, str | bytes], message: str = "c") -> str:
    """Commit ``files`` as the whole tree of a new commit on main of a (bare) repository."""
    repo = pygit2.Repository(str(repo_path))
    index = pygit2.Index()
    for rel, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        index.add(pygit2.IndexEntry(rel, repo.create_blob(data), pygit2.enums.FileMode.BLOB))
    tree = index.write_tree(repo)
    sig = pygit2.Signature("test", "test@example.com", 1700000000, 0)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    oid = repo.create_commit("refs/heads/main", sig, sig, message, tree, parents)
    return str(oid)


def git(*args: str, cwd: Path) -> str:
    """Run the git CLI and return its output."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@functools.cache
def fleetgen() -> ModuleType:
    """Import benchmarks/fleetgen.py (the synthetic fleet), which lives outside the package."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "fleetgen.py"
    spec = importlib.util.spec_from_file_location("fleetgen", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
