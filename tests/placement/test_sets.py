"""Cluster-set scoping: bindings in the placement namespace, built-in sets, intersection."""

from __future__ import annotations

import fleetkit as fk
import pytest

from gitops_ocm.placement import placementconditions, sets

CLUSTERS = [
    fk.cluster("a"),
    fk.cluster("b", {sets.CLUSTERSET_LABEL: "blue"}),
    fk.cluster("c", {sets.CLUSTERSET_LABEL: "blue", "env": "prod"}),
]
PROD_SET = {
    "prod": {"selectorType": "LabelSelector", "labelSelector": {"matchLabels": {"env": "prod"}}}
}
BLUE_SET = {"blue": {"selectorType": "ExclusiveClusterSetLabel"}}

CASES = [
    (
        "global-binding-sees-all",
        {"apps": ["global"]},
        {},
        (),
        ("a", "b", "c"),
        "AllDecisionsScheduled",
    ),
    (
        "default-set-is-unlabelled-clusters",
        {"apps": ["default"]},
        {},
        (),
        ("a",),
        "AllDecisionsScheduled",
    ),
    ("exclusive-label-set", {"apps": ["blue"]}, BLUE_SET, (), ("b", "c"), "AllDecisionsScheduled"),
    ("label-selector-set", {"apps": ["prod"]}, PROD_SET, (), ("c",), "AllDecisionsScheduled"),
    (
        "union-of-bound-sets",
        {"apps": ["default", "prod"]},
        PROD_SET,
        (),
        ("a", "c"),
        "AllDecisionsScheduled",
    ),
    (
        "intersection-with-spec",
        {"apps": ["default", "blue"]},
        BLUE_SET,
        ("blue",),
        ("b", "c"),
        "AllDecisionsScheduled",
    ),
    ("no-binding-in-namespace", {"other": ["global"]}, {}, (), (), "NoManagedClusterSetBindings"),
    (
        "binding-to-missing-set-ignored",
        {"apps": ["ghost"]},
        {},
        (),
        (),
        "NoManagedClusterSetBindings",
    ),
    ("no-intersection", {"apps": ["default"]}, BLUE_SET, ("blue",), (), "NoIntersection"),
    (
        "empty-set",
        {"apps": ["empty"]},
        {"empty": {"selectorType": "ExclusiveClusterSetLabel"}},
        (),
        (),
        "AllManagedClusterSetsEmpty",
    ),
]


@pytest.mark.parametrize(
    ("bindings", "extra", "wanted", "expected", "reason"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_scope(bindings, extra, wanted, expected, reason):
    """A placement sees exactly the members of the sets bound in its namespace (and listed)."""
    p = fk.placement(clusterSets=list(wanted)) if wanted else fk.placement()
    out = fk.run(p, CLUSTERS, cat=fk.catalog(bindings, extra))
    assert tuple(sorted(out.selected)) == expected
    cond = placementconditions.satisfied(
        out.scope, p.cluster_sets, len(out.selected), out.unscheduled
    )
    assert cond["reason"] == reason


def test_no_intersection_message_lists_spec_sets():
    """NoIntersection names the sets of spec.clusterSets, as OCM's message does."""
    p = fk.placement(clusterSets=["x", "y"])
    out = fk.run(p, CLUSTERS, cat=fk.catalog({"apps": ["default"]}))
    cond = placementconditions.satisfied(out.scope, p.cluster_sets, 0, 0)
    assert cond["message"] == "None of ManagedClusterSets [x,y] is bound to placement namespace"
