"""The spoke-side CRDs the agent relies on: AppliedManifestWork, ClusterClaim, AddOnPlacementScore.

I/O (through the Cluster interface). OCM's klusterlet installs these; our agent
installs them itself when the cluster does not serve them yet, so that a bare
cluster (or the in-memory one) can hold the inventory, the claims and the
add-on scores (in OCM an add-on writes AddOnPlacementScores to its cluster's
namespace on the hub; here it writes them on its own cluster and the agent
reports them, as it does claims). The
schemas preserve unknown fields: we add a ``kind`` to ``appliedResources``
entries (see docs/agent.md).
"""

from __future__ import annotations

from gitops_ocm import errors
from gitops_ocm.kube import cluster as kube
from gitops_ocm.model.body import Body

AMW_API_VERSION = "work.open-cluster-management.io/v1"
AMW_KIND = "AppliedManifestWork"
CLAIM_API_VERSION = "cluster.open-cluster-management.io/v1alpha1"
CLAIM_KIND = "ClusterClaim"
SCORE_API_VERSION = "cluster.open-cluster-management.io/v1alpha1"
SCORE_KIND = "AddOnPlacementScore"
_OPEN = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _crd(group: str, version: str, kind: str, plural: str, scope: str = "Cluster") -> Body:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": scope,
            "names": {
                "kind": kind,
                "plural": plural,
                "singular": kind.lower(),
                "listKind": f"{kind}List",
            },
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": _OPEN},
                }
            ],
        },
    }


DEFINITIONS = (
    (
        AMW_API_VERSION,
        AMW_KIND,
        _crd("work.open-cluster-management.io", "v1", AMW_KIND, "appliedmanifestworks"),
    ),
    (
        CLAIM_API_VERSION,
        CLAIM_KIND,
        _crd("cluster.open-cluster-management.io", "v1alpha1", CLAIM_KIND, "clusterclaims"),
    ),
)
OPTIONAL = (
    (
        SCORE_API_VERSION,
        SCORE_KIND,
        _crd(
            "cluster.open-cluster-management.io",
            "v1alpha1",
            SCORE_KIND,
            "addonplacementscores",
            "Namespaced",
        ),
    ),
)
"""Installed when possible: without it the cluster simply reports no add-on scores."""


def ensure(cluster: kube.Cluster) -> None:
    """Create the CRDs the cluster does not serve yet (the optional ones when allowed)."""
    for api_version, kind, crd in DEFINITIONS:
        if cluster.resource_for(api_version, kind) is not None:
            continue
        try:
            cluster.create(crd)
        except kube.AlreadyExists:
            continue
        except errors.GitopsOcmError as exc:
            raise errors.Transient(f"cannot install the {kind} CRD: {exc}") from exc
    for api_version, kind, crd in OPTIONAL:
        try:
            if cluster.resource_for(api_version, kind) is None:
                cluster.create(crd)
        except errors.GitopsOcmError:
            continue  # e.g. no right to create CRDs (AlreadyExists included): nothing to list
