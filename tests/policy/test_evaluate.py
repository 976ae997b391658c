"""Tests for ConfigurationPolicy evaluation: messages, enforce changes, selectors, unnamed."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from gitops_ocm.policy import evaluate as ev
from gitops_ocm.policy.live import MemoryView, ObjectRef, resource_name

NOW = "2026-01-01T00:00:00Z"


def ns(name: str, **labels: str) -> dict[str, Any]:
    """A Namespace object."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def cm(name: str, namespace: str, data: dict[str, str], **labels: str) -> dict[str, Any]:
    """A ConfigMap object."""
    metadata = {"name": name, "namespace": namespace, "labels": labels, "uid": f"uid-{name}"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def pod(name: str, namespace: str, ports: list[int]) -> dict[str, Any]:
    """A Pod with one nginx container exposing ``ports``."""
    container = {
        "name": "nginx",
        "image": "nginx:1.7.9",
        "ports": [{"containerPort": p} for p in ports],
    }
    metadata = {"name": name, "namespace": namespace}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": [container]},
    }


def policy(*templates: dict[str, Any], remediation: str = "inform", **spec: Any) -> dict[str, Any]:
    """A ConfigurationPolicy with the given object templates."""
    return {
        "apiVersion": "policy.open-cluster-management.io/v1",
        "kind": "ConfigurationPolicy",
        "metadata": {"name": "p", "namespace": "cluster1"},
        "spec": {"remediationAction": remediation, "object-templates": list(templates), **spec},
    }


def tmpl(obj: dict[str, Any], ctype: str = "musthave", **extra: Any) -> dict[str, Any]:
    """An object template."""
    return {"complianceType": ctype, "objectDefinition": obj, **extra}


def cm_def(name: str | None, namespace: str | None, data: dict[str, str]) -> dict[str, Any]:
    """A ConfigMap object definition (name/namespace optional)."""
    metadata = {k: v for k, v in (("name", name), ("namespace", namespace)) if v}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


BASE = [ns("default"), ns("prod", env="prod"), ns("dev", env="dev"), ns("kube-system")]

MESSAGES = [
    (
        "cluster-scoped-found",
        policy(tmpl({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}})),
        [],
        "Compliant; notification - namespaces [prod] found as specified",
    ),
    (
        "configmap-not-found",
        policy(tmpl(cm_def("x", "default", {"a": "1"}))),
        [],
        "NonCompliant; violation - configmaps [x] not found in namespace default",
    ),
    (
        "configmap-found-not-as-specified",
        policy(tmpl(cm_def("x", "default", {"a": "1"}))),
        [cm("x", "default", {"a": "2"})],
        "NonCompliant; violation - configmaps [x] found but not as specified in namespace default",
    ),
    (
        "pod-port-missing-ocm-dry-run-example",
        policy(
            tmpl(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "nginx-pod", "namespace": "default"},
                    "spec": {"containers": [{"name": "nginx", "ports": [{"containerPort": 8080}]}]},
                }
            )
        ),
        [pod("nginx-pod", "default", [80])],
        "NonCompliant; violation - pods [nginx-pod] found but not as specified "
        "in namespace default",
    ),
    (
        "mustnothave-found",
        policy(tmpl(cm_def("x", "default", {}), "mustnothave")),
        [cm("x", "default", {})],
        "NonCompliant; violation - configmaps [x] found in namespace default",
    ),
    (
        "mustnothave-missing",
        policy(tmpl(cm_def("x", "default", {}), "mustnothave")),
        [],
        "Compliant; notification - configmaps [x] missing as expected in namespace default",
    ),
    (
        "selector-two-namespaces-one-missing",
        policy(
            tmpl(cm_def("x", None, {"a": "1"})),
            namespaceSelector={"include": ["prod", "dev"]},
        ),
        [cm("x", "prod", {"a": "1"})],
        "NonCompliant; violation - configmaps [x] not found in namespace dev",
    ),
    (
        "selector-all-found",
        policy(tmpl(cm_def("x", None, {"a": "1"})), namespaceSelector={"matchLabels": {}}),
        [cm("x", n, {"a": "1"}) for n in ("default", "dev", "kube-system", "prod")],
        "Compliant; notification - configmaps [x] found as specified in namespaces: "
        "default, dev, kube-system, prod",
    ),
    (
        "no-namespace",
        policy(tmpl(cm_def("x", None, {}))),
        [],
        "NonCompliant; violation - namespaced object x of kind ConfigMap has no namespace "
        "specified from the policy namespaceSelector nor the object metadata",
    ),
    (
        "two-templates",
        policy(
            tmpl({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}),
            tmpl(cm_def("x", "default", {})),
        ),
        [],
        "NonCompliant; notification - namespaces [prod] found as specified; "
        "violation - configmaps [x] not found in namespace default",
    ),
    (
        "unnamed-musthave-any-match",
        policy(tmpl(cm_def(None, "default", {"a": "1"}))),
        [cm("y", "default", {"a": "1", "b": "2"}), cm("z", "default", {"a": "2"})],
        "Compliant; notification - configmaps [y] found as specified in namespace default",
    ),
    (
        "unnamed-musthave-none-match",
        policy(tmpl(cm_def(None, "default", {"a": "1"}))),
        [cm("z", "default", {"a": "2"})],
        "NonCompliant; violation - configmaps found but not as specified in namespace default",
    ),
    (
        "unnamed-musthave-none-exist",
        policy(tmpl(cm_def(None, "default", {"a": "1"}))),
        [],
        "NonCompliant; violation - configmaps not found in namespace default",
    ),
    (
        "unnamed-mustnothave-matches",
        policy(tmpl(cm_def(None, "default", {"a": "1"}), "mustnothave")),
        [cm("y", "default", {"a": "1"}), cm("w", "default", {"a": "1"})],
        "NonCompliant; violation - configmaps [w, y] found in namespace default",
    ),
    (
        "unnamed-mustnothave-other-values-ok",
        policy(tmpl(cm_def(None, "default", {"a": "1"}), "mustnothave")),
        [cm("y", "default", {"a": "2"})],
        "Compliant; notification - configmaps missing as expected in namespace default",
    ),
]


@pytest.mark.parametrize(
    ("config", "objects", "expected"), [c[1:] for c in MESSAGES], ids=[c[0] for c in MESSAGES]
)
def test_message(config: dict[str, Any], objects: list[dict[str, Any]], expected: str) -> None:
    """The compliance event message uses OCM's exact wording."""
    evaluation = ev.evaluate(config, MemoryView.of(BASE + objects), now=NOW)
    assert ev.message(evaluation) == expected
    assert evaluation.compliant == expected.split(";")[0]


def changes(config: dict[str, Any], objects: list[dict[str, Any]], **kw: Any) -> list[str]:
    """The readable enforce changes for a policy against objects."""
    evaluation = ev.evaluate(config, MemoryView.of(BASE + objects), now=NOW, **kw)
    return ev.sequence_of(evaluation.changes)


ENFORCE = [
    (
        "create-missing",
        tmpl(cm_def("x", "default", {"a": "1"})),
        [],
        ["create ConfigMap default/x"],
    ),
    (
        "compliant-no-change",
        tmpl(cm_def("x", "default", {"a": "1"})),
        [cm("x", "default", {"a": "1"})],
        [],
    ),
    (
        "update-mismatch",
        tmpl(cm_def("x", "default", {"a": "1"})),
        [cm("x", "default", {"a": "2"})],
        ["update ConfigMap default/x"],
    ),
    (
        "delete-mustnothave",
        tmpl(cm_def("x", "default", {}), "mustnothave"),
        [cm("x", "default", {})],
        ["delete ConfigMap default/x"],
    ),
    (
        "unnamed-is-inform-only",
        tmpl(cm_def(None, "default", {"a": "1"})),
        [cm("y", "default", {"a": "2"})],
        [],
    ),
]


@pytest.mark.parametrize(
    ("template", "objects", "expected"), [c[1:] for c in ENFORCE], ids=[c[0] for c in ENFORCE]
)
def test_enforce_changes(
    template: dict[str, Any], objects: list[dict[str, Any]], expected: list[str]
) -> None:
    """Enforce creates missing objects, updates mismatched ones, deletes unwanted ones."""
    assert changes(policy(template, remediation="enforce"), objects) == expected


def test_enforce_reports_state_after_change() -> None:
    """An enforced create is reported as OCM does: compliant, 'was created successfully'."""
    evaluation = ev.evaluate(
        policy(tmpl(cm_def("x", "default", {})), remediation="enforce"),
        MemoryView.of(BASE),
        now=NOW,
    )
    assert ev.message(evaluation) == (
        "Compliant; notification - configmaps [x] was created successfully in namespace default"
    )
    assert evaluation.related_objects[0].created_by_policy is True


def test_musthave_update_appends_list_item() -> None:
    """musthave enforce writes the live list with the template's port added."""
    template = tmpl(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default"},
            "spec": {"containers": [{"name": "nginx", "ports": [{"containerPort": 8080}]}]},
        }
    )
    evaluation = ev.evaluate(
        policy(template, remediation="enforce"), MemoryView.of([pod("p", "default", [80])]), now=NOW
    )
    (update,) = evaluation.changes
    assert isinstance(update, ev.Update)
    ports = update.obj["spec"]["containers"][0]["ports"]
    assert ports == [{"containerPort": 8080}, {"containerPort": 80}]
    assert update.obj["spec"]["containers"][0]["image"] == "nginx:1.7.9"


def test_mustonlyhave_update_replaces_and_drops_extra_keys() -> None:
    """mustonlyhave enforce replaces the templated field and removes other top-level keys."""
    live = cm("x", "default", {"a": "1", "b": "2"})
    live["binaryData"] = {"k": "AA=="}
    evaluation = ev.evaluate(
        policy(tmpl(cm_def("x", "default", {"a": "1"}), "mustonlyhave"), remediation="enforce"),
        MemoryView.of([live]),
        now=NOW,
    )
    (update,) = evaluation.changes
    assert isinstance(update, ev.Update)
    assert update.obj["data"] == {"a": "1"}
    assert "binaryData" not in update.obj
    assert update.obj["metadata"]["uid"] == "uid-x"


@pytest.mark.parametrize(
    ("policy_action", "override", "expected"),
    [
        ("inform", "Enforce", ["create ConfigMap default/x"]),
        ("enforce", "INFORM", []),
        ("Enforce", None, ["create ConfigMap default/x"]),
    ],
    ids=["override-enforce", "override-inform", "template-any-case"],
)
def test_remediation_override(
    policy_action: str, override: str | None, expected: list[str]
) -> None:
    """The Policy's remediationAction (any case) overrides the template's."""
    config = policy(tmpl(cm_def("x", "default", {})), remediation=policy_action)
    assert changes(config, [], remediation_override=override) == expected


def test_status_mismatch_cannot_be_enforced() -> None:
    """A templated status that differs is a violation even when enforced, with no update."""
    definition = cm_def("x", "default", {"a": "1"})
    definition["status"] = {"phase": "Ready"}
    live = cm("x", "default", {"a": "1"})
    live["status"] = {"phase": "Pending"}
    evaluation = ev.evaluate(
        policy(tmpl(definition), remediation="enforce"), MemoryView.of([live]), now=NOW
    )
    assert evaluation.compliant == "NonCompliant"
    assert evaluation.changes == ()


@pytest.mark.parametrize(
    ("string_data", "compliant"),
    [({"password": "s3cret"}, "Compliant"), ({"password": "other"}, "NonCompliant")],
    ids=["decoded-equal", "decoded-differs"],
)
def test_secret_string_data(string_data: dict[str, str], compliant: str) -> None:
    """A Secret's stringData is compared with the base64-decoded live data."""
    encoded = base64.b64encode(b"s3cret").decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "default"},
        "type": "Opaque",
        "data": {"password": encoded},
    }
    definition = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "default"},
        "stringData": string_data,
    }
    for ctype in ("musthave", "mustonlyhave"):
        evaluation = ev.evaluate(policy(tmpl(definition, ctype)), MemoryView.of([secret]), now=NOW)
        assert evaluation.compliant == compliant
        assert "s3cret" not in str(evaluation.to_status())


@pytest.mark.parametrize(
    ("labels", "md_type", "compliant"),
    [
        ({"team": "a"}, None, "Compliant"),
        ({"team": "a"}, "mustonlyhave", "NonCompliant"),
        ({"team": "b"}, None, "NonCompliant"),
    ],
    ids=["labels-subset", "metadata-mustonlyhave-extra-label", "label-differs"],
)
def test_metadata_labels(labels: dict[str, str], md_type: str | None, compliant: str) -> None:
    """Labels are compared with metadataComplianceType; other metadata is ignored."""
    definition = cm_def("x", "default", {})
    definition["metadata"]["labels"] = labels
    extra = {"metadataComplianceType": md_type} if md_type else {}
    live = cm("x", "default", {}, team="a", tier="web")
    evaluation = ev.evaluate(policy(tmpl(definition, **extra)), MemoryView.of([live]), now=NOW)
    assert evaluation.compliant == compliant


def test_severity_and_status_shape() -> None:
    """Severity is carried and the status has OCM's fields."""
    config = policy(tmpl(cm_def("x", "default", {})), severity="high")
    evaluation = ev.evaluate(config, MemoryView.of([cm("x", "default", {})]), now=NOW)
    assert evaluation.severity == "high"
    status = evaluation.to_status()
    assert status["compliancyDetails"][0]["conditions"][0]["type"] == "notification"
    assert status["relatedObjects"][0] == {
        "object": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "namespace": "default"},
        },
        "compliant": "Compliant",
        "reason": "Resource found as expected",
        "properties": {"createdByPolicy": False, "uid": "uid-x"},
    }


def test_created_by_policy_is_remembered() -> None:
    """createdByPolicy carries over from the previous status while the uid is unchanged."""
    config = policy(tmpl(cm_def("x", "default", {})))
    ref = ObjectRef("v1", "ConfigMap", "default", "x")
    config["status"] = {
        "relatedObjects": [
            {"object": ref.to_dict(), "properties": {"createdByPolicy": True, "uid": "uid-x"}}
        ]
    }
    evaluation = ev.evaluate(config, MemoryView.of([cm("x", "default", {})]), now=NOW)
    assert evaluation.related_objects[0].created_by_policy is True


def test_unnamed_related_objects_condensed() -> None:
    """An unnamed template with no match records one condensed related object named '-'."""
    evaluation = ev.evaluate(
        policy(tmpl(cm_def(None, "default", {"a": "1"}))), MemoryView.of(BASE), now=NOW
    )
    assert [r.ref.name for r in evaluation.related_objects] == ["-"]


@pytest.mark.parametrize(
    ("kind", "plural"),
    [
        ("ConfigMap", "configmaps"),
        ("NetworkPolicy", "networkpolicies"),
        ("Ingress", "ingresses"),
        ("Endpoints", "endpoints"),
    ],
)
def test_resource_name(kind: str, plural: str) -> None:
    """Messages use the plural resource name."""
    assert resource_name(kind) == plural
