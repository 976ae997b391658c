"""Prioritizers, weights and the score-then-name ordering under numberOfClusters."""

from __future__ import annotations

import fleetkit as fk
import pytest

from gitops_ocm.placement import inventory
from gitops_ocm.placement.prioritizers import balance


@pytest.mark.parametrize(
    ("count", "top", "score"),
    [
        (0, 0, 100),
        (0, 5, 100),
        (1, 1, -100),
        (1, 2, 0),
        (1, 3, 32),
        (2, 3, -32),
        (1, 4, 50),
        (3, 4, -50),
        (1, 6, 66),
        (5, 6, -66),
    ],
    ids=lambda v: str(v),
)
def test_balance_arithmetic(count, top, score):
    """Balance is 2*trunc(100*(0.5-count/max)), truncated before doubling; unused get 100."""
    assert balance.balance_score(count, top) == score


def _scores(out, name):
    return {p.name: p.scores for p in out.trace.prioritizers}[name]


def test_balance_ignores_own_decisions():
    """Balance counts the decisions of the other placements only."""
    decisions = {(fk.NS, "p"): ["a", "b"], (fk.NS, "q"): ["a"], ("other", "r"): ["a", "b"]}
    out = fk.run(
        fk.placement(numberOfClusters=1), [fk.cluster(n) for n in "abc"], decisions=decisions
    )
    assert _scores(out, "Balance") == {"a": -100, "b": 0, "c": 100}
    assert _scores(out, "Steady") == {"a": 100, "b": 100, "c": 0}


def test_balance_same_name_other_namespace_counts():
    """A placement with the same name in another namespace is another placement."""
    decisions = {("other", "p"): ["a"]}
    out = fk.run(
        fk.placement(numberOfClusters=1), [fk.cluster("a"), fk.cluster("b")], decisions=decisions
    )
    assert _scores(out, "Balance") == {"a": -100, "b": 100}


@pytest.mark.parametrize(
    ("cpus", "expected"),
    [
        ({"a": 2, "b": 4, "c": 6}, {"a": -100, "b": 0, "c": 100}),
        ({"a": 1, "b": 2, "c": 4}, {"a": -100, "b": -33, "c": 100}),
        ({"a": 4, "b": 4}, {"a": 100, "b": 100}),
        ({"a": 4}, {"a": 100}),
    ],
    ids=["linear", "truncates-toward-zero", "all-equal", "single"],
)
def test_resource_allocatable_cpu(cpus, expected):
    """ResourceAllocatableCPU maps allocatable linearly onto [-100, 100]."""
    clusters = [fk.cluster(n, allocatable={"cpu": v}) for n, v in cpus.items()] + [fk.cluster("z")]
    p = fk.placement(
        numberOfClusters=1,
        prioritizerPolicy={
            "mode": "Exact",
            "configurations": [{"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}}],
        },
    )
    out = fk.run(p, clusters)
    assert _scores(out, "ResourceAllocatableCPU") == expected
    assert out.trace.totals["z"] == 0


def test_resource_needs_capacity_too():
    """A cluster without capacity for the resource gets no score."""
    c = inventory.ClusterInfo("a", {}, allocatable={"memory": 5.0}, capacity={})
    p = fk.placement(
        numberOfClusters=1,
        prioritizerPolicy={
            "mode": "Exact",
            "configurations": [{"scoreCoordinate": {"builtIn": "ResourceAllocatableMemory"}}],
        },
    )
    out = fk.run(p, [fk.cluster("b", allocatable={"memory": 1.0}), c])
    assert _scores(out, "ResourceAllocatableMemory") == {"b": 100}


def test_addon_scores():
    """AddOn scores come from the AddOnPlacementScore; missing or expired give 0 (warned)."""
    fresh = inventory.AddOnScore({"gpu": 70}, None)
    expired = inventory.AddOnScore({"gpu": 90}, fk.NOW.replace(hour=11))
    clusters = [
        fk.cluster("a", scores={"res": fresh}),
        fk.cluster("b", scores={"res": expired}),
        fk.cluster("c"),
    ]
    coord = {"type": "AddOn", "addOn": {"resourceName": "res", "scoreName": "gpu"}}
    p = fk.placement(
        numberOfClusters=1,
        prioritizerPolicy={
            "mode": "Exact",
            "configurations": [{"scoreCoordinate": coord, "weight": 2}],
        },
    )
    out = fk.run(p, clusters)
    assert _scores(out, "AddOn/res/gpu") == {"a": 70, "b": 0, "c": 0}
    assert out.trace.totals["a"] == 140
    assert out.selected == ("a",)
    assert out.warnings == ("AddOnPlacementScores b/res expired",)
    assert out.requeue_at is None  # nothing left to expire


def test_addon_scores_requeue_when_the_next_one_expires():
    """The placement is due again a second after the earliest validUntil still ahead."""
    soon = inventory.AddOnScore({"gpu": 10}, fk.NOW.replace(hour=13))
    later = inventory.AddOnScore({"gpu": 90}, fk.NOW.replace(hour=15))
    past = inventory.AddOnScore({"gpu": 50}, fk.NOW.replace(hour=11))
    coord = {"type": "AddOn", "addOn": {"resourceName": "res", "scoreName": "gpu"}}
    p = fk.placement(
        numberOfClusters=1,
        prioritizerPolicy={"mode": "Exact", "configurations": [{"scoreCoordinate": coord}]},
    )
    clusters = [
        fk.cluster(name, scores={"res": score})
        for name, score in (("a", later), ("b", soon), ("c", past))
    ]
    out = fk.run(p, clusters)
    assert out.requeue_at == fk.NOW.replace(hour=13, second=1)
    assert out.selected == ("a",)
    assert fk.run(p, clusters, now=fk.NOW.replace(hour=13, second=1)).requeue_at == (
        fk.NOW.replace(hour=15, second=1)
    )


WEIGHTS = [
    ("additive-defaults", {}, {"Balance": 1, "Steady": 1}),
    (
        "additive-overlay",
        {"configurations": [{"scoreCoordinate": {"builtIn": "Steady"}, "weight": 3}]},
        {"Balance": 1, "Steady": 3},
    ),
    (
        "weight-zero-disables",
        {"configurations": [{"scoreCoordinate": {"builtIn": "Balance"}, "weight": 0}]},
        {"Steady": 1},
    ),
    (
        "exact-only-listed",
        {
            "mode": "Exact",
            "configurations": [
                {"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}, "weight": -2}
            ],
        },
        {"ResourceAllocatableCPU": -2},
    ),
    (
        "later-duplicate-wins",
        {
            "mode": "Exact",
            "configurations": [
                {"scoreCoordinate": {"builtIn": "Steady"}, "weight": 2},
                {"scoreCoordinate": {"builtIn": "Steady"}, "weight": 5},
            ],
        },
        {"Steady": 5},
    ),
    (
        "default-weight-one",
        {"mode": "Exact", "configurations": [{"scoreCoordinate": {"builtIn": "Steady"}}]},
        {"Steady": 1},
    ),
]


@pytest.mark.parametrize(
    ("policy", "expected"), [c[1:] for c in WEIGHTS], ids=[c[0] for c in WEIGHTS]
)
def test_weights(policy, expected):
    """Additive overlays the defaults {Balance:1, Steady:1}; Exact uses only the configurations."""
    out = fk.run(fk.placement(prioritizerPolicy=policy), [fk.cluster("a")])
    assert {p.name: p.weight for p in out.trace.prioritizers} == expected


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"mode": "Random"}, ":incorrect prioritizer policy mode: Random"),
        (
            {"configurations": [{"scoreCoordinate": {"builtIn": "Spread"}}]},
            ":incorrect builtin prioritizer: Spread",
        ),
        ({"configurations": [{"weight": 1}]}, ":scoreCoordinate field is required"),
        (
            {"configurations": [{"scoreCoordinate": {"type": "AddOn"}}]},
            ":addOn should not be empty",
        ),
    ],
    ids=["bad-mode", "unknown-builtin", "no-coordinate", "addon-without-addon"],
)
def test_misconfigured_policy(policy, message):
    """Invalid prioritizer policies are Misconfigured with OCM's (plugin-less) messages."""
    out = fk.run(fk.placement(prioritizerPolicy=policy), [fk.cluster("a")])
    assert str(out.misconfigured) == message


def test_score_then_name_order():
    """Clusters are sorted by total score descending, ties by name; the first N are selected."""
    decisions = {(fk.NS, "p"): ["d"], (fk.NS, "q"): ["b"]}
    out = fk.run(
        fk.placement(numberOfClusters=2), [fk.cluster(n) for n in "dcba"], decisions=decisions
    )
    assert out.trace.totals == {"a": 100, "b": -100, "c": 100, "d": 200}
    assert out.trace.order == ("d", "a", "c", "b")
    assert out.selected == ("d", "a")


def test_negative_weight_prefers_low_scores():
    """A negative weight turns the highest-allocatable cluster into the least preferred."""
    clusters = [fk.cluster("a", allocatable={"cpu": 1}), fk.cluster("b", allocatable={"cpu": 9})]
    policy = {
        "mode": "Exact",
        "configurations": [
            {"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}, "weight": -1}
        ],
    }
    assert fk.run(
        fk.placement(numberOfClusters=1, prioritizerPolicy=policy), clusters
    ).selected == ("a",)


def test_fewer_feasible_than_wanted():
    """With fewer feasible clusters than numberOfClusters all are selected, the rest unscheduled."""
    out = fk.run(fk.placement(numberOfClusters=5), [fk.cluster("a"), fk.cluster("b")])
    assert (sorted(out.selected), out.unscheduled) == (["a", "b"], 3)
