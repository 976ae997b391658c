"""AddOnPlacementScores found on a cluster reach its report, as ClusterClaims do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubekit import agent, at, new_hub

from gitops_ocm.agent import clusterstatus
from gitops_ocm.kube import cluster
from gitops_ocm.localkube import memory

API = "cluster.open-cluster-management.io/v1alpha1"


def score(name: str, namespace: str, scores: list[Any], valid_until: str | None) -> dict[str, Any]:
    """An AddOnPlacementScore as an add-on writes it (scores live in status)."""
    status: dict[str, Any] = {"scores": scores}
    if valid_until is not None:
        status["validUntil"] = valid_until
    return {
        "apiVersion": API,
        "kind": "AddOnPlacementScore",
        "metadata": {"name": name, "namespace": namespace},
        "status": status,
    }


def test_scores_keep_valid_entries_sorted_with_valid_until() -> None:
    """Only named integer scores are kept, sorted, with validUntil; other fields are dropped."""
    found = [
        score(
            "gpu",
            "addons",
            [
                {"name": "free", "value": 40},
                {"name": "bad", "value": "x"},
                {"name": "flag", "value": True},
                {"value": 3},
                {"name": "busy", "value": -20},
            ],
            "2026-11-21T13:00:00Z",
        )
    ]
    assert clusterstatus.addon_scores(found) == {
        "addonplacementscores/gpu.yaml": {
            "apiVersion": API,
            "kind": "AddOnPlacementScore",
            "metadata": {"name": "gpu"},
            "status": {
                "scores": [{"name": "busy", "value": -20}, {"name": "free", "value": 40}],
                "validUntil": "2026-11-21T13:00:00Z",
            },
        }
    }


def test_one_name_in_two_namespaces_reports_the_first_namespace() -> None:
    """A name found in several namespaces is reported once, from the first namespace by name."""
    found = [
        score("gpu", "zeta", [{"name": "free", "value": 1}], None),
        score("gpu", "alpha", [{"name": "free", "value": 2}], None),
    ]
    got = clusterstatus.addon_scores(found)
    assert list(got) == ["addonplacementscores/gpu.yaml"]
    assert got["addonplacementscores/gpu.yaml"]["status"] == {
        "scores": [{"name": "free", "value": 2}]
    }


def test_agent_reports_scores_and_drops_deleted_ones(tmp_path: Path) -> None:
    """The agent installs the CRD, reports each score object; a deleted one leaves the report."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    assert kube.resource_for(API, "AddOnPlacementScore") is not None
    assert not any(p.startswith("addonplacementscores/") for p in hub.report("c1"))
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "addons"}})
    for name, value in (("gpu", 70), ("cost", 10)):
        created = kube.create({**score(name, "addons", [], None), "status": {}})
        kube.update_status({**created, "status": {"scores": [{"name": "v", "value": value}]}})
    one.run_once(at(10))
    report = hub.report("c1")
    assert report["addonplacementscores/gpu.yaml"]["status"]["scores"] == [
        {"name": "v", "value": 70}
    ]
    assert report["addonplacementscores/cost.yaml"]["metadata"] == {"name": "cost"}
    kube.delete(API, "AddOnPlacementScore", "cost", "addons")
    one.run_once(at(20))
    assert [p for p in hub.report("c1") if p.startswith("addonplacementscores/")] == [
        "addonplacementscores/gpu.yaml"
    ]


class NoCrdRights(memory.MemoryCluster):
    """A cluster that refuses to create the AddOnPlacementScore CRD (no RBAC for it)."""

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Refuse the optional CRD, create anything else."""
        if obj.get("kind") == "CustomResourceDefinition" and "addonplacement" in str(obj):
            raise cluster.Forbidden("customresourcedefinitions is forbidden")
        return super().create(obj)


def test_cluster_without_the_score_crd_stays_available(tmp_path: Path) -> None:
    """Failing to install the optional score CRD leaves the cluster Available, with no scores."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {}})
    one = agent(hub, tmp_path, kube=NoCrdRights())
    result = one.run_once(at(0))
    assert not result.errors
    report = hub.report("c1")
    conditions = {c["type"]: c["status"] for c in report["cluster.yaml"]["status"]["conditions"]}
    assert conditions["ManagedClusterConditionAvailable"] == "True"
    assert not any(p.startswith("addonplacementscores/") for p in report)


class ScoresUnreadable(memory.MemoryCluster):
    """A cluster whose AddOnPlacementScore list fails while everything else answers."""

    broken = False

    def list(self, api_version: str, kind: str, *args: Any, **kwargs: Any) -> list[Any]:
        """Fail the score list when ``broken``."""
        if self.broken and kind == "AddOnPlacementScore":
            raise cluster.Unavailable("the server is currently unable to handle the request")
        return super().list(api_version, kind, *args, **kwargs)


def test_a_failed_score_list_keeps_the_last_reported_scores(tmp_path: Path) -> None:
    """When only the score list fails, the report keeps the scores it had (no flapping)."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {}})
    kube = ScoresUnreadable()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "addons"}})
    created = kube.create({**score("gpu", "addons", [], None), "status": {}})
    kube.update_status({**created, "status": {"scores": [{"name": "v", "value": 5}]}})
    one.run_once(at(10))
    kube.broken = True
    one.run_once(at(20))
    assert hub.report("c1")["addonplacementscores/gpu.yaml"]["status"]["scores"] == [
        {"name": "v", "value": 5}
    ]
