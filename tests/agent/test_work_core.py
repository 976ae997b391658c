"""Pure core of the work agent: kind order, apply/prune plans, conditions, feedback, eviction."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from kubekit import configmap, deployment, namespace

from gitops_ocm.work import conditions, eviction, feedback, jsonpath, order, plan, rules, spec

OWNER = plan.Owner("hash-w", "amw-uid")
SCOPES = {
    "Namespace": spec.Scope("namespaces", False),
    "ConfigMap": spec.Scope("configmaps", True),
    "Deployment": spec.Scope("deployments", True),
}


def resolve(api_version: str, kind: str) -> spec.Scope | None:
    return SCOPES.get(kind)


def one(manifest: dict[str, Any], **work_spec: Any) -> tuple[spec.Work, spec.ResourceMeta]:
    work = spec.parse_work("w", {"spec": {"workload": {"manifests": [manifest]}, **work_spec}})
    return work, spec.resource_meta(0, manifest, resolve)


def strategy(kind_: str, **ssa: Any) -> dict[str, Any]:
    config = {
        "resourceIdentifier": {"resource": "configmaps", "name": "a", "namespace": "demo"},
        "updateStrategy": {"type": kind_, "serverSideApply": ssa},
    }
    return {"manifestConfigs": [config]}


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (["Deployment", "Namespace", "ConfigMap"], [1, 2, 0]),
        (["Widget", "ValidatingWebhookConfiguration", "Service"], [2, 1, 0]),
        (["ConfigMap", "Secret", "ConfigMap"], [0, 1, 2]),
        ([None, "Widget", "CustomResourceDefinition"], [2, 1, 0]),
    ],
    ids=["workload-after-config", "cr-after-webhook", "stable-in-rank", "unparsable-last"],
)
def test_apply_order(kinds: list[str | None], expected: list[int]) -> None:
    """Manifests are applied in OCM's kind order, stable within a rank."""
    manifests = [{"kind": k} if k else "junk" for k in kinds]
    assert order.apply_order(manifests) == expected


def test_delete_order_is_reverse() -> None:
    """Pruning walks the kind ranks backwards: workloads before namespaces."""
    items = ["namespaces", "deployments", "widgets", "configmaps"]
    assert order.delete_order(items, lambda r: r) == [
        "widgets",
        "deployments",
        "configmaps",
        "namespaces",
    ]


def test_update_merges_metadata_and_keeps_finalizers() -> None:
    """Update keeps live labels and finalizers, adds our ownerRef and replaces data."""
    work, meta = one(configmap("a", x="2"))
    live = configmap("a", x="1")
    live["metadata"] |= {
        "labels": {"keep": "me"},
        "finalizers": ["f"],
        "uid": "u",
        "resourceVersion": "7",
    }
    action = plan.plan_manifest(work, meta, live, OWNER)
    assert action.verb == plan.UPDATE and action.body is not None
    assert action.body["data"] == {"x": "2"}
    assert action.body["metadata"]["finalizers"] == ["f"]
    assert action.body["metadata"]["labels"] == {"keep": "me"}
    assert action.body["metadata"]["ownerReferences"] == [OWNER.reference()]
    assert action.body["metadata"]["resourceVersion"] == "7"


def test_update_without_difference_writes_nothing() -> None:
    """An object equal to the manifest (and owned) needs no write."""
    work, meta = one(configmap("a", x="1"))
    live = configmap("a", x="1")
    live["metadata"]["ownerReferences"] = [OWNER.reference()]
    assert plan.plan_manifest(work, meta, live, OWNER).verb == plan.NONE


@pytest.mark.parametrize(
    ("kind_", "live", "verb"),
    [
        ("CreateOnly", None, plan.CREATE),
        ("CreateOnly", configmap("a", x="old"), plan.UPDATE),
        ("ReadOnly", None, plan.NONE),
        ("ReadOnly", configmap("a", x="old"), plan.NONE),
        ("ServerSideApply", None, plan.APPLY),
        ("Bogus", None, plan.FAIL),
    ],
    ids=["createonly-new", "createonly-owner-only", "readonly-absent", "readonly", "ssa", "bad"],
)
def test_strategies(kind_: str, live: dict[str, Any] | None, verb: str) -> None:
    """Each update strategy plans OCM's write."""
    work, meta = one(configmap("a", x="new"), **strategy(kind_))
    action = plan.plan_manifest(work, meta, live, OWNER)
    assert action.verb == verb
    if kind_ == "CreateOnly" and live is not None:
        assert action.body is not None and action.body["data"] == {"x": "old"}


def test_ssa_ignore_fields_skip_while_hash_equal() -> None:
    """OnSpokePresent fields keep the live value, and an unchanged hash skips the apply."""
    ignore = [{"condition": "OnSpokePresent", "jsonPaths": [".data.x"]}]
    work, meta = one(
        configmap("a", x="hub", y="1"), **strategy("ServerSideApply", ignoreFields=ignore)
    )
    first = plan.plan_manifest(work, meta, None, OWNER)
    assert first.verb == plan.APPLY and first.body is not None
    assert first.body["data"]["x"] == "hub"
    live = {**first.body, "data": {"x": "spoke", "y": "1"}}
    assert plan.plan_manifest(work, meta, live, OWNER).verb == plan.NONE
    work2, _ = one(
        configmap("a", x="hub", y="2"), **strategy("ServerSideApply", ignoreFields=ignore)
    )
    second = plan.plan_manifest(work2, meta, live, OWNER)
    assert second.verb == plan.APPLY and second.body is not None
    assert second.body["data"] == {"x": "spoke", "y": "2"}


def test_orphaned_resources_carry_no_owner() -> None:
    """With deleteOption Orphan our ownerRef is removed from the object."""
    work, meta = one(configmap("a"), deleteOption={"propagationPolicy": "Orphan"})
    live = configmap("a")
    live["metadata"]["ownerReferences"] = [OWNER.reference()]
    action = plan.plan_manifest(work, meta, live, OWNER)
    assert action.verb == plan.UPDATE and action.body is not None
    assert "ownerReferences" not in action.body["metadata"]


def _entry(resource: str, name: str, uid: str) -> plan.AppliedResource:
    return plan.AppliedResource("", "v1", resource, "demo", name, uid, "")


def _live(uid: str, owners: list[str], deleting: bool = False) -> dict[str, Any]:
    refs = [{"kind": "AppliedManifestWork", "uid": u, "name": u} for u in owners]
    meta: dict[str, Any] = {"uid": uid, "ownerReferences": refs}
    if deleting:
        meta["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    return {"metadata": meta}


def test_prune_plan() -> None:
    """Only owned objects with the recorded uid are deleted (reverse kind order) or disowned."""
    entries = [
        _entry("namespaces", "ns", "1"),
        _entry("deployments", "d", "2"),
        _entry("configmaps", "recreated", "3"),
        _entry("configmaps", "foreign", "4"),
        _entry("configmaps", "shared", "5"),
        _entry("configmaps", "going", "6"),
        _entry("configmaps", "kept", "7"),
    ]
    live = {
        entries[0]: _live("1", [OWNER.uid]),
        entries[1]: _live("2", [OWNER.uid]),
        entries[2]: _live("other", [OWNER.uid]),
        entries[3]: _live("4", ["someone"]),
        entries[4]: _live("5", [OWNER.uid, "other-amw"]),
        entries[5]: _live("6", [OWNER.uid], deleting=True),
    }
    result = plan.plan_prune(entries, [entries[6]], live, OWNER)
    assert [e.name for e in result.delete] == ["d", "ns"]
    assert [e.name for e, _ in result.disown] == ["shared"]
    assert "ownerReferences" in result.disown[0][1]["metadata"]
    assert {e.name for e in result.keep} == {"ns", "d", "shared", "going"}


def test_stamp_keeps_time_unless_status_flips() -> None:
    """lastTransitionTime moves only when the status changes."""
    old = [{"type": "Applied", "status": "True", "lastTransitionTime": "T1"}]
    same = conditions.stamp(old, [conditions.applied("", 1)], "T2")
    flipped = conditions.stamp(old, [conditions.applied("boom", 1)], "T2")
    assert same[0]["lastTransitionTime"] == "T1"
    assert flipped[0]["lastTransitionTime"] == "T2"
    assert flipped[0]["reason"] == "AppliedManifestFailed"


def _manifest(**statuses: str) -> list[dict[str, Any]]:
    return [{"type": t, "status": s} for t, s in statuses.items()]


@pytest.mark.parametrize(
    ("manifests", "applied", "available"),
    [
        (
            [_manifest(Applied="True", Available="True")] * 2,
            "AppliedManifestWorkComplete",
            "ResourcesAvailable",
        ),
        (
            [
                _manifest(Applied="True", Available="True"),
                _manifest(Applied="False", Available="False"),
            ],
            "AppliedManifestWorkFailed",
            "ResourcesNotAvailable",
        ),
        (
            [_manifest(Applied="True", Available="Unknown")],
            "AppliedManifestWorkComplete",
            "ResourcesStatusUnknown",
        ),
    ],
    ids=["all-good", "one-failed", "unknown"],
)
def test_work_conditions(
    manifests: list[list[dict[str, Any]]], applied: str, available: str
) -> None:
    """Work Applied and Available aggregate the manifests as OCM does."""
    out = {c["type"]: c for c in conditions.work_conditions(manifests, 3)}
    assert out["Applied"]["reason"] == applied
    assert out["Available"]["reason"] == available
    assert out["Applied"]["observedGeneration"] == 3


@pytest.mark.parametrize(
    ("kind_", "statuses", "expected"),
    [
        ("Complete", ["True", "True"], "True"),
        ("Complete", ["True", "False"], "False"),
        ("Complete", ["True", "Unknown"], "Unknown"),
        ("Progressing", ["False", "True"], "True"),
        ("Progressing", ["False", "False"], "False"),
        ("Progressing", ["False", "Unknown"], "Unknown"),
    ],
)
def test_rule_aggregation(kind_: str, statuses: list[str], expected: str) -> None:
    """Rule conditions: any False wins; for Progressing any True wins."""
    manifests = [_manifest(**{kind_: s}) for s in statuses]
    (condition,) = conditions.work_rules(manifests, 1)
    assert condition["status"] == expected and condition["reason"] == "ConditionRulesAggregated"


META = spec.ResourceMeta(0, "apps", "v1", "Deployment", "deployments", "web", "demo")


def test_well_known_feedback() -> None:
    """WellKnownStatus gives replica counts as Integers; absent fields are skipped."""
    obj = {**deployment(), "status": {"readyReplicas": 2, "replicas": 2}}
    result = feedback.collect([spec.FeedbackRule("WellKnownStatus")], META, obj)
    assert result.values == (
        {"name": "ReadyReplicas", "fieldValue": {"type": "Integer", "integer": 2}},
        {"name": "Replicas", "fieldValue": {"type": "Integer", "integer": 2}},
    )
    assert result.errors == ()


def test_jsonpaths_feedback_types_and_errors() -> None:
    """JSONPaths values are typed; a map, bad syntax or a wrong version is an error."""
    obj = {
        **deployment(),
        "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
        "status": {"paused": False, "conditions": [{"type": "Available", "status": "True"}]},
    }
    paths = (
        spec.JsonPath("label", ".metadata.labels['app.kubernetes.io/name']"),
        spec.JsonPath("paused", "{.status.paused}"),
        spec.JsonPath("avail", '.status.conditions[?(@.type=="Available")].status'),
        spec.JsonPath("first", ".status.conditions[0].type"),
        spec.JsonPath("missing", ".status.nothing"),
        spec.JsonPath("map", ".status"),
        spec.JsonPath("bad", ".status..x"),
        spec.JsonPath("old", ".status.paused", "v1beta1"),
    )
    result = feedback.collect([spec.FeedbackRule("JSONPaths", paths)], META, obj)
    values = {v["name"]: v["fieldValue"] for v in result.values}
    assert values == {
        "label": {"type": "String", "string": "web"},
        "paused": {"type": "Boolean", "boolean": False},
        "avail": {"type": "String", "string": "True"},
        "first": {"type": "String", "string": "Available"},
    }
    assert [e.split(":")[0] for e in result.errors] == ["map", "bad", "old"]
    synced = conditions.feedback_synced(result, 1)
    assert (synced["status"], synced["reason"]) == ("False", "StatusFeedbackSyncFailed")


def test_jsonpath_put_and_remove() -> None:
    """The path helpers edit nested maps in place."""
    obj: dict[str, Any] = {"spec": {}}
    assert jsonpath.put(obj, jsonpath.parse(".spec.a.b"), 1)
    assert obj == {"spec": {"a": {"b": 1}}}
    assert jsonpath.remove(obj, jsonpath.parse(".spec.a.b"))
    assert not jsonpath.remove(obj, jsonpath.parse(".spec.a.b"))


def test_condition_rules() -> None:
    """WellKnownConditions completes Jobs; CEL rules evaluate, and errors have OCM's reason."""
    job = {"kind": "Job", "status": {"conditions": [{"type": "Complete", "status": "True"}]}}
    rule_set = [
        spec.ConditionRule("Complete", "WellKnownConditions"),
        spec.ConditionRule(
            "Ready", "CEL", ("object.status.conditions.size() > 0",), "", "result ? 'yes' : 'no'"
        ),
        spec.ConditionRule("Broken", "CEL", ("object.status.nope.x == 1",)),
        spec.ConditionRule("Typed", "CEL", ("1 + 1",)),
    ]
    out = {c["type"]: c for c in rules.evaluate(rule_set, "Job", job)}
    assert (out["Complete"]["status"], out["Complete"]["reason"]) == (
        "True",
        "ConditionRuleEvaluated",
    )
    assert (out["Ready"]["status"], out["Ready"]["message"]) == ("True", "yes")
    assert (out["Broken"]["status"], out["Broken"]["reason"]) == (
        "False",
        "ConditionRuleExpressionError",
    )
    assert out["Typed"]["reason"] == "ConditionRuleExpressionError"
    assert rules.evaluate(rule_set, "Job", None) == []


def test_eviction_decisions() -> None:
    """Eviction starts once, fires after the grace period, and is cleared when the work returns."""
    t0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    hour = datetime.timedelta(hours=1)
    first = eviction.decide(None, missing=True, now=t0)
    assert first == eviction.Decision(t0, False)
    assert eviction.decide(t0, missing=True, now=t0 + hour).evict
    assert not eviction.decide(t0, missing=True, now=t0 + hour, grace=eviction.NEVER).evict
    assert eviction.decide(t0, missing=False, now=t0 + hour) == eviction.Decision(None, False)


def test_namespace_meta_is_cluster_scoped() -> None:
    """A cluster-scoped kind has an empty namespace; an unknown kind an empty resource."""
    assert spec.resource_meta(0, namespace(), resolve).namespace == ""
    widget = {"apiVersion": "x.io/v1", "kind": "Widget", "metadata": {"name": "w"}}
    meta = spec.resource_meta(1, widget, resolve)
    assert meta.resource == "" and plan.validate_manifest(meta, widget).startswith("no matches")
