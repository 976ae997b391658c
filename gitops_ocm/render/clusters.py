"""ManagedClusters as accepted by the hub: ``clusters/<cluster>/cluster.yaml``.

Pure. Only clusters with ``spec.hubAcceptsClient: true`` are published (the hub
half of OCM's double opt-in); an agent whose cluster has no such file receives
nothing. Status is not part of a prescription: it comes back in reports.
"""

from __future__ import annotations

from gitops_ocm.model import yamlout
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.render import common


def accepted(snapshot: Snapshot) -> list[str]:
    """Return the names of the accepted clusters, sorted."""
    return sorted(
        o.name for o in snapshot.of_kind("ManagedCluster") if o.spec.get("hubAcceptsClient") is True
    )


def render(snapshot: Snapshot) -> dict[str, bytes]:
    """Return ``clusters/<c>/cluster.yaml`` for every accepted cluster."""
    out: dict[str, bytes] = {}
    for obj in snapshot.of_kind("ManagedCluster"):
        if obj.spec.get("hubAcceptsClient") is not True:
            continue
        body = {
            "apiVersion": obj.api_version,
            "kind": "ManagedCluster",
            "metadata": common.trimmed_metadata(obj.metadata, namespace=False),
            "spec": obj.spec,
        }
        out[f"clusters/{obj.name}/cluster.yaml"] = yamlout.dump(body)
    return out
