"""TaintToleration filter: effects, operators, tolerationSeconds and the built-in taints."""

from __future__ import annotations

import datetime

import fleetkit as fk
import pytest

from gitops_ocm.model import snapshot, yamlfile, yamlout
from gitops_ocm.placement import inventory

HOUR = datetime.timedelta(hours=1)
T = fk.taint
TOL_KEY = {"key": "k", "operator": "Exists"}

CASES = [
    ("untainted-passes", [], [], False, True),
    ("noselect-not-tolerated", [T("k")], [], False, False),
    ("prefer-noselect-always-tolerated", [T("k", "PreferNoSelect")], [], False, True),
    ("noselectifnew-new-cluster-dropped", [T("k", "NoSelectIfNew")], [], False, False),
    ("noselectifnew-existing-kept", [T("k", "NoSelectIfNew")], [], True, True),
    ("noselectifnew-new-tolerated", [T("k", "NoSelectIfNew")], [TOL_KEY], False, True),
    ("exists-any-value", [T("k", value="v")], [TOL_KEY], False, True),
    ("equal-same-value", [T("k", value="v")], [{"key": "k", "value": "v"}], False, True),
    ("equal-other-value", [T("k", value="v")], [{"key": "k", "value": "w"}], False, False),
    ("equal-empty-values", [T("k")], [{"key": "k", "operator": "Equal"}], False, True),
    (
        "effect-mismatch",
        [T("k")],
        [{"key": "k", "operator": "Exists", "effect": "NoSelectIfNew"}],
        False,
        False,
    ),
    (
        "effect-match",
        [T("k")],
        [{"key": "k", "operator": "Exists", "effect": "NoSelect"}],
        False,
        True,
    ),
    ("empty-key-exists-tolerates-all", [T("k"), T("j")], [{"operator": "Exists"}], False, True),
    ("every-taint-must-be-tolerated", [T("k"), T("j")], [TOL_KEY], False, False),
    (
        "seconds-before-expiry",
        [T("k", added=fk.NOW - HOUR)],
        [{**TOL_KEY, "tolerationSeconds": 3601}],
        False,
        True,
    ),
    (
        "seconds-at-expiry",
        [T("k", added=fk.NOW - HOUR)],
        [{**TOL_KEY, "tolerationSeconds": 3600}],
        False,
        False,
    ),
    (
        "seconds-after-expiry",
        [T("k", added=fk.NOW - HOUR)],
        [{**TOL_KEY, "tolerationSeconds": 60}],
        False,
        False,
    ),
    (
        "seconds-unknown-time-expired",
        [T("k", added=None)],
        [{**TOL_KEY, "tolerationSeconds": 10**9}],
        False,
        False,
    ),
    (
        "seconds-apply-to-noselectifnew",
        [T("k", "NoSelectIfNew", added=fk.NOW - HOUR)],
        [{**TOL_KEY, "tolerationSeconds": 60}],
        False,
        False,
    ),
    (
        "second-toleration-still-valid",
        [T("k", added=fk.NOW - HOUR)],
        [{**TOL_KEY, "tolerationSeconds": 60}, TOL_KEY],
        False,
        True,
    ),
]


@pytest.mark.parametrize(
    ("taints", "tolerations", "existing", "kept"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_taints(taints, tolerations, existing, kept):
    """A cluster passes only when every one of its taints is tolerated."""
    clusters = [fk.cluster("a", taints=taints)]
    decisions = {(fk.NS, "p"): ["a"]} if existing else None
    out = fk.run(fk.placement(tolerations=tolerations), clusters, decisions=decisions)
    assert out.misconfigured is None
    assert (out.selected == ("a",)) is kept


@pytest.mark.parametrize(
    ("toleration", "message"),
    [
        (
            {"key": "", "operator": "Equal"},
            "TaintToleration:If the key is empty, operator must be Exists.",
        ),
        (
            {"key": "k", "operator": "Exists", "value": "v"},
            "TaintToleration:If the operator is Exists, the value should be empty.",
        ),
    ],
    ids=["empty-key-needs-exists", "exists-needs-empty-value"],
)
def test_invalid_toleration(toleration, message):
    """Invalid tolerations make the placement Misconfigured with OCM's message."""
    out = fk.run(fk.placement(tolerations=[toleration]), [fk.cluster("a")])
    assert str(out.misconfigured) == message


def test_requeue_at_earliest_expiry():
    """The placement asks to be rescheduled when the first tolerated taint expires."""
    clusters = [fk.cluster("a", taints=[T("k", added=fk.NOW - HOUR)])]
    out = fk.run(fk.placement(tolerations=[{**TOL_KEY, "tolerationSeconds": 7200}]), clusters)
    assert out.requeue_at == fk.NOW + HOUR


def test_explain_names_the_taint():
    """The trace says which taint dropped the cluster."""
    from gitops_ocm.placement import explain

    out = fk.run(fk.placement(), [fk.cluster("a", taints=[T("k", value="v")])])
    row = explain.rows(out)[0]
    assert row.dropped_by == "TaintToleration"
    assert row.reason == "taint k=v:NoSelect not tolerated"


def _status(available: str | None, since: str = "2024-01-01T11:00:00Z") -> dict[str, bytes]:
    if available is None:
        return {}
    cond = {
        "type": "ManagedClusterConditionAvailable",
        "status": available,
        "lastTransitionTime": since,
    }
    return {
        "clusters/a/cluster.yaml": yamlout.dump(
            {"kind": "ManagedCluster", "status": {"conditions": [cond]}}
        )
    }


DESIRED = snapshot.build(
    [
        yamlfile.parse(
            "a.yaml",
            b"apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
            b"metadata: {name: a}\nspec:\n  hubAcceptsClient: true\n  taints:\n"
            b"  - {key: cluster.open-cluster-management.io/unreachable, effect: NoSelect}\n",
        )
    ]
)


@pytest.mark.parametrize(
    ("available", "expected"),
    [
        ("True", ()),
        ("False", (inventory.UNAVAILABLE,)),
        ("Unknown", (inventory.UNREACHABLE,)),
        (None, (inventory.UNREACHABLE,)),
    ],
    ids=["available", "unavailable", "unknown", "never-reported"],
)
def test_built_in_taints(available, expected):
    """Built-in taints mirror the Available condition (user copies are replaced)."""
    [info] = inventory.build(DESIRED, _status(available), fk.NOW)
    assert tuple(t.key for t in info.taints) == expected
    assert all(t.effect == "NoSelect" for t in info.taints)


def test_derived_taint_time_is_condition_transition():
    """A derived taint counts tolerationSeconds from the condition's lastTransitionTime."""
    [info] = inventory.build(DESIRED, _status("Unknown"), fk.NOW)
    assert info.taints[0].time_added == fk.NOW - HOUR
    assert inventory.build(DESIRED, {}, fk.NOW)[0].taints[0].time_added is None


def test_unreachable_tolerated_for_a_while():
    """The typical 'tolerate unreachable for 5 minutes' keeps then drops a cluster."""
    [info] = inventory.build(DESIRED, _status("Unknown", "2024-01-01T11:58:00Z"), fk.NOW)
    tol = [{"key": inventory.UNREACHABLE, "operator": "Exists", "tolerationSeconds": 300}]
    assert fk.run(fk.placement(tolerations=tol), [info]).selected == ("a",)
    later = fk.NOW + datetime.timedelta(minutes=3)
    assert fk.run(fk.placement(tolerations=tol), [info], now=later).selected == ()
