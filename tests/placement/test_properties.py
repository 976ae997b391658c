"""Scheduler invariants checked on generated fleets (hypothesis)."""

from __future__ import annotations

import fleetkit as fk
from hypothesis import given, settings
from hypothesis import strategies as st

REGIONS = ("east", "west", "north")
cluster_specs = st.lists(
    st.tuples(
        st.sampled_from(REGIONS),
        st.sampled_from(("prod", "dev")),
        st.booleans(),
        st.integers(1, 64),
    ),
    min_size=0,
    max_size=25,
)
placement_specs = st.fixed_dictionaries(
    {
        "n": st.one_of(st.none(), st.integers(0, 30)),
        "region": st.one_of(st.none(), st.sampled_from(REGIONS)),
        "cpu_weight": st.integers(-3, 3),
    }
)


def _fleet(specs):
    return [
        fk.cluster(
            f"c{i:02}",
            {"region": r, "env": e},
            taints=[fk.taint("maint")] if tainted else [],
            allocatable={"cpu": cpu},
        )
        for i, (r, e, tainted, cpu) in enumerate(specs)
    ]


def _placement(p):
    fields = {
        "prioritizerPolicy": {
            "configurations": [
                {
                    "scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"},
                    "weight": p["cpu_weight"],
                }
            ]
        }
    }
    if p["n"] is not None:
        fields["numberOfClusters"] = p["n"]
    if p["region"]:
        fields["predicates"] = [
            {"requiredClusterSelector": {"labelSelector": {"matchLabels": {"region": p["region"]}}}}
        ]
    return fk.placement(**fields)


def _feasible(clusters, p):
    return {
        c.name
        for c in clusters
        if not c.taints and (not p["region"] or c.labels["region"] == p["region"])
    }


@settings(max_examples=150, deadline=None)
@given(cluster_specs, placement_specs, st.lists(st.integers(0, 24), max_size=8))
def test_invariants(specs, p, earlier):
    """Deterministic, at most numberOfClusters, and always a subset of the feasible clusters."""
    clusters = _fleet(specs)
    decisions = {(fk.NS, "p"): [f"c{i:02}" for i in earlier]}
    first = fk.run(_placement(p), clusters, decisions=decisions)
    again = fk.run(_placement(p), list(reversed(clusters)), decisions=decisions)
    assert first.selected == again.selected
    assert first.groups == again.groups
    if p["n"] is not None:
        assert len(first.selected) <= p["n"]
    assert set(first.selected) <= _feasible(clusters, p)
    if p["n"] is None:
        assert set(first.selected) == _feasible(clusters, p)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=20), st.integers(1, 10), st.data())
def test_steady_keeps_earlier_picks_on_equal_scores(regions, n, data):
    """With equal scores otherwise, clusters decided earlier are kept (Steady)."""
    clusters = [fk.cluster(f"c{i:02}", {"region": r}) for i, r in enumerate(regions)]
    names = [c.name for c in clusters]
    earlier = data.draw(st.lists(st.sampled_from(names), max_size=n, unique=True))
    policy = {"mode": "Exact", "configurations": [{"scoreCoordinate": {"builtIn": "Steady"}}]}
    out = fk.run(
        fk.placement(numberOfClusters=n, prioritizerPolicy=policy),
        clusters,
        decisions={(fk.NS, "p"): earlier},
    )
    assert set(earlier) <= set(out.selected)
