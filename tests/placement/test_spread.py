"""Spread constraints (implemented here; OCM ignores them)."""

from __future__ import annotations

import fleetkit as fk
import pytest

# east has the best-scored clusters: without spread all picks land there.
CLUSTERS = [
    fk.cluster(f"e{i}", {"region": "east"}, allocatable={"cpu": 10 + i}) for i in range(4)
] + [
    fk.cluster("w0", {"region": "west"}, allocatable={"cpu": 1}),
    fk.cluster("x0", {}, allocatable={"cpu": 2}, claims={"region": "north"}),
]
CPU = {
    "mode": "Exact",
    "configurations": [{"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}}],
}


def spread(*constraints):
    """Return a spreadPolicy."""
    return {"spreadConstraints": list(constraints)}


CASES = [
    ("no-spread-best-scores", None, 3, ("e1", "e2", "e3"), 0),
    (
        "soft-keyless-cluster-unconstrained",
        spread({"topologyKey": "region"}),
        3,
        ("e3", "w0", "x0"),
        0,
    ),
    (
        "hard-alternates-domains",
        spread({"topologyKey": "region", "whenUnsatisfiable": "DoNotSchedule"}),
        3,
        ("e2", "e3", "w0"),
        0,
    ),
    (
        "hard-leaves-unscheduled",
        spread({"topologyKey": "region", "whenUnsatisfiable": "DoNotSchedule"}),
        4,
        ("e2", "e3", "w0"),
        1,
    ),
    ("max-skew-2", spread({"topologyKey": "region", "maxSkew": 2}), 3, ("e2", "e3", "x0"), 0),
    (
        "claim-topology-hard",
        spread(
            {
                "topologyKey": "region",
                "topologyKeyType": "Claim",
                "whenUnsatisfiable": "DoNotSchedule",
            }
        ),
        2,
        ("x0",),
        1,
    ),
]


@pytest.mark.parametrize(
    ("policy", "n", "expected", "unscheduled"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_spread(policy, n, expected, unscheduled):
    """Selected clusters are spread over topology domains within maxSkew."""
    fields = {"numberOfClusters": n, "prioritizerPolicy": CPU}
    if policy:
        fields["spreadPolicy"] = policy
    out = fk.run(fk.placement(**fields), CLUSTERS)
    assert out.misconfigured is None
    assert (tuple(sorted(out.selected)), out.unscheduled) == (expected, unscheduled)


def test_spread_explains_passed_over():
    """The trace says why a better-scored cluster was passed over."""
    out = fk.run(
        fk.placement(
            numberOfClusters=2,
            prioritizerPolicy=CPU,
            spreadPolicy=spread({"topologyKey": "region"}),
        ),
        CLUSTERS,
    )
    assert "maxSkew" in out.trace.passed_over["e2"]


@pytest.mark.parametrize(
    "constraint",
    [
        {"topologyKey": ""},
        {"topologyKey": "r", "topologyKeyType": "Zone"},
        {"topologyKey": "r", "maxSkew": 0},
        {"topologyKey": "r", "whenUnsatisfiable": "Never"},
    ],
    ids=["no-key", "bad-type", "bad-skew", "bad-when"],
)
def test_spread_misconfigured(constraint):
    """Invalid spread constraints make the placement Misconfigured (plugin Spread)."""
    out = fk.run(fk.placement(spreadPolicy=spread(constraint)), CLUSTERS)
    assert str(out.misconfigured).startswith("Spread:")
