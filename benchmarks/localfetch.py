"""Benchmark: an agent's fetch of ``ocm/hub`` from ``file://``, libgit2 against ``git fetch``.

I/O. ``python benchmarks/localfetch.py [--branches 200] [--history 1 10 30]``.
A bare repository holds ``ocm/hub`` (the hub tree of benchmarks/fleet.py) and
``--branches`` report branches of ``--history`` commits each. Two mirrors fetch
``ocm/hub`` only: one with pygit2's ``Remote.fetch`` (libgit2's local transport,
what ``gitstore.remote`` did for ``file://`` before), one through
``remote.Store.fetch`` (``git fetch``). Then ``ocm/hub`` moves and both fetch it
again; printed: the time of that fetch and the objects each mirror now stores
(`git count-objects`: loose plus in packs, an object in two packs counted twice).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fleet
import pygit2

from gitops_ocm.gitstore import remote, repository, writer

HUB = "+refs/heads/ocm/hub:refs/heads/ocm/hub"


def seed(path: Path, clusters: list[str], history: int) -> repository.Repository:
    """The remote: ocm/hub and one report branch per cluster, ``history`` commits each."""
    repo = repository.init(path)
    writer.publish_tree(repo, "ocm/hub", fleet.hub_tree(clusters, 1), "hub", author=fleet.AUTHOR)
    stream = bytearray()
    for step in range(history):
        for name in clusters:
            lease = f"namespace: {name}\nrenewTime: {step:06d}\n".encode()
            stream += f"commit refs/heads/ocm/reports/{name}\n".encode()
            stream += f"committer agent <a@localhost> {1_700_000_000 + step} +0000\n".encode()
            stream += b"data 6\nreport\n"
            stream += f"M 100644 inline lease.yaml\ndata {len(lease)}\n".encode() + lease + b"\n"
    subprocess.run(["git", "--git-dir", str(path), "fast-import", "--quiet"], input=bytes(stream))
    return repo


def objects_in(path: str) -> int:
    """Objects in a repository, packed and loose."""
    out = subprocess.run(
        ["git", "--git-dir", path, "count-objects", "-v"], capture_output=True, text=True
    ).stdout
    fields = dict(line.split(": ") for line in out.splitlines())
    return int(fields["count"]) + int(fields["in-pack"])


def run(branches: int, history: int, scratch: Path) -> None:
    """Seed, fetch with both, move ocm/hub, fetch again, print."""
    clusters = [f"cluster-{n:05d}" for n in range(branches)]
    origin = scratch / f"h{history}" / "hub.git"
    repo = seed(origin, clusters, history)
    url = f"file://{origin}"
    plain = pygit2.init_repository(str(scratch / f"h{history}" / "libgit2.git"), bare=True)
    plain.remotes.create("origin", url)
    store = remote.open_store(url, scratch / f"h{history}" / "cache")
    plain.remotes["origin"].fetch([HUB])
    store.fetch((HUB,))
    writer.publish_tree(repo, "ocm/hub", fleet.hub_tree(clusters, 2), "hub 2", author=fleet.AUTHOR)
    started = time.perf_counter()
    plain.remotes["origin"].fetch([HUB])
    local = time.perf_counter() - started
    started = time.perf_counter()
    store.fetch((HUB,))
    git = time.perf_counter() - started
    print(
        f"{branches} report branches x {history:3d} commits: fetch after ocm/hub moved "
        f"libgit2 local transport {local * 1000:6.0f} ms, {objects_in(plain.path):6d} objects "
        f"in the mirror; git fetch {git * 1000:5.0f} ms, {objects_in(store.path):6d} objects"
    )


def main() -> None:
    """Parse the arguments and run each history length."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--history", type=int, nargs="+", default=[1, 10, 30])
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="localfetch-", dir="/dev/shm"))
    try:
        for history in args.history:
            run(args.branches, history, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
