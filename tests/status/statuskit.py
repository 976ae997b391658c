"""Building report trees and hub trees in memory for the status fold tests (no Git)."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.placement import inventory
from gitops_ocm.status import fold, hubindex
from gitops_ocm.work import rolloutstate

NOW = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC)
T0 = "2024-05-01T10:00:00Z"


def cond(kind: str, status: str, reason: str = "", generation: int | None = 1) -> dict[str, Any]:
    """A status condition."""
    out: dict[str, Any] = {
        "type": kind,
        "status": status,
        "reason": reason or f"{kind}{status}",
        "message": f"{kind} is {status}",
        "lastTransitionTime": T0,
    }
    if generation is not None:
        out["observedGeneration"] = generation
    return out


def cluster_yaml(name: str, available: str | None = "True", message: str = "") -> bytes:
    """A reported ManagedCluster."""
    conditions = [cond("ManagedClusterJoined", "True", "ManagedClusterJoined", None)]
    if available is not None:
        reason = {"True": "ManagedClusterAvailable"}.get(
            available, "ManagedClusterKubeAPIServerUnavailable"
        )
        found = cond(inventory.AVAILABLE, available, reason, None)
        found["message"] = message or found["message"]
        conditions.append(found)
    return yamlout.dump(
        {
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": name},
            "status": {"conditions": conditions, "version": {"kubernetes": "v1.30.0"}},
        }
    )


def lease_yaml(renewed: datetime.datetime, seconds: int | None = 60) -> bytes:
    """A Lease renewed at ``renewed``."""
    spec: dict[str, Any] = {"renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
    if seconds is not None:
        spec["leaseDurationSeconds"] = seconds
    return yamlout.dump(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "managed-cluster-lease"},
            "spec": spec,
        }
    )


def work_report(
    name: str, prescription: str, conditions: Sequence[Mapping[str, Any]], generation: int = 1
) -> bytes:
    """A ManifestWork report naming the prescription blob it observed."""
    return yamlout.dump(
        {
            "apiVersion": "work.open-cluster-management.io/v1",
            "kind": "ManifestWork",
            "metadata": {
                "name": name,
                "generation": generation,
                "annotations": {"gitops-ocm.io/prescription": prescription},
            },
            "status": {"conditions": [dict(c) for c in conditions]},
        }
    )


def applied(*extra: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Work conditions: Applied and Available True, plus ``extra``."""
    return [cond("Applied", "True"), cond("Available", "True"), *extra]


def report(name: str, files: Mapping[str, bytes]) -> fold.Report:
    """A Report over in-memory files (tree id derived from the blob ids)."""
    blobs = {path: hubindex.blob_id(data) for path, data in files.items()}
    tree = hashlib.sha1(repr(sorted(blobs.items())).encode()).hexdigest()
    return fold.Report(name, tree, dict(files), blobs, None)


def hub_work(name: str, mwrs: str | None = None, placement: str | None = None) -> bytes:
    """A hub ManifestWork, labelled as generated from ``mwrs`` (``ns.name``) if given."""
    labels = {}
    if mwrs:
        labels = {hubindex.MWRS_LABEL: mwrs, hubindex.PLACEMENT_LABEL: placement or ""}
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return yamlout.dump(
        {
            "apiVersion": "work.open-cluster-management.io/v1",
            "kind": "ManifestWork",
            "metadata": meta,
            "spec": {"workload": {"manifests": [{"kind": "ConfigMap", "apiVersion": "v1"}]}},
        }
    )


def placement(
    namespace: str, name: str, clusters: Sequence[str], satisfied: str = "True"
) -> dict[str, bytes]:
    """A placement folder of the hub tree: placement.yaml and one decision page."""
    api = "cluster.open-cluster-management.io/v1beta1"
    meta = {"name": name, "namespace": namespace}
    reason = "AllDecisionsScheduled" if satisfied == "True" else "NoManagedClusterMatched"
    status = {
        "conditions": [cond("PlacementSatisfied", satisfied, reason, None)],
        "numberOfSelectedClusters": len(clusters),
        "decisionGroups": [{"decisionGroupIndex": 0, "decisionGroupName": "", "clusterCount": 1}],
    }
    folder = f"placements/{namespace}/{name}"
    files = {
        f"{folder}/placement.yaml": yamlout.dump(
            {"apiVersion": api, "kind": "Placement", "metadata": meta, "status": status}
        )
    }
    if clusters:
        decisions = [{"clusterName": c, "reason": ""} for c in sorted(clusters)]
        files[f"{folder}/{name}-decision-1.yaml"] = yamlout.dump(
            {
                "apiVersion": api,
                "kind": "PlacementDecision",
                "metadata": meta,
                "status": {"decisions": decisions},
            }
        )
    return files


def controller_yaml(valid: bool = True) -> bytes:
    """A controller.yaml, valid or with one problem."""
    problems = (
        []
        if valid
        else [
            {
                "file": "apps/work.yaml",
                "line": 3,
                "column": 5,
                "code": "E123",
                "pointer": "/spec",
                "message": "'spec' is a required property",
            }
        ]
    )
    status = {
        "conditions": [
            {
                "type": "SourceValid",
                "status": "True" if valid else "False",
                "reason": "Valid" if valid else "ValidationFailed",
                "message": "commit abc is valid" if valid else "commit def has 1 errors",
                "lastTransitionTime": T0,
            }
        ],
        "sourceCommit": "a" * 40 if valid else "d" * 40,
        "lastReconciledCommit": "a" * 40,
        "problems": problems,
    }
    return yamlout.dump(
        {"apiVersion": "gitops-ocm.io/v1alpha1", "kind": "ControllerStatus", "status": status}
    )


class Fleet:
    """A small fleet: MWRS ``apps/web`` over placement ``apps/all``, one report per cluster."""

    def __init__(self, clusters: Sequence[str] = ("c1", "c2", "c3")) -> None:
        self.clusters = list(clusters)
        self.hub: dict[str, bytes] = placement("apps", "all", self.clusters)
        self.work = hub_work("web-abcde", "apps.web", "all")
        self.blob = hubindex.blob_id(self.work)
        self.reports: dict[str, fold.Report] = {}
        for name in self.clusters:
            self.hub[f"clusters/{name}/manifestworks/web-abcde.yaml"] = self.work
            self.set_report(name)

    def set_report(
        self,
        name: str,
        *,
        available: str | None = "True",
        renewed: datetime.datetime = NOW,
        seconds: int | None = 60,
        work: Sequence[Mapping[str, Any]] | None = None,
        prescription: str | None = None,
        lease: bool = True,
    ) -> None:
        """(Re)write one cluster's report."""
        files = {"cluster.yaml": cluster_yaml(name, available)}
        if lease:
            files["lease.yaml"] = lease_yaml(renewed, seconds)
        conditions = applied() if work is None else work
        files["manifestworks/web-abcde.yaml"] = work_report(
            "web-abcde", prescription or self.blob, conditions
        )
        self.reports[name] = report(name, files)

    def fold(self, now: datetime.datetime = NOW, **kwargs: Any) -> fold.Folded:
        """Fold this fleet at ``now``."""
        args: dict[str, Any] = {"controller_yaml": controller_yaml(), **kwargs}
        controller = args.pop("controller_yaml")
        return fold.fold(self.reports, self.hub, self.clusters, controller, now, **args)


def rollout_state(
    name: str = "web", namespace: str = "apps", phase: str = "Progressing", **changes: Any
) -> rolloutstate.RolloutState:
    """A rollout state of set ``namespace/name``: 1 of 3 clusters updated."""
    base = rolloutstate.RolloutState(
        namespace=namespace,
        name=name,
        work_name=f"{name}-abcde",
        revision="1a2b3c4d5e6f",
        target="1a2b3c4d5e6f",
        phase=phase,
        reason="" if phase == "Progressing" else f"Why{phase}",
        message=f"{phase} message",
        since="2024-05-01T11:00:00Z",
        started_at="2024-05-01T10:00:00Z",
        stable=rolloutstate.Stable("0a0b0c0d0e0f", {"workload": {"manifests": []}}),
        placements=(
            rolloutstate.PlacementState(
                "all",
                "Progressive",
                total=3,
                updated=1,
                succeeded=1,
                failed=0,
                recheck_at="2024-05-01T12:05:00Z",
            ),
        ),
        steps=(
            rolloutstate.Step("2024-05-01T10:00:00Z", "Progressing", "1a2b3c4d5e6f", 1, ("c1",)),
        ),
    )
    return dataclasses.replace(base, **changes)


def rollout_file(found: rolloutstate.RolloutState) -> bytes:
    """The state file's bytes, as render writes it."""
    return yamlout.dump(found.to_body())
