"""Placement rollups from sets, and their files written by joining lines, equal the plain forms."""

from __future__ import annotations

import random

import pytest

from gitops_ocm.status import availability, hubindex, placements, views
from gitops_ocm.status.cache import FoldCache

SHOWN = [
    ("True", "ManagedClusterAvailable"),
    ("False", "ManagedClusterKubeAPIServerUnavailable"),
    ("Unknown", views.LEASE_STOPPED),
    placements.NOT_REPORTED,
]
STATUSES: list[dict[str, object]] = [
    {},
    {"numberOfSelectedClusters": 3, "conditions": [{"type": "PlacementSatisfied"}]},
    {"decisionGroups": [{"decisionGroupIndex": 0, "clusterCount": 2}], "note": "multi\nline\n"},
    {"odd": {1: "non-string key"}},  # not written by the direct emitter
]


def _state(name: str, status: str, reason: str) -> views.ClusterState:
    return views.ClusterState(name, True, None, views.Availability(status, reason, None), ())


@pytest.mark.parametrize("seed", range(20))
def test_rollup_of_and_renderer_equal_plain_forms(seed: int) -> None:
    """Joined, left and changed clusters on a big placement, names plain or quoted."""
    rng = random.Random(seed)
    names = [f"c{i:04d}" for i in range(400)] + ["true", "123", "null", "a b"]
    shown = {n: rng.choice(SHOWN[:3]) for n in names if rng.random() < 0.9}
    renderer = placements.Renderer()
    cache = FoldCache()
    decided = set(rng.sample(names, 300))
    for _ in range(6):
        cache.begin()
        for name in rng.sample(names, 20):
            if rng.random() < 0.5:
                decided.symmetric_difference_update({name})
            elif rng.random() < 0.5:
                shown[name] = rng.choice(SHOWN)
            else:
                shown.pop(name, None)
        if rng.random() < 0.3:
            decided = {n for n in decided if n not in ("true", "123", "null", "a b")}
        status = rng.choice(STATUSES)
        source = str(STATUSES.index(status))
        placement = hubindex.HubPlacement("ns", "p", status, tuple(sorted(decided)), source)
        states = {n: _state(n, *s) for n, s in shown.items()}
        available = {n for n, s in shown.items() if s[0] == "True"}
        unwell = {n: s for n, s in shown.items() if s[0] != "True"}
        fast = placements.rollup_of(placement, frozenset(decided), available, unwell)
        plain = placements.rollup(placement, states)
        assert fast == plain
        assert fast.counts() == plain.counts()
        assert renderer.render(fast, cache) == placements.render(plain)


def test_not_reported_is_not_available() -> None:
    """A decided cluster without a state is shown as not reported."""
    placement = hubindex.HubPlacement("ns", "p", {}, ("a", "b"), "")
    item = placements.rollup_of(placement, frozenset({"a", "b"}), {"a"}, {})
    assert item.others == (("b", *placements.NOT_REPORTED),)
    assert availability.no_report().status != "True"
