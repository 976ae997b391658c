"""Predicate filter: label, claim and CEL selectors, ANDed inside and ORed across predicates."""

from __future__ import annotations

import fleetkit as fk
import pytest

CLUSTERS = [
    fk.cluster(
        "a",
        {"env": "prod", "region": "east"},
        claims={"platform.open-cluster-management.io": "AWS"},
    ),
    fk.cluster(
        "b",
        {"env": "prod", "region": "west"},
        claims={"platform.open-cluster-management.io": "GCP"},
    ),
    fk.cluster("c", {"env": "dev"}),
]


def pred(**selector):
    """Return one predicate with the given requiredClusterSelector parts."""
    return {"requiredClusterSelector": selector}


CASES = [
    ("no-predicates-match-all", [], ("a", "b", "c")),
    ("empty-selector-matches-all", [pred(labelSelector={})], ("a", "b", "c")),
    ("empty-required-selector-matches-all", [pred()], ("a", "b", "c")),
    ("match-labels", [pred(labelSelector={"matchLabels": {"env": "prod"}})], ("a", "b")),
    (
        "in",
        [
            pred(
                labelSelector={
                    "matchExpressions": [
                        {"key": "region", "operator": "In", "values": ["west", "x"]}
                    ]
                }
            )
        ],
        ("b",),
    ),
    (
        "notin-includes-missing-key",
        [
            pred(
                labelSelector={
                    "matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["east"]}]
                }
            )
        ],
        ("b", "c"),
    ),
    (
        "exists",
        [pred(labelSelector={"matchExpressions": [{"key": "region", "operator": "Exists"}]})],
        ("a", "b"),
    ),
    (
        "does-not-exist",
        [pred(labelSelector={"matchExpressions": [{"key": "region", "operator": "DoesNotExist"}]})],
        ("c",),
    ),
    (
        "claim-selector",
        [
            pred(
                claimSelector={
                    "matchExpressions": [
                        {
                            "key": "platform.open-cluster-management.io",
                            "operator": "In",
                            "values": ["AWS"],
                        }
                    ]
                }
            )
        ],
        ("a",),
    ),
    (
        "label-and-claim-anded",
        [
            pred(
                labelSelector={"matchLabels": {"region": "west"}},
                claimSelector={
                    "matchExpressions": [
                        {
                            "key": "platform.open-cluster-management.io",
                            "operator": "In",
                            "values": ["AWS"],
                        }
                    ]
                },
            )
        ],
        (),
    ),
    (
        "predicates-ored",
        [
            pred(labelSelector={"matchLabels": {"region": "east"}}),
            pred(labelSelector={"matchLabels": {"env": "dev"}}),
        ],
        ("a", "c"),
    ),
    (
        "cel-true",
        [pred(celSelector={"celExpressions": ['managedCluster.metadata.labels["env"] == "prod"']})],
        ("a", "b"),
    ),
    (
        "cel-anded",
        [
            pred(
                celSelector={
                    "celExpressions": [
                        'managedCluster.metadata.labels["env"] == "prod"',
                        'managedCluster.metadata.name != "a"',
                    ]
                }
            )
        ],
        ("b",),
    ),
    (
        "cel-eval-error-no-match",
        [
            pred(
                celSelector={
                    "celExpressions": ['managedCluster.metadata.labels["region"] == "east"']
                }
            )
        ],
        ("a",),
    ),
    ("cel-non-bool-no-match", [pred(celSelector={"celExpressions": ['"yes"']})], ()),
    (
        "cel-and-label",
        [
            pred(
                labelSelector={"matchLabels": {"env": "prod"}},
                celSelector={"celExpressions": ['managedCluster.metadata.name.startsWith("b")']},
            )
        ],
        ("b",),
    ),
]


@pytest.mark.parametrize(
    ("predicates", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_predicates(predicates, expected):
    """Only clusters matching at least one predicate are selected."""
    out = fk.run(fk.placement(predicates=predicates), CLUSTERS)
    assert out.misconfigured is None
    assert tuple(sorted(out.selected)) == expected


MISCONFIGURED = [
    (
        "cel-compile-error",
        [pred(celSelector={"celExpressions": ["managedCluster.metadata.labels["]})],
        "Predicate:compile CEL expression",
    ),
    (
        "bad-operator",
        [pred(labelSelector={"matchExpressions": [{"key": "a", "operator": "Near"}]})],
        "Predicate:labelSelector: invalid selector",
    ),
    (
        "in-without-values",
        [pred(claimSelector={"matchExpressions": [{"key": "a", "operator": "In"}]})],
        "Predicate:claimSelector: invalid selector",
    ),
]


@pytest.mark.parametrize(
    ("predicates", "prefix"), [c[1:] for c in MISCONFIGURED], ids=[c[0] for c in MISCONFIGURED]
)
def test_misconfigured_predicates(predicates, prefix):
    """Invalid selectors and CEL compile errors make the placement Misconfigured."""
    out = fk.run(fk.placement(predicates=predicates), CLUSTERS)
    assert out.misconfigured is not None
    assert str(out.misconfigured).startswith(prefix)
    assert out.selected == ()


def test_cel_scores_function():
    """managedCluster.scores(name) exposes the cluster's valid AddOnPlacementScore values."""
    from gitops_ocm.placement import inventory

    fresh = inventory.AddOnScore({"cpu": 80}, None)
    stale = inventory.AddOnScore({"cpu": 90}, fk.NOW.replace(year=2020))
    clusters = [
        fk.cluster("a", scores={"res": fresh}),
        fk.cluster("b", scores={"res": stale}),
        fk.cluster("c"),
    ]
    expr = 'managedCluster.scores("res").exists(s, s.name == "cpu" && s.value > 50)'
    out = fk.run(fk.placement(predicates=[pred(celSelector={"celExpressions": [expr]})]), clusters)
    assert out.selected == ("a",)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('semver("1.30.2").isGreaterThan(semver("1.29.0"))', True),
        ('semver("1.2.0").isLessThan(semver("1.10.0"))', True),
        ('semver("1.2.0").compareTo(semver("1.2.0")) == 0', True),
        ('isSemver("not-a-version")', False),
        ('quantity("2Gi").isGreaterThan(quantity("1500Mi"))', True),
        ('"A,B".split(",").size() == 2', True),
        ('parseJSON("{\\"a\\": 1}").a == 1', True),
    ],
    ids=[
        "semver-gt",
        "semver-lt-numeric",
        "semver-compare",
        "is-semver",
        "quantity",
        "split",
        "parse-json",
    ],
)
def test_cel_library(expr, expected):
    """The Kubernetes CEL library functions placements use evaluate as in OCM."""
    out = fk.run(
        fk.placement(predicates=[pred(celSelector={"celExpressions": [expr]})]), [fk.cluster("a")]
    )
    assert (out.selected == ("a",)) is expected
