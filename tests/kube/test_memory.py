"""In-memory semantics the contract tests do not reach: watch filtering, 410, simulation."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import memory, simulate, store


def cm(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "labels": labels},
    }


def test_watch_selector_moves_objects_in_and_out() -> None:
    """A labelled watch sees ADDED when an object gains the label and DELETED when it loses it."""
    kube = memory.MemoryCluster()
    start = kube.create(cm("a"))
    live = kube.update({**start, "metadata": {**start["metadata"], "labels": {"app": "x"}}})
    kube.update({**live, "metadata": {**live["metadata"], "labels": {}}})
    events = kube.watch(
        "v1",
        "ConfigMap",
        "default",
        resource_version=start["metadata"]["resourceVersion"],
        label_selector="app=x",
        timeout=0.2,
    )
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]


def test_watch_without_resource_version_starts_with_current_state() -> None:
    """A watch without resourceVersion first lists existing objects as ADDED."""
    kube = memory.MemoryCluster()
    kube.create(cm("a"))
    kube.create(cm("b"))
    events = kube.watch("v1", "ConfigMap", "default", timeout=0.1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
    ]


def test_watch_below_history_window_is_gone() -> None:
    """A resourceVersion that fell out of the event ring raises Gone."""
    kube = memory.MemoryCluster(store.Store(history=2))
    first = kube.create(cm("a"))
    for name in ("b", "c", "d"):
        kube.create(cm(name))
    with pytest.raises(cluster.Gone):
        list(
            kube.watch(
                "v1",
                "ConfigMap",
                resource_version=first["metadata"]["resourceVersion"],
                timeout=0.1,
            )
        )


def test_foreground_waits_for_dependents_with_finalizers() -> None:
    """A foreground-deleted owner stays while a dependent is held by a finalizer."""
    kube = memory.MemoryCluster()
    owner = kube.create(cm("owner"))
    child = cm("child")
    child["metadata"]["finalizers"] = ["example.com/hold"]
    child["metadata"]["ownerReferences"] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    ]
    kube.create(child)
    kube.delete("v1", "ConfigMap", "owner", "default", propagation="Foreground")
    held = kube.get("v1", "ConfigMap", "owner", "default")
    assert held is not None and "foregroundDeletion" in held["metadata"]["finalizers"]
    live_child = kube.get("v1", "ConfigMap", "child", "default")
    assert live_child is not None
    kube.update({**live_child, "metadata": {**live_child["metadata"], "finalizers": []}})
    assert kube.get("v1", "ConfigMap", "owner", "default") is None


@pytest.mark.parametrize(
    ("kind", "spec", "field", "value"),
    [
        ("Deployment", {"replicas": 3}, "readyReplicas", 3),
        ("StatefulSet", {"replicas": 2}, "currentReplicas", 2),
        ("DaemonSet", {}, "numberReady", 1),
        ("Job", {"completions": 2}, "succeeded", 2),
    ],
)
def test_simulated_status(kind: str, spec: dict[str, Any], field: str, value: int) -> None:
    """Simulation reports healthy workloads."""
    obj = {"kind": kind, "metadata": {"generation": 4}, "spec": spec}
    status = simulate.simulated_status(obj, "2026-01-01T00:00:00Z")
    assert status is not None and status[field] == value


def test_simulator_writes_status_once() -> None:
    """The simulator writes status through the subresource and then has nothing more to do."""
    kube = memory.MemoryCluster()
    kube.create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "j", "namespace": "default"},
            "spec": {},
        }
    )
    simulator = simulate.Simulator(kube.store)
    assert simulator.reconcile_once() == 1
    assert simulator.reconcile_once() == 0
    job = kube.get("batch/v1", "Job", "j", "default")
    assert job is not None and job["status"]["succeeded"] == 1
