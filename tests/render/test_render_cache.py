"""A render cache kept across passes changes speed, never output."""

from __future__ import annotations

import datetime
from pathlib import Path

import repokit

from gitops_ocm import source
from gitops_ocm.model import rendercache
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.placement import inventory
from gitops_ocm.render import hub

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)


def _pass(
    snap: Snapshot, status: dict[str, bytes], previous: dict[str, bytes], cache: object
) -> dict[str, bytes]:
    """One controller-like pass: inventory, then render against the previous tree."""
    typed = cache if isinstance(cache, rendercache.RenderCache) else None
    if typed is not None:
        typed.next_pass()
    infos = inventory.build(snap, status, NOW, previous)
    return hub.render(snap, infos, previous, NOW, cache=typed).files


def test_cached_passes_equal_uncached_passes(tmp_path: Path) -> None:
    """Three passes, each reading the last one's tree, give the same files with or without cache."""
    fleetgen = repokit.fleetgen()
    fleetgen.generate(tmp_path / "fleet", clusters=300, placements=40, mwrs=30, policies=20)
    snap = source.load_directory(tmp_path / "fleet")
    status = hub.assume_available(snap, NOW)
    cache = rendercache.RenderCache()
    plain: dict[str, bytes] = {}
    cached: dict[str, bytes] = {}
    for _ in range(3):
        plain = _pass(snap, status, plain, None)
        cached = _pass(snap, status, cached, cache)
        assert cached == plain
    assert any(p.startswith("placements/") for p in plain)
    assert any("/policies/" in p for p in plain)
