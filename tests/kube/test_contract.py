"""The Cluster contract, run against the in-memory cluster and REST via the kubernetes client."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.kube import cluster

CM = {"apiVersion": "v1", "kind": "ConfigMap"}


def configmap(name: str, data: dict[str, str], **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "default"}
    if labels:
        meta["labels"] = labels
    return {**CM, "metadata": meta, "data": data}


def deployment(name: str, replicas: int = 1, image: str = "nginx") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": image}]},
            },
        },
    }


def test_create_sets_server_metadata(any_cluster: cluster.Cluster) -> None:
    """Create assigns uid, resourceVersion and creationTimestamp."""
    created = any_cluster.create(configmap("a", {"k": "v"}))
    meta = created["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"]
    assert any_cluster.get("v1", "ConfigMap", "a", "default") == created


def test_create_twice_is_already_exists(any_cluster: cluster.Cluster) -> None:
    """Creating an existing name raises AlreadyExists."""
    any_cluster.create(configmap("a", {}))
    with pytest.raises(cluster.AlreadyExists):
        any_cluster.create(configmap("a", {}))


def test_get_missing_is_none(any_cluster: cluster.Cluster) -> None:
    """Getting a missing object returns None."""
    assert any_cluster.get("v1", "ConfigMap", "nope", "default") is None


def test_update_with_stale_resource_version_conflicts(any_cluster: cluster.Cluster) -> None:
    """An update carrying an old resourceVersion raises Conflict (409)."""
    created = any_cluster.create(configmap("a", {"k": "1"}))
    updated = any_cluster.update({**created, "data": {"k": "2"}})
    assert updated["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    with pytest.raises(cluster.Conflict):
        any_cluster.update({**created, "data": {"k": "3"}})


def test_noop_update_keeps_resource_version(any_cluster: cluster.Cluster) -> None:
    """Writing an unchanged object does not bump resourceVersion."""
    created = any_cluster.create(configmap("a", {"k": "1"}))
    again = any_cluster.update(created)
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_generation_bumps_on_spec_changes_only(any_cluster: cluster.Cluster) -> None:
    """generation starts at 1, bumps on spec changes, not on label or status changes."""
    first = any_cluster.apply(deployment("web"), field_manager="t")
    assert first["metadata"]["generation"] == 1
    labelled = deployment("web")
    labelled["metadata"]["labels"] = {"x": "y"}
    assert any_cluster.apply(labelled, field_manager="t")["metadata"]["generation"] == 1
    status = {
        **any_cluster.get("apps/v1", "Deployment", "web", "default"),
        "status": {"replicas": 1},
    }
    assert any_cluster.update_status(status)["metadata"]["generation"] == 1
    scaled = {**labelled, "spec": {**labelled["spec"], "replicas": 3}}
    assert any_cluster.apply(scaled, field_manager="t")["metadata"]["generation"] == 2


def test_status_is_kept_apart_from_spec(any_cluster: cluster.Cluster) -> None:
    """A main-resource write ignores status; a status write ignores spec."""
    any_cluster.apply(deployment("web"), field_manager="t")
    live = any_cluster.get("apps/v1", "Deployment", "web", "default")
    assert live is not None
    with_status = any_cluster.update_status(
        {**live, "spec": {**live["spec"], "replicas": 9}, "status": {"readyReplicas": 1}}
    )
    assert with_status["spec"]["replicas"] == 1
    assert with_status["status"] == {"readyReplicas": 1}
    rewritten = any_cluster.update({**with_status, "status": {"readyReplicas": 5}})
    assert rewritten["status"] == {"readyReplicas": 1}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["a"]),
        ("app!=web", ["b", "c"]),
        ("app in (web,db)", ["a", "b"]),
        ("app notin (web)", ["b", "c"]),
        ("tier", ["a"]),
        ("!tier", ["b", "c"]),
        ("app=web,tier=front", ["a"]),
        ("", ["a", "b", "c"]),
    ],
    ids=["eq", "neq", "in", "notin", "exists", "not-exists", "and", "all"],
)
def test_list_by_label_selector(
    any_cluster: cluster.Cluster, selector: str, expected: list[str]
) -> None:
    """Label selectors filter lists with the full selector syntax."""
    any_cluster.create(configmap("a", {}, app="web", tier="front"))
    any_cluster.create(configmap("b", {}, app="db"))
    any_cluster.create(configmap("c", {}))
    found = any_cluster.list("v1", "ConfigMap", "default", label_selector=selector)
    assert [o["metadata"]["name"] for o in found] == expected


def test_list_by_field_selector(any_cluster: cluster.Cluster) -> None:
    """Field selectors filter on metadata.name."""
    any_cluster.create(configmap("a", {}))
    any_cluster.create(configmap("b", {}))
    found = any_cluster.list("v1", "ConfigMap", "default", field_selector="metadata.name=b")
    assert [o["metadata"]["name"] for o in found] == ["b"]


def test_delete_returns_whether_it_existed(any_cluster: cluster.Cluster) -> None:
    """Delete returns True for an existing object and False afterwards."""
    any_cluster.create(configmap("a", {}))
    assert any_cluster.delete("v1", "ConfigMap", "a", "default") is True
    assert any_cluster.delete("v1", "ConfigMap", "a", "default") is False


def test_delete_with_wrong_uid_conflicts(any_cluster: cluster.Cluster) -> None:
    """A uid precondition that does not match raises Conflict and keeps the object."""
    any_cluster.create(configmap("a", {}))
    with pytest.raises(cluster.Conflict):
        any_cluster.delete("v1", "ConfigMap", "a", "default", uid="not-the-uid")
    assert any_cluster.get("v1", "ConfigMap", "a", "default") is not None


def test_finalizers_hold_deletion(any_cluster: cluster.Cluster) -> None:
    """An object with finalizers gets deletionTimestamp and goes once they are removed."""
    obj = configmap("a", {})
    obj["metadata"]["finalizers"] = ["example.com/hold"]
    any_cluster.create(obj)
    any_cluster.delete("v1", "ConfigMap", "a", "default")
    held = any_cluster.get("v1", "ConfigMap", "a", "default")
    assert held is not None and held["metadata"]["deletionTimestamp"]
    held["metadata"]["finalizers"] = []
    any_cluster.update(held)
    assert any_cluster.get("v1", "ConfigMap", "a", "default") is None


@pytest.mark.parametrize(
    ("propagation", "child_survives"),
    [("Background", False), ("Foreground", False), ("Orphan", True)],
)
def test_owner_reference_garbage_collection(
    any_cluster: cluster.Cluster, propagation: str, child_survives: bool
) -> None:
    """Deleting an owner deletes its dependents unless they are orphaned."""
    owner = any_cluster.create(configmap("owner", {}))
    child = configmap("child", {})
    child["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    ]
    any_cluster.create(child)
    any_cluster.delete("v1", "ConfigMap", "owner", "default", propagation=propagation)
    assert any_cluster.get("v1", "ConfigMap", "owner", "default") is None
    survivor = any_cluster.get("v1", "ConfigMap", "child", "default")
    assert (survivor is not None) is child_survives
    if survivor is not None:
        assert "ownerReferences" not in survivor["metadata"]


def test_generate_name(any_cluster: cluster.Cluster) -> None:
    """generateName yields a unique name with the prefix."""
    obj = {**CM, "metadata": {"generateName": "job-", "namespace": "default"}}
    names = {any_cluster.create(obj)["metadata"]["name"] for _ in range(3)}
    assert len(names) == 3 and all(n.startswith("job-") and len(n) == 9 for n in names)


def test_missing_namespace_is_not_found(any_cluster: cluster.Cluster) -> None:
    """Creating in a namespace that does not exist raises NotFound."""
    obj = configmap("a", {})
    obj["metadata"]["namespace"] = "missing"
    with pytest.raises(cluster.NotFound):
        any_cluster.create(obj)


def test_namespace_deletion_removes_contents(any_cluster: cluster.Cluster) -> None:
    """Deleting a namespace deletes what it contains, then the namespace."""
    any_cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    obj = configmap("a", {})
    obj["metadata"]["namespace"] = "team"
    any_cluster.create(obj)
    any_cluster.delete("v1", "Namespace", "team")
    assert any_cluster.get("v1", "ConfigMap", "a", "team") is None
    assert any_cluster.get("v1", "Namespace", "team") is None


def test_crd_registers_a_new_kind(any_cluster: cluster.Cluster) -> None:
    """Creating a CRD makes its kind servable; deleting it removes the kind and its objects."""
    any_cluster.create(widget_crd())
    assert any_cluster.resource_for("example.com/v1", "Widget") == cluster.ResourceInfo(
        "example.com/v1", "Widget", "widgets", True
    )
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    widget["spec"] = {"size": 1}
    applied = any_cluster.apply(widget, field_manager="t")
    assert applied["metadata"]["generation"] == 1
    any_cluster.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.com")
    assert any_cluster.resource_for("example.com/v1", "Widget") is None


def widget_crd() -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }


def test_apply_creates_then_updates_and_tracks_managers(any_cluster: cluster.Cluster) -> None:
    """Server-side apply creates, records the manager in managedFields, and updates."""
    created = any_cluster.apply(configmap("a", {"k": "1"}), field_manager="agent")
    entries = created["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"]) for e in entries] == [("agent", "Apply")]
    assert entries[0]["fieldsV1"] == {"f:data": {"f:k": {}}}
    updated = any_cluster.apply(configmap("a", {"k": "2"}), field_manager="agent")
    assert updated["data"] == {"k": "2"}


def test_apply_conflict_and_force(any_cluster: cluster.Cluster) -> None:
    """Another manager's apply of a different value conflicts; force takes the field over."""
    any_cluster.apply(configmap("a", {"k": "1"}), field_manager="one")
    with pytest.raises(cluster.Conflict, match="one"):
        any_cluster.apply(configmap("a", {"k": "2"}), field_manager="two")
    forced = any_cluster.apply(configmap("a", {"k": "2"}), field_manager="two", force=True)
    assert forced["data"] == {"k": "2"}
    assert [e["manager"] for e in forced["metadata"]["managedFields"]] == ["two"]


def test_apply_removes_fields_the_manager_stopped_applying(any_cluster: cluster.Cluster) -> None:
    """A field a manager no longer applies is removed, unless someone else owns it."""
    any_cluster.apply(configmap("a", {"k": "1", "gone": "x", "shared": "s"}), field_manager="one")
    any_cluster.apply(configmap("a", {"shared": "s"}), field_manager="two")
    result = any_cluster.apply(configmap("a", {"k": "1"}), field_manager="one")
    assert result["data"] == {"k": "1", "shared": "s"}


def test_watch_streams_changes(any_cluster: cluster.Cluster) -> None:
    """A watch from a resourceVersion yields ADDED, MODIFIED and DELETED in order."""
    start = any_cluster.create(configmap("first", {}))
    any_cluster.create(configmap("a", {"k": "1"}))
    any_cluster.apply(configmap("a", {"k": "2"}), field_manager="t", force=True)
    any_cluster.delete("v1", "ConfigMap", "a", "default")
    events = any_cluster.watch(
        "v1",
        "ConfigMap",
        "default",
        resource_version=start["metadata"]["resourceVersion"],
        timeout=1,
    )
    seen = [(e["type"], e["object"]["metadata"]["name"]) for e in events]
    assert seen == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]


def test_server_version(any_cluster: cluster.Cluster) -> None:
    """The server reports a Kubernetes-style gitVersion."""
    assert any_cluster.server_version().startswith("v1.")
