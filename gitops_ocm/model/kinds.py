"""The OCM kinds gitops-ocm understands, with their apiVersions and scope.

Pure. One table is the single source of truth for which documents belong in a
fleet repository, which schema file validates each, and whether it is namespaced.
"""

from __future__ import annotations

import dataclasses

CLUSTER_GROUP = "cluster.open-cluster-management.io"
WORK_GROUP = "work.open-cluster-management.io"
POLICY_GROUP = "policy.open-cluster-management.io"

# OCM's limit on a ManifestWork's manifests, in bytes of their JSON (its webhook and
# the work agent refuse more); validation checks a declared work, render a rendered one.
MANIFEST_LIMIT = 500 * 1024


@dataclasses.dataclass(frozen=True)
class KindInfo:
    """What we know of one kind: its group/version, scope and schema file."""

    kind: str
    group: str
    version: str
    namespaced: bool
    schema: str

    @property
    def api_version(self) -> str:
        """Return ``group/version`` as it appears in documents."""
        return f"{self.group}/{self.version}"


KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo("ManagedCluster", CLUSTER_GROUP, "v1", False, "managedcluster.json"),
        KindInfo("ManagedClusterSet", CLUSTER_GROUP, "v1beta2", False, "managedclusterset.json"),
        KindInfo(
            "ManagedClusterSetBinding",
            CLUSTER_GROUP,
            "v1beta2",
            True,
            "managedclustersetbinding.json",
        ),
        KindInfo("Placement", CLUSTER_GROUP, "v1beta1", True, "placement.json"),
        KindInfo("ManifestWork", WORK_GROUP, "v1", True, "manifestwork.json"),
        KindInfo(
            "ManifestWorkReplicaSet",
            WORK_GROUP,
            "v1alpha1",
            True,
            "manifestworkreplicaset.json",
        ),
        KindInfo("Policy", POLICY_GROUP, "v1", True, "policy.json"),
        KindInfo("PlacementBinding", POLICY_GROUP, "v1", True, "placementbinding.json"),
        KindInfo("PolicySet", POLICY_GROUP, "v1beta1", True, "policyset.json"),
    )
}

# Kinds with a schema that are not desired-state documents of their own: they appear in
# published trees (hub store, reports), or inside works (SealedSecret).
PUBLISHED_KINDS: dict[str, KindInfo] = {
    info.kind: info
    for info in (
        KindInfo("PlacementDecision", CLUSTER_GROUP, "v1beta1", True, "placementdecision.json"),
        KindInfo(
            "AddOnPlacementScore", CLUSTER_GROUP, "v1alpha1", True, "addonplacementscore.json"
        ),
        KindInfo("ConfigurationPolicy", POLICY_GROUP, "v1", True, "configurationpolicy.json"),
        # Ours, found as a manifest of works (docs/security.md, "Sealed secrets").
        KindInfo("SealedSecret", "gitops-ocm.io", "v1alpha1", True, "sealedsecret.json"),
    )
}


def group_of(api_version: str) -> str:
    """Return the API group of an apiVersion (``""`` for the core group)."""
    return api_version.rpartition("/")[0] if "/" in api_version else ""
