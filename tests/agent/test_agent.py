"""The agent loop on an in-memory cluster against a real bare hub repository."""

from __future__ import annotations

import datetime
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from kubekit import (
    agent,
    at,
    configmap,
    deployment,
    manifest_conditions,
    namespace,
    new_hub,
    work,
    work_conditions,
)

from gitops_ocm.agent import loop, results
from gitops_ocm.kube import cluster as cluster_errors
from gitops_ocm.localkube import memory, simulate
from gitops_ocm.work import plan


def cm_data(kube: memory.MemoryCluster, name: str) -> dict[str, str] | None:
    obj = kube.get("v1", "ConfigMap", name, "demo")
    return None if obj is None else obj.get("data")


def test_once_applies_in_order_and_reports(tmp_path: Path) -> None:
    """A pass applies the work, records its inventory and commits a report with the lease."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [configmap("a", x="1"), namespace()])}})
    kube = memory.MemoryCluster()
    result = agent(hub, tmp_path, kube=kube).run_once(at(0))
    assert result.failures == () and result.pushed and result.written == 2
    assert cm_data(kube, "a") == {"x": "1"}
    (amw,) = kube.list("work.open-cluster-management.io/v1", "AppliedManifestWork")
    applied = amw["status"]["appliedResources"]
    assert {r["resource"] for r in applied} == {"configmaps", "namespaces"}
    owner = kube.get("v1", "ConfigMap", "a", "demo")["metadata"]["ownerReferences"]  # type: ignore[index]
    assert owner[0]["kind"] == "AppliedManifestWork" and owner[0]["uid"] == amw["metadata"]["uid"]
    report = hub.report("c1")
    assert set(report) == {
        "cluster.yaml",
        "lease.yaml",
        "manifestworks/w1.yaml",
        "registration.yaml",
    }
    assert work_conditions(report["manifestworks/w1.yaml"])["Applied"]["status"] == "True"
    assert report["lease.yaml"]["spec"]["renewTime"] == "2025-01-01T00:00:00.000000Z"
    conds = {c["type"]: c["reason"] for c in report["cluster.yaml"]["status"]["conditions"]}
    assert conds == {
        "ManagedClusterJoined": "ManagedClusterJoined",
        "ManagedClusterConditionAvailable": "ManagedClusterAvailable",
        "HubVerified": "Verified",
    }


def test_report_commits_only_on_change_or_lease(tmp_path: Path) -> None:
    """An unchanged pass commits nothing; a due lease or a changed status commits."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [configmap("a", x="1")])}}, lease_seconds=60)
    one = agent(hub, tmp_path)
    one.run_once(at(0))
    assert not one.run_once(at(30)).report_created
    assert hub.report_commits("c1") == 1
    assert one.run_once(at(61)).report_created
    assert hub.report("c1")["lease.yaml"]["spec"]["renewTime"].startswith("2025-01-01T00:01:01")
    hub.publish({"c1": {"w1": work("w1", [configmap("a", x="1"), configmap("b")])}})
    assert one.run_once(at(70)).report_created
    assert hub.report_commits("c1") == 3
    cond = work_conditions(hub.report("c1")["manifestworks/w1.yaml"])["Applied"]
    assert cond["lastTransitionTime"] == "2025-01-01T00:00:00Z"
    assert cond["observedGeneration"] == 2


def test_drift_is_corrected_on_next_pass(tmp_path: Path) -> None:
    """A manual edit of an applied object is reverted by the next pass (Update strategy)."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="1")])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    live = kube.get("v1", "ConfigMap", "a", "demo")
    assert live is not None
    kube.update({**live, "data": {"x": "edited"}})
    assert one.run_once(at(10)).written == 1
    assert cm_data(kube, "a") == {"x": "1"}


def _config(name: str, kind_: str, **ssa: Any) -> dict[str, Any]:
    return {
        "resourceIdentifier": {"resource": "configmaps", "name": name, "namespace": "demo"},
        "updateStrategy": {"type": kind_, **({"serverSideApply": ssa} if ssa else {})},
    }


def test_strategies_create_only_read_only_and_ssa_conflict(tmp_path: Path) -> None:
    """CreateOnly never overwrites, ReadOnly never writes, an SSA conflict is Applied False."""
    kube = memory.MemoryCluster()
    kube.create(namespace())
    kube.create(configmap("ro", x="theirs"))
    kube.apply(configmap("ssa", x="theirs"), field_manager="someone-else")
    configs = [
        _config("co", "CreateOnly"),
        _config("ro", "ReadOnly"),
        _config("ssa", "ServerSideApply"),
        _config("forced", "ServerSideApply", force=True),
    ]
    kube.apply(configmap("forced", x="theirs"), field_manager="someone-else")
    manifests = [
        configmap("co", x="1"),
        configmap("ro", x="ours"),
        configmap("ssa", x="ours"),
        configmap("forced", x="ours"),
    ]
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", manifests, manifestConfigs=configs)}})
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    live = kube.get("v1", "ConfigMap", "co", "demo")
    assert live is not None
    kube.update({**live, "data": {"x": "changed"}})
    hub.publish(
        {
            "c1": {
                "w1": work("w1", [configmap("co", x="2"), *manifests[1:]], manifestConfigs=configs)
            }
        }
    )
    one.run_once(at(10))
    assert cm_data(kube, "co") == {"x": "changed"}
    assert cm_data(kube, "ro") == {"x": "theirs"}
    assert "ownerReferences" not in kube.get("v1", "ConfigMap", "ro", "demo")["metadata"]  # type: ignore[index]
    assert cm_data(kube, "ssa") == {"x": "theirs"}
    assert cm_data(kube, "forced") == {"x": "ours"}
    report = hub.report("c1")["manifestworks/w1.yaml"]
    ssa = manifest_conditions(report, 2)["Applied"]
    assert (ssa["status"], ssa["reason"]) == ("False", "AppliedManifestFailed")
    assert "conflict" in ssa["message"].lower() and "someone-else" in ssa["message"]
    assert manifest_conditions(report, 1)["Applied"]["status"] == "True"
    assert work_conditions(report)["Applied"]["reason"] == "AppliedManifestWorkFailed"


def test_failing_manifest_does_not_stop_others(tmp_path: Path) -> None:
    """An unknown kind fails alone; the manifests after it are applied and available."""
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [widget, namespace(), configmap("a")])}})
    kube = memory.MemoryCluster()
    result = agent(hub, tmp_path, kube=kube).run_once(at(0))
    assert cm_data(kube, "a") == {}
    report = hub.report("c1")["manifestworks/w1.yaml"]
    failed = manifest_conditions(report, 0)
    assert failed["Applied"]["reason"] == "AppliedManifestFailed"
    assert failed["Available"]["reason"] == "IncompleteResourceMeta"
    assert manifest_conditions(report, 2)["Available"]["reason"] == "ResourceAvailable"
    assert len(result.errors) == 1 and "Widget" in str(result.errors[0])


def test_prune_when_manifest_leaves_work(tmp_path: Path) -> None:
    """A manifest removed from a work is deleted; one owned by another work is only disowned."""
    hub = new_hub(tmp_path)
    both = [namespace(), configmap("a"), configmap("shared")]
    hub.publish({"c1": {"w1": work("w1", both), "w2": work("w2", [configmap("shared")])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    assert len(kube.get("v1", "ConfigMap", "shared", "demo")["metadata"]["ownerReferences"]) == 2  # type: ignore[index]
    hub.publish({"c1": {"w1": work("w1", [namespace()]), "w2": work("w2", [configmap("shared")])}})
    result = one.run_once(at(10))
    assert result.pruned == 2
    assert kube.get("v1", "ConfigMap", "a", "demo") is None
    shared = kube.get("v1", "ConfigMap", "shared", "demo")
    assert shared is not None and len(shared["metadata"]["ownerReferences"]) == 1
    amw = next(
        o
        for o in kube.list("work.open-cluster-management.io/v1", "AppliedManifestWork")
        if o["spec"]["manifestWorkName"] == "w1"
    )
    assert [r["name"] for r in amw["status"]["appliedResources"]] == ["demo"]


class _Refusing(memory.MemoryCluster):
    """An in-memory cluster that refuses one verb ("get", "delete") on ConfigMaps."""

    refuse = ""

    def get(self, api_version: str, kind: str, *args: Any, **kwargs: Any) -> Any:
        if self.refuse == "get" and kind == "ConfigMap":
            raise cluster_errors.Forbidden("configmaps is forbidden: cannot get")
        return super().get(api_version, kind, *args, **kwargs)

    def delete(self, api_version: str, kind: str, *args: Any, **kwargs: Any) -> bool:
        if self.refuse == "delete" and kind == "ConfigMap":
            raise cluster_errors.Forbidden("configmaps is forbidden: cannot delete")
        return super().delete(api_version, kind, *args, **kwargs)


@pytest.mark.parametrize("verb", ["delete", "get"])
def test_failed_prune_is_reported_and_tried_again(tmp_path: Path, verb: str) -> None:
    """A resource that cannot be read or deleted for pruning is reported (exit 1), pruned later."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a")])}})
    kube = _Refusing()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    hub.publish({"c1": {"w1": work("w1", [namespace()])}})
    kube.refuse = verb
    result = one.run_once(at(10))
    why = f"configmaps is forbidden: cannot {verb}"
    assert result.failures == (results.PruneFailure("w1", "ConfigMap demo/a", why),)
    assert result.exit_code() == 1 and result.pruned == 0
    assert f"\n  work w1: cannot prune ConfigMap demo/a: {why}" in result.line("c1")
    kube.refuse = ""
    assert kube.get("v1", "ConfigMap", "a", "demo") is not None
    again = one.run_once(at(20))
    assert again.failures == () and again.pruned == 1
    assert kube.get("v1", "ConfigMap", "a", "demo") is None


def _delete_case(tmp_path: Path, delete_option: dict[str, Any]) -> memory.MemoryCluster:
    hub = new_hub(tmp_path)
    manifests = [namespace(), configmap("a"), configmap("b")]
    hub.publish({"c1": {"w1": work("w1", manifests, deleteOption=delete_option)}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    hub.publish({"c1": {}})
    result = one.run_once(at(10))
    assert result.deleted == 1
    assert kube.list("work.open-cluster-management.io/v1", "AppliedManifestWork") == []
    assert "manifestworks/w1.yaml" not in hub.report("c1")
    return kube


def test_delete_foreground(tmp_path: Path) -> None:
    """A work removed from the hub has all its resources deleted (default Foreground)."""
    kube = _delete_case(tmp_path, {})
    assert kube.get("v1", "ConfigMap", "a", "demo") is None
    assert kube.get("v1", "Namespace", "demo") is None


def test_delete_orphan(tmp_path: Path) -> None:
    """With Orphan every resource stays, without our ownerRef."""
    kube = _delete_case(tmp_path, {"propagationPolicy": "Orphan"})
    kept = kube.get("v1", "ConfigMap", "a", "demo")
    assert kept is not None and "ownerReferences" not in kept["metadata"]
    assert kube.get("v1", "Namespace", "demo") is not None


def test_delete_selectively_orphan(tmp_path: Path) -> None:
    """With SelectivelyOrphan only the matching resources stay."""
    rules = [
        {"group": "", "resource": "configmaps", "namespace": "demo", "name": "b"},
        {"group": "", "resource": "namespaces", "namespace": "", "name": "demo"},
    ]
    option = {
        "propagationPolicy": "SelectivelyOrphan",
        "selectivelyOrphans": {"orphaningRules": rules},
    }
    kube = _delete_case(tmp_path, option)
    assert kube.get("v1", "ConfigMap", "a", "demo") is None
    assert kube.get("v1", "ConfigMap", "b", "demo") is not None


def test_delete_waits_for_finalizers(tmp_path: Path) -> None:
    """A resource with a finalizer keeps the work in Deleting until it is gone."""
    hub = new_hub(tmp_path)
    held = configmap("a")
    held["metadata"]["finalizers"] = ["example.com/hold"]
    hub.publish({"c1": {"w1": work("w1", [namespace(), held])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    hub.publish({"c1": {}})
    one.run_once(at(10))
    deleting = work_conditions(hub.report("c1")["manifestworks/w1.yaml"])["Deleting"]
    assert (deleting["status"], deleting["reason"]) == ("True", "WorkDeleting")
    live = kube.get("v1", "ConfigMap", "a", "demo")
    assert live is not None
    kube.update({**live, "metadata": {**live["metadata"], "finalizers": []}})
    one.run_once(at(20))
    assert "manifestworks/w1.yaml" not in hub.report("c1")


def test_eviction_after_grace_period(tmp_path: Path) -> None:
    """When the cluster is no longer accepted its works are evicted only after the grace period."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [configmap("a")])}, "c2": {}})
    kube = memory.MemoryCluster()
    kube.create(namespace())
    grace = datetime.timedelta(minutes=10)
    one = agent(hub, tmp_path, kube=kube, eviction_grace=grace)
    one.run_once(at(0))
    hub.publish({"c2": {}})
    one.run_once(at(60))
    (amw,) = kube.list("work.open-cluster-management.io/v1", "AppliedManifestWork")
    assert amw["status"]["evictionStartTime"] == "2025-01-01T00:01:00Z"
    one.run_once(at(60 + 599))
    assert cm_data(kube, "a") == {}
    one.run_once(at(60 + 600))
    assert kube.get("v1", "ConfigMap", "a", "demo") is None
    assert kube.list("work.open-cluster-management.io/v1", "AppliedManifestWork") == []


def test_eviction_cleared_when_work_returns(tmp_path: Path) -> None:
    """A work that comes back within the grace period clears evictionStartTime."""
    hub = new_hub(tmp_path)
    prescriptions = {"c1": {"w1": work("w1", [configmap("a")])}}
    hub.publish(prescriptions)
    kube = memory.MemoryCluster()
    kube.create(namespace())
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    hub.publish({}, accepted=())
    one.run_once(at(60))
    hub.publish(prescriptions)
    one.run_once(at(120))
    (amw,) = kube.list("work.open-cluster-management.io/v1", "AppliedManifestWork")
    assert "evictionStartTime" not in amw["status"]
    assert cm_data(kube, "a") == {}


def test_feedback_and_rules_with_simulated_workloads(tmp_path: Path) -> None:
    """Ready replicas from the workload simulation come back as WellKnownStatus feedback."""
    config = {
        "resourceIdentifier": {
            "group": "apps",
            "resource": "deployments",
            "name": "web",
            "namespace": "demo",
        },
        "feedbackRules": [
            {"type": "WellKnownStatus"},
            {
                "type": "JSONPaths",
                "jsonPaths": [{"name": "gen", "path": ".status.observedGeneration"}],
            },
        ],
        "conditionRules": [
            {
                "condition": "Progressing",
                "type": "CEL",
                "celExpressions": ["object.status.readyReplicas != object.spec.replicas"],
            }
        ],
    }
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [namespace(), deployment()], manifestConfigs=[config])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    simulate.Simulator(kube.store).reconcile_once()
    one.run_once(at(10))
    report = hub.report("c1")["manifestworks/w1.yaml"]
    entry = report["status"]["resourceStatus"]["manifests"][1]
    values = {v["name"]: v["fieldValue"] for v in entry["statusFeedback"]["values"]}
    assert values["ReadyReplicas"] == {"type": "Integer", "integer": 2}
    assert values["gen"] == {"type": "Integer", "integer": 1}
    conds = manifest_conditions(report, 1)
    assert conds["StatusFeedbackSynced"]["reason"] == "StatusFeedbackSynced"
    assert conds["Progressing"]["status"] == "False"
    assert work_conditions(report)["Progressing"]["status"] == "False"


def test_cluster_status_claims_and_nodes(tmp_path: Path) -> None:
    """Claims (reserved first, spoke-only skipped) and node resources reach cluster.yaml."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    for name, value, labels in [
        ("zone", "a", {}),
        ("id.k8s.io", "c1-id", {}),
        ("secret", "x", {"open-cluster-management.io/spoke-only": ""}),
    ]:
        kube.create(
            {
                "apiVersion": "cluster.open-cluster-management.io/v1alpha1",
                "kind": "ClusterClaim",
                "metadata": {"name": name, "labels": labels},
                "spec": {"value": value},
            }
        )
    for name, cpu, unschedulable in [("n1", "2", False), ("n2", "500m", True)]:
        kube.create(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name},
                "spec": {"unschedulable": unschedulable},
            }
        )
        node = kube.get("v1", "Node", name)
        assert node is not None
        kube.update_status(
            {
                **node,
                "status": {
                    "capacity": {"cpu": cpu, "memory": "1Gi"},
                    "allocatable": {"cpu": cpu, "memory": "1Gi"},
                },
            }
        )
    one.run_once(at(10))
    status = hub.report("c1")["cluster.yaml"]["status"]
    assert status["clusterClaims"] == [
        {"name": "id.k8s.io", "value": "c1-id"},
        {
            "name": "kubeversion.open-cluster-management.io",
            "value": status["version"]["kubernetes"],
        },
        {"name": "zone", "value": "a"},
    ]
    assert status["capacity"] == {"cpu": "2500m", "memory": "2Gi"}
    assert status["allocatable"] == {"cpu": "2", "memory": "1Gi"}
    assert status["version"]["kubernetes"].startswith("v1.")


def test_not_accepted_applies_nothing_and_pushes_only_the_request(tmp_path: Path) -> None:
    """A cluster that never reported and has no cluster.yaml on the hub only asks to register."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [configmap("a")])}}, accepted=())
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    result = one.run_once(at(0))
    assert kube.get("v1", "ConfigMap", "a", "demo") is None
    assert kube.list("apiextensions.k8s.io/v1", "CustomResourceDefinition") == []
    assert hub.report_commits("c1") == 1 and set(hub.report("c1")) == {"registration.yaml"}
    assert [str(f) for f in result.failures] == [
        f"registering: not accepted yet; registration request for key {one.signer.fingerprint}"
    ]
    assert result.exit_code() == 3 and result.errors == ()
    assert not one.run_once(at(60)).report_created  # unchanged: nothing re-pushed
    assert hub.report_commits("c1") == 1


def test_no_hub_branch_waits_without_pushing(tmp_path: Path) -> None:
    """Before ocm/hub exists a new agent waits: no report branch is created."""
    hub = new_hub(tmp_path)
    result = agent(hub, tmp_path).run_once(at(0))
    assert [str(f) for f in result.held] == ["waiting: ocm/hub is not published yet"]
    assert hub.report_commits("c1") == 0


def test_cluster_that_reported_keeps_reporting_after_leaving(tmp_path: Path) -> None:
    """A cluster removed from the hub after it reported still reports (its eviction shows)."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {}})
    one = agent(hub, tmp_path)
    one.run_once(at(0))
    hub.publish({}, accepted=())
    result = one.run_once(at(60))
    assert result.report_commit is not None and hub.report_commits("c1") >= 1


def test_autonomy_when_git_is_unreachable(tmp_path: Path) -> None:
    """Hub repository gone: the pass reconciles from disk; the report lands when Git returns."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="1")])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    moved = tmp_path / "away.git"
    shutil.move(str(hub.path), moved)
    live = kube.get("v1", "ConfigMap", "a", "demo")
    assert live is not None
    kube.update({**live, "data": {"x": "drift"}})
    result = one.run_once(at(61))
    assert result.from_disk and result.held and not result.pushed
    assert cm_data(kube, "a") == {"x": "1"}
    fresh = agent(hub, tmp_path, kube=kube)  # a restarted agent reads the same state folder
    assert fresh.run_once(at(62)).from_disk
    shutil.move(str(moved), hub.path)
    back = fresh.run_once(at(63))
    assert back.pushed and not back.held
    assert hub.report("c1")["lease.yaml"]["spec"]["renewTime"].startswith("2025-01-01T00:01:03")


def test_agent_on_local_repository_path(tmp_path: Path) -> None:
    """A hub given as a path is read and written in place."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [configmap("a")])}})
    kube = memory.MemoryCluster()
    kube.create(namespace())
    result = agent(hub, tmp_path, kube=kube, repo=str(hub.path)).run_once(at(0))
    assert result.pushed and result.failures == ()
    assert "manifestworks/w1.yaml" in hub.report("c1")
    assert plan.AMW_KIND == "AppliedManifestWork"


class _Vanishing:
    """A cluster whose API server goes away right after the agent's health check."""

    def __init__(self, inner: memory.MemoryCluster) -> None:
        self.inner, self.gone, self.node_lists = inner, False, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.gone:
                raise cluster_errors.Unavailable("cannot reach the API server: connection refused")
            if name == "list" and args[:2] == ("v1", "Node"):
                self.gone = True  # the observation passes; everything after it fails
            return method(*args, **kwargs)

        return call


def test_api_server_gone_mid_pass_counts_as_unreachable(tmp_path: Path) -> None:
    """A server that vanishes after the health check is reported as the cluster's error."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a")])}})
    result = agent(hub, tmp_path, kube=_Vanishing(memory.MemoryCluster())).run_once(at(0))
    assert "cluster: cannot reach the API server: connection refused" in map(str, result.errors)


def test_loop_once_returns_the_pass_exit_code(tmp_path: Path, capsys: Any) -> None:
    """With ``once`` the loop logs the pass (stderr while waiting) and returns its exit code."""
    one = agent(new_hub(tmp_path), tmp_path)
    code = loop.run(one, loop.Schedule(30.0, once=True), threading.Event())
    err = capsys.readouterr().err
    assert code == 3 and err.endswith("\n  waiting: ocm/hub is not published yet\n")


def test_loop_runs_passes_until_stopped(tmp_path: Path, capsys: Any) -> None:
    """Without ``once`` a pass's failures do not end the loop; a stop does, with exit 0."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [configmap("a")])}})  # no namespace: fails
    stop, passes = threading.Event(), []

    def after() -> None:
        passes.append(1)
        if len(passes) == 2:
            stop.set()

    code = loop.run(agent(hub, tmp_path), loop.Schedule(0.01), stop, after)
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(passes) == 2
    assert [line.split(" errors ")[1][:1] for line in lines if line.startswith("agent")] == [
        "1"
    ] * 2
