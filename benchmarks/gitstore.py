"""Benchmark of the git store's writer: cold, incremental, no-change publishes and grafts.

I/O. Run with ``python benchmarks/gitstore.py``; repositories go under /dev/shm
when it exists (the disk is noisy for many small files), and are removed after.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from gitops_ocm.gitstore import repository, writer

T = TypeVar("T")
AUTHOR = writer.Author(when=1_700_000_000)


def fleet(files: int, tag: str = "") -> dict[str, bytes]:
    """``files`` small YAML files, 10 per cluster folder."""
    return {
        f"clusters/cluster-{n // 10:05d}/manifestworks/work-{n % 10}.yaml": (
            f"apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\n"
            f"metadata:\n  name: work-{n % 10}\n  namespace: cluster-{n // 10:05d}\n{tag}"
        ).encode()
        for n in range(files)
    }


@contextlib.contextmanager
def scratch() -> Iterator[repository.Repository]:
    """A bare repository in a temporary folder (tmpfs if available)."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    path = tempfile.mkdtemp(prefix="gitstore-bench-", dir=base)
    try:
        yield repository.init(path)
    finally:
        shutil.rmtree(path)


def timed(label: str, fn: Callable[[], T]) -> T:
    """Run ``fn``, print how long it took, and return its result."""
    started = time.perf_counter()
    result = fn()
    print(f"{label:<55} {1000 * (time.perf_counter() - started):9.1f} ms")
    return result


def main() -> None:
    """Print the timings."""
    bench_cold(10_000)
    bench_cold(100_000, then=bench_incremental)
    with scratch() as repo:
        bench_graft(repo, 10_000)


def bench_cold(
    size: int, then: Callable[[repository.Repository, dict[str, bytes]], None] | None = None
) -> None:
    """Publish ``size`` files into an empty branch, then run ``then`` on that repository."""
    files = fleet(size)
    with scratch() as repo:
        label = f"cold publish_tree, {size:,} files"
        timed(label, lambda: writer.publish_tree(repo, "hub", files, "cold", author=AUTHOR))
        if then is not None:
            then(repo, files)


def bench_incremental(repo: repository.Repository, files: dict[str, bytes]) -> None:
    """Ten changed files into the big tree, both ways, and a no-change publish."""
    changes: dict[str, bytes | None] = {p: b"changed\n" for p in list(files)[::10_000]}
    timed(
        "publish_changes, 10 changed of 100,000",
        lambda: writer.publish_changes(repo, "hub", changes, "inc"),
    )
    files.update({p: b"again\n" for p in changes})
    timed(
        "publish_tree (full tree), 10 changed of 100,000",
        lambda: writer.publish_tree(repo, "hub", files, "inc2"),
    )
    timed(
        "publish_tree, no change (100,000 files)",
        lambda: writer.publish_tree(repo, "hub", files, "none"),
    )
    timed(
        "publish_changes, no change",
        lambda: writer.publish_changes(repo, "hub", {p: b"again\n" for p in changes}, "none"),
    )


def bench_graft(repo: repository.Repository, clusters: int) -> None:
    """Fold ``clusters`` report branches into a status branch."""
    trees = {}
    for n in range(clusters):
        report = {"cluster.yaml": f"name: c{n}\n".encode(), "lease.yaml": f"renew: {n}\n".encode()}
        trees[f"clusters/c{n:05d}"] = writer.publish_tree(
            repo, f"reports/c{n:05d}", report, "r"
        ).tree
    extra = {"README.md": b"# fleet\n", "controller.yaml": b"ok: true\n"}
    timed(
        f"graft {clusters:,} subtrees into status",
        lambda: writer.graft(repo, "status", trees, extra, "fold"),
    )
    extra["README.md"] = b"# fleet 2\n"
    timed(
        f"graft {clusters:,} subtrees, README changed",
        lambda: writer.graft(repo, "status", trees, extra, "fold"),
    )


if __name__ == "__main__":
    main()
