"""Server-side apply field ownership (pure functions of ``ssa``) and its store-level behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import memory, ssa


def write(manager: str) -> ssa.Write:
    return ssa.Write(manager=manager, api_version="apps/v1", time="2026-01-01T00:00:00Z")


def deployment(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": spec,
    }


def test_leaves_use_fieldsv1_keys_for_merged_lists() -> None:
    """Containers are keyed by name (k:{...}) and the item itself is owned."""
    obj = deployment(template={"spec": {"containers": [{"name": "c", "image": "i"}]}})
    tree = ssa.to_fields_v1(frozenset(ssa.leaves(obj, "all", builtin=True)))
    item = tree["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"c"}']
    assert item == {".": {}, "f:image": {}, "f:name": {}}


def test_fields_v1_round_trip() -> None:
    """Encoding then decoding owned paths gives the same set."""
    obj = deployment(replicas=1, template={"spec": {"containers": [{"name": "c", "image": "i"}]}})
    paths = frozenset(ssa.leaves(obj, "all", builtin=True))
    assert ssa.from_fields_v1(ssa.to_fields_v1(paths)) == paths


def test_same_value_is_shared_not_conflicting() -> None:
    """Two managers applying the same value both own it."""
    live, _ = ssa.apply(None, deployment(replicas=1), write("one"), force=False)
    live["metadata"]["managedFields"] = ssa.encode(
        ssa.apply(None, deployment(replicas=1), write("one"), force=False)[1]
    )
    _, entries = ssa.apply(live, deployment(replicas=1), write("two"), force=False)
    assert sorted(e.manager for e in entries if ("f:spec", "f:replicas") in e.fields) == [
        "one",
        "two",
    ]


def test_conflict_names_field_and_manager() -> None:
    """A different value owned by another manager conflicts, naming the field path."""
    live, entries = ssa.apply(None, deployment(replicas=1), write("one"), force=False)
    live["metadata"]["managedFields"] = ssa.encode(entries)
    with pytest.raises(cluster.Conflict) as caught:
        ssa.apply(live, deployment(replicas=2), write("two"), force=False)
    assert caught.value.details["causes"][0]["field"] == ".spec.replicas"
    assert 'conflict with "one"' in caught.value.message


@pytest.mark.parametrize(
    ("second", "expected_names"),
    [
        ([{"name": "a", "image": "1"}], ["a"]),
        ([{"name": "a", "image": "1"}, {"name": "c", "image": "3"}], ["a", "c"]),
    ],
    ids=["drop-b", "drop-b-add-c"],
)
def test_list_items_removed_when_no_longer_applied(
    second: list[Any], expected_names: list[str]
) -> None:
    """Containers a manager stops applying are removed; the rest stay merged by name."""
    cluster_ = memory.MemoryCluster()
    first = [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]
    obj = {
        **deployment(template={"spec": {"containers": first}}),
        "metadata": {"name": "web", "namespace": "default"},
    }
    cluster_.apply(obj, field_manager="m")
    obj["spec"] = {"template": {"spec": {"containers": second}}}
    result = cluster_.apply(obj, field_manager="m")
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == expected_names


def test_update_takes_ownership_from_applier() -> None:
    """A plain update that changes an applied field moves ownership to the updater."""
    cluster_ = memory.MemoryCluster(manager="editor")
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "default"},
    }
    live = cluster_.apply({**cm, "data": {"k": "1"}}, field_manager="applier")
    updated = cluster_.update({**live, "data": {"k": "2"}})
    owners = {e["manager"]: e["fieldsV1"] for e in updated["metadata"]["managedFields"]}
    assert owners == {"editor": {"f:data": {"f:k": {}}}}


def test_labels_removed_when_no_longer_applied() -> None:
    """Labels dropped from the applied configuration are removed from the object."""
    cluster_ = memory.MemoryCluster()
    meta = {"name": "a", "namespace": "default", "labels": {"keep": "1", "drop": "1"}}
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    cluster_.apply(cm, field_manager="m")
    result = cluster_.apply(
        {**cm, "metadata": {**meta, "labels": {"keep": "1"}}}, field_manager="m"
    )
    assert result["metadata"]["labels"] == {"keep": "1"}


def test_noop_apply_keeps_resource_version() -> None:
    """Re-applying the same configuration writes nothing."""
    cluster_ = memory.MemoryCluster()
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "namespace": "default"},
        "data": {"k": "v"},
    }
    first = cluster_.apply(cm, field_manager="m")
    again = cluster_.apply(cm, field_manager="m")
    assert again["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
