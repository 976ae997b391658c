"""A small fleet with one ManifestWorkReplicaSet, and agents' work reports, for rollout tests."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path

import repokit
import yaml

from gitops_ocm.model import timefmt, yamlfile, yamlout

CLUSTERS = ("c1", "c2", "c3", "c4")
WORK = "web"
SET_LABEL = "cluster.open-cluster-management.io/clusterset"
PROGRESSIVE = {"type": "Progressive", "progressive": {"maxConcurrency": 1}}


def write_fleet(
    root: Path,
    image: str,
    strategy: Mapping[str, object],
    annotations: Mapping[str, str] | None = None,
) -> None:
    """Write four clusters, a placement of all of them and one set deploying ``image``."""
    files: dict[str, str] = {}
    for name in CLUSTERS:
        files[f"clusters/{name}.yaml"] = yaml.safe_dump(
            {
                "apiVersion": "cluster.open-cluster-management.io/v1",
                "kind": "ManagedCluster",
                "metadata": {"name": name, "labels": {"env": "prod", SET_LABEL: "default"}},
                "spec": {"hubAcceptsClient": True},
            }
        )
    files["sets.yaml"] = yaml.safe_dump_all(
        [
            {
                "apiVersion": "cluster.open-cluster-management.io/v1beta2",
                "kind": "ManagedClusterSet",
                "metadata": {"name": "default"},
                "spec": {"clusterSelector": {"selectorType": "ExclusiveClusterSetLabel"}},
            },
            {
                "apiVersion": "cluster.open-cluster-management.io/v1beta2",
                "kind": "ManagedClusterSetBinding",
                "metadata": {"name": "default", "namespace": "apps"},
                "spec": {"clusterSet": "default"},
            },
        ]
    )
    meta: dict[str, object] = {"name": WORK, "namespace": "apps"}
    if annotations:
        meta["annotations"] = dict(annotations)
    files["apps/web.yaml"] = yaml.safe_dump_all(
        [
            {
                "apiVersion": "cluster.open-cluster-management.io/v1beta1",
                "kind": "Placement",
                "metadata": {"name": "all", "namespace": "apps"},
                "spec": {
                    "tolerations": [{"key": "cluster.open-cluster-management.io/unreachable"}]
                },
            },
            {
                "apiVersion": "work.open-cluster-management.io/v1alpha1",
                "kind": "ManifestWorkReplicaSet",
                "metadata": meta,
                "spec": {
                    "placementRefs": [{"name": "all", "rolloutStrategy": dict(strategy)}],
                    "manifestWorkTemplate": {
                        "workload": {
                            "manifests": [
                                {
                                    "apiVersion": "v1",
                                    "kind": "ConfigMap",
                                    "metadata": {"name": "web", "namespace": "default"},
                                    "data": {"image": image},
                                }
                            ]
                        }
                    },
                },
            },
        ]
    )
    files[".gitops-ocm.yaml"] = "registration: open\n"  # no agent keys in these tests
    repokit.write_files(root, files)


def work_report(
    cluster: str, work: str, held: bytes, degraded: bool, now: datetime.datetime
) -> bytes:
    stamp = timefmt.format_seconds(now)
    conditions = [
        {"type": "Applied", "status": "True", "reason": "AppliedManifestWorkComplete"},
        {"type": "Available", "status": "True", "reason": "ResourcesAvailable"},
        {"type": "Degraded", "status": "True" if degraded else "False", "reason": "Rule"},
    ]
    for condition in conditions:
        condition |= {"observedGeneration": 1, "lastTransitionTime": stamp, "message": ""}
    return yamlout.dump(
        {
            "apiVersion": "work.open-cluster-management.io/v1",
            "kind": "ManifestWork",
            "metadata": {
                "name": work,
                "namespace": cluster,
                "generation": 1,
                "annotations": {"gitops-ocm.io/prescription": yamlfile.blob_id(held)},
            },
            "status": {"conditions": conditions},
        }
    )
