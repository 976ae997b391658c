"""Concurrent writers and killed writers: CAS keeps every commit and the ref always complete."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

from gitkit import fleet, fsck, git, new_bare

from gitops_ocm.gitstore import refs, repository, writer

_FORK = multiprocessing.get_context("fork")


def _writer_loop(path: str, who: str, count: int) -> None:
    """Publish ``count`` commits, each adding one file, retrying lost races."""
    repo = repository.open(path)
    for n in range(count):

        def add(tip: object, n: int = n) -> dict[str, bytes]:
            files = {} if tip is None else tip.read_all()  # type: ignore[attr-defined]
            files[f"{who}/{n}"] = b"x\n"
            return files

        writer.publish_with_retry(repo, "ocm/hub", add, f"{who} {n}", sleep=time.sleep)


def test_two_processes_race_without_loss(tmp_path: Path) -> None:
    """Two processes publishing 15 commits each: 30 commits, linear, nothing lost, fsck clean."""
    bare = new_bare(tmp_path)
    procs = [_FORK.Process(target=_writer_loop, args=(bare.path, w, 15)) for w in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    assert git(bare.path, "rev-list", "--count", "ocm/hub").strip() == "30"
    assert git(bare.path, "rev-list", "--merges", "ocm/hub").strip() == ""
    files = git(bare.path, "ls-tree", "-r", "--name-only", "ocm/hub").split()
    assert sorted(files) == sorted(f"{w}/{n}" for w in "ab" for n in range(15))
    fsck(bare.path)


def _publish_forever(path: str) -> None:
    repo = repository.open(path)
    n = 0
    while True:
        n += 1
        writer.publish_with_retry(repo, "ocm/hub", fleet(clusters=8, tag=f"n: {n}\n"), f"{n}")


def test_sigkill_leaves_a_complete_commit(tmp_path: Path) -> None:
    """Killing a publisher at random moments 20 times never leaves a broken ref or tree."""
    bare = new_bare(tmp_path)
    expected = sorted(fleet(clusters=8))
    writer.publish_tree(bare, "ocm/hub", fleet(clusters=8), "seed")
    rng = random.Random(4)
    for _ in range(20):
        proc = _FORK.Process(target=_publish_forever, args=(bare.path,))
        proc.start()
        time.sleep(rng.uniform(0.01, 0.08))
        os.kill(proc.pid or 0, signal.SIGKILL)
        proc.join()
        refs.clear_stale_lock(bare, "refs/heads/ocm/hub", older_than=0.0)
        git(bare.path, "fsck", "--connectivity-only")
        assert sorted(git(bare.path, "ls-tree", "-r", "--name-only", "ocm/hub").split()) == expected
    recovered = writer.publish_tree(bare, "ocm/hub", {"after": b"kill\n"}, "recovered")
    assert recovered.created
    fsck(bare.path)
    leftovers = list(Path(bare.path).rglob("*.lock"))
    assert leftovers == []
