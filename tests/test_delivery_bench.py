"""The pure helpers of the delivery benchmark (benchmarks/delivery.py): /proc stat, pkt-lines."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _load() -> ModuleType:
    """Import benchmarks/delivery.py, which lives outside the package."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "delivery.py"
    spec = importlib.util.spec_from_file_location("delivery", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["delivery"] = module  # its dataclasses look their module up
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved  # it puts benchmarks/ first, whose hub.py and fold.py would shadow
    return module


delivery = _load()


def _pkt(text: bytes) -> bytes:
    return b"%04x" % (len(text) + 4) + text


@pytest.mark.parametrize(
    ("line", "ticks"),
    [
        pytest.param("42 (git) S 1 42 42 0 -1 4194560 5 0 0 0 7 3 11 13 20 0 1 0", 34, id="plain"),
        pytest.param("7 (a b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0", 10, id="odd-name"),
    ],
)
def test_stat_cpu_ticks(line: str, ticks: int) -> None:
    """utime + stime + cutime + cstime are read after the last ')' of the command name."""
    assert delivery.stat_cpu_ticks(line) == ticks


def test_stat_cpu_ticks_of_this_process() -> None:
    """Our own /proc stat line parses to a non-negative tick count."""
    with open(f"/proc/{os.getpid()}/stat") as handle:
        assert delivery.stat_cpu_ticks(handle.read()) >= 0


def test_advertised_refs_daemon() -> None:
    """A v0 advertisement over git:// counts each ref line up to the flush."""
    data = (
        _pkt(b"1" * 40 + b" refs/heads/main\0multi_ack side-band-64k\n")
        + _pkt(b"2" * 40 + b" refs/heads/ocm/hub\n")
        + b"0000"
        + _pkt(b"3" * 40 + b" refs/heads/after-the-flush\n")
    )
    assert delivery.advertised_refs(data) == 2


def test_advertised_refs_http() -> None:
    """Over smart HTTP the service header and its flush come first and are not refs."""
    data = (
        _pkt(b"# service=git-upload-pack\n")
        + b"0000"
        + _pkt(b"1" * 40 + b" refs/heads/main\0agent=git\n")
        + b"0000"
    )
    assert delivery.advertised_refs(data) == 1


def test_advertised_refs_empty_repository() -> None:
    """An empty repository advertises only capabilities, which is no ref."""
    data = _pkt(b"0" * 40 + b" capabilities^{}\0report-status\n") + b"0000"
    assert delivery.advertised_refs(data) == 0


def test_advertised_refs_of_a_real_daemon(tmp_path: Path) -> None:
    """The probe's parser counts what git upload-pack really advertises."""
    repo = tmp_path / "r.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    tree = subprocess.run(
        ["git", "--git-dir", str(repo), "mktree"], input=b"", capture_output=True, check=True
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "--git-dir", str(repo), "-c", "user.name=a", "-c", "user.email=a@b",
         "commit-tree", "-m", "x", tree.decode()],
        capture_output=True, check=True,
    ).stdout.strip().decode()  # fmt: skip
    for name in ("ocm/hub", "ocm/reports/c1", "ocm/reports/c2"):
        subprocess.run(["git", "--git-dir", str(repo), "update-ref", f"refs/heads/{name}", commit])
    done = subprocess.run(
        ["git", "upload-pack", "--advertise-refs", str(repo)], capture_output=True, check=True
    )
    assert delivery.advertised_refs(done.stdout) == 3


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        pytest.param([3.0, 1.0, 2.0, 4.0], 0.5, 2.0, id="median-low"),
        pytest.param([float(i) for i in range(1, 101)], 0.99, 99.0, id="p99"),
        pytest.param([5.0, 1.0], 1.0, 5.0, id="max"),
    ],
)
def test_percentile(values: list[float], fraction: float, expected: float) -> None:
    """The percentile is the smallest value with at least that fraction at or below it."""
    assert delivery.percentile(values, fraction) == expected


def test_touched_clusters_spread() -> None:
    """The touched clusters are spread over the fleet, distinct, and shifted by ``shift``."""
    clusters = [f"c{i}" for i in range(1000)]
    first = delivery.touched_clusters(clusters, 100, 0)
    second = delivery.touched_clusters(clusters, 100, 1)
    assert len(set(first)) == 100
    assert first[:2] == ["c0", "c10"]
    assert not set(first) & set(second)
