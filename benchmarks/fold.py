"""Benchmark: fold 10,000 cluster reports into ``ocm/status``, cold and after one change.

Run: ``./dev python benchmarks/fold.py [--clusters 10000]``. Everything
is synthesized in memory as bytes written by ``yamlout.dump`` (what agents and
the controller write): per cluster ``cluster.yaml``, ``lease.yaml`` and two
work reports with three manifests each; a hub tree with two
ManifestWorkReplicaSets (one over a placement of every cluster, one over ten
regional placements) and their decision pages. Timings: a cold fold (empty
cache), a fold with nothing changed, a fold after one cluster's lease renewal,
and a fold after one work report turned degraded. Issue 6 asks for <= 5 s cold.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_ocm.model import yamlout
from gitops_ocm.status import fold, hubindex, incremental
from gitops_ocm.status.cache import FoldCache

NOW = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
REGIONS = 10
T0 = "2024-05-01T10:00:00Z"


def cond(kind: str, status: str, reason: str, generation: int | None = 1) -> dict[str, Any]:
    """A condition as the agent writes it."""
    out: dict[str, Any] = {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": f"{kind} is {status}",
        "lastTransitionTime": T0,
    }
    if generation is not None:
        out["observedGeneration"] = generation
    return out


def cluster_yaml(name: str) -> bytes:
    """A ManagedCluster report."""
    conditions = [
        cond("ManagedClusterJoined", "True", "ManagedClusterJoined", None),
        cond("ManagedClusterConditionAvailable", "True", "ManagedClusterAvailable", None),
    ]
    status = {
        "conditions": conditions,
        "clusterClaims": [{"name": "id.k8s.io", "value": name}, {"name": "region", "value": "eu"}],
        "allocatable": {"cpu": "8", "memory": "32Gi"},
        "capacity": {"cpu": "8", "memory": "32Gi"},
        "version": {"kubernetes": "v1.30.2"},
    }
    body = {"apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster"}
    return yamlout.dump({**body, "metadata": {"name": name}, "status": status})


def lease_yaml(name: str, renewed: datetime.datetime) -> bytes:
    """A Lease renewed at ``renewed``."""
    return yamlout.dump(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "managed-cluster-lease", "namespace": name},
            "spec": {
                "leaseDurationSeconds": 60,
                "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            },
        }
    )


def work_report(cluster: str, name: str, blob: str, degraded: bool = False) -> bytes:
    """A ManifestWork report with three Deployments."""
    manifests = [
        {
            "resourceMeta": {
                "group": "apps",
                "kind": "Deployment",
                "name": f"{name}-{i}",
                "namespace": "default",
                "ordinal": i,
                "resource": "deployments",
                "version": "v1",
            },
            "conditions": [
                cond("Applied", "True", "AppliedManifestComplete"),
                cond("Available", "True", "ResourceAvailable"),
            ],
            "statusFeedback": {"values": [{"name": "ReadyReplicas", "fieldValue": {}}]},
        }
        for i in range(3)
    ]
    conditions = [
        cond("Applied", "True", "AppliedManifestWorkComplete"),
        cond("Available", "True", "ResourcesAvailable"),
    ]
    if degraded:
        conditions.append(cond("Degraded", "True", "ConditionRulesAggregated"))
    meta = {
        "name": name,
        "namespace": cluster,
        "generation": 1,
        "annotations": {"gitops-ocm.io/prescription": blob},
    }
    return yamlout.dump(
        {
            "apiVersion": "work.open-cluster-management.io/v1",
            "kind": "ManifestWork",
            "metadata": meta,
            "status": {"conditions": conditions, "resourceStatus": {"manifests": manifests}},
        }
    )


def hub_work(mwrs: str, placement: str) -> bytes:
    """A hub ManifestWork generated from a ManifestWorkReplicaSet."""
    labels = {
        hubindex.MWRS_LABEL: f"apps.{mwrs}",
        hubindex.PLACEMENT_LABEL: placement,
    }
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": mwrs}}
    return yamlout.dump(
        {
            "apiVersion": "work.open-cluster-management.io/v1",
            "kind": "ManifestWork",
            "metadata": {"name": f"{mwrs}-abcde", "labels": labels},
            "spec": {"workload": {"manifests": [deployment] * 3}},
        }
    )


def placement_files(name: str, clusters: list[str]) -> dict[str, bytes]:
    """placement.yaml and decision pages of one placement."""
    folder = f"placements/apps/{name}"
    satisfied = cond("PlacementSatisfied", "True", "AllDecisionsScheduled", None)
    pages = [clusters[i : i + 100] for i in range(0, len(clusters), 100)]
    status = {
        "conditions": [satisfied],
        "numberOfSelectedClusters": len(clusters),
        "decisionGroups": [{"decisionGroupIndex": 0, "decisionGroupName": "", "decisions": []}],
    }
    meta = {"name": name, "namespace": "apps"}
    api = "cluster.open-cluster-management.io/v1beta1"
    out = {
        f"{folder}/placement.yaml": yamlout.dump(
            {"apiVersion": api, "kind": "Placement", "metadata": meta, "status": status}
        )
    }
    for k, page in enumerate(pages, 1):
        decisions = [{"clusterName": c, "reason": ""} for c in page]
        body = {"apiVersion": api, "kind": "PlacementDecision", "metadata": meta}
        out[f"{folder}/{name}-decision-{k}.yaml"] = yamlout.dump(
            {**body, "status": {"decisions": decisions}}
        )
    return out


def report(name: str, files: dict[str, bytes]) -> fold.Report:
    """A Report over in-memory files, with Git blob ids and a tree id standing in."""
    blobs = {path: hubindex.blob_id(data) for path, data in files.items()}
    tree = hashlib.sha1("".join(sorted(blobs.values())).encode()).hexdigest()
    return fold.Report(name, tree, files, blobs, None)


def synthesize(count: int) -> tuple[dict[str, fold.Report], dict[str, bytes], list[str]]:
    """Reports, the hub tree and the accepted clusters of a fleet of ``count`` clusters."""
    names = [f"cluster-{i:05d}" for i in range(count)]
    hub: dict[str, bytes] = placement_files("all", names)
    for r in range(REGIONS):
        hub.update(placement_files(f"region-{r}", names[r::REGIONS]))
    app = hub_work("app", "all")
    config = [hub_work("config", f"region-{r}") for r in range(REGIONS)]
    reports = {}
    for i, name in enumerate(names):
        regional = config[i % REGIONS]
        hub[f"clusters/{name}/manifestworks/app-abcde.yaml"] = app
        hub[f"clusters/{name}/manifestworks/config-abcde.yaml"] = regional
        renewed = NOW - datetime.timedelta(seconds=i % 60)
        files = {
            "cluster.yaml": cluster_yaml(name),
            "lease.yaml": lease_yaml(name, renewed),
            "manifestworks/app-abcde.yaml": work_report(name, "app-abcde", hubindex.blob_id(app)),
            "manifestworks/config-abcde.yaml": work_report(
                name, "config-abcde", hubindex.blob_id(regional)
            ),
        }
        reports[name] = report(name, files)
    return reports, hub, names


def timed(label: str, run: Any) -> fold.Folded:
    """Run one fold and print its time."""
    start = time.perf_counter()
    result: fold.Folded = run()
    print(f"{label:<44} {time.perf_counter() - start:7.3f} s")
    return result


def main() -> None:
    """Synthesize, fold cold, fold again after changes, print figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", type=int, default=10_000)
    args = parser.parse_args()
    start = time.perf_counter()
    reports, hub, accepted = synthesize(args.clusters)
    hub_blobs = {path: hubindex.blob_id(data) for path, data in hub.items()}
    print(
        f"synthesized {len(reports)} reports, {len(hub)} hub files "
        f"in {time.perf_counter() - start:.1f} s"
    )
    works, placements, read = hubindex.split(hub, hub_blobs)
    folder = incremental.Folder(FoldCache())  # kept between folds, as the controller does

    def run(now: datetime.datetime = NOW) -> Any:
        hub_view = incremental.Hub(works, placements, read)
        inputs = incremental.Inputs(reports, frozenset(accepted), hub_view, None)
        return lambda: folder.fold(inputs, now)

    cold = timed("cold fold (empty cache, hub blob ids given)", run())
    timed(
        "cold fold (one-shot, hub files hashed)",
        lambda: fold.fold(reports, hub, accepted, None, NOW, FoldCache()),
    )
    timed("fold again, nothing changed", run())
    name = accepted[len(accepted) // 2]
    files = dict(reports[name].files)
    files["lease.yaml"] = lease_yaml(name, NOW + datetime.timedelta(seconds=30))
    reports[name] = report(name, files)
    timed("after one lease renewal", run(NOW + datetime.timedelta(seconds=30)))
    app = hub_blobs[f"clusters/{name}/manifestworks/app-abcde.yaml"]
    files["manifestworks/app-abcde.yaml"] = work_report(name, "app-abcde", app, degraded=True)
    reports[name] = report(name, files)
    last = timed("after one work report turned degraded", run())
    later = NOW + datetime.timedelta(minutes=10)
    stale = timed("10 minutes later: every lease expired", run(later))
    print(
        f"grafted {len(cold.subtrees)} reports, {len(cold.files)} rollup files, "
        f"README {len(cold.files['README.md']) // 1024} KiB; next check {cold.next_check}; "
        f"degraded fold README changed: {last.files['README.md'] != cold.files['README.md']}; "
        f"all stale: {len(stale.subtrees)} grafted, {len(stale.files)} files"
    )


if __name__ == "__main__":
    main()
