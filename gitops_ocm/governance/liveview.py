"""A ``policy.live.LiveView`` over the Cluster interface, for evaluating on a real cluster.

I/O: every lookup reads the cluster. The evaluator is pure and asks a ``LiveView``
for objects; this adapter answers from :class:`gitops_ocm.kube.cluster.Cluster`.
A kind the server does not serve has no objects (so a musthave template reports
"not found" rather than failing), and its scope falls back to the evaluator's table
of built-in cluster-scoped kinds. Discovery answers are cached for the life of the
view, which is one pass: a CRD applied in that pass is seen by the next.
API errors other than NotFound propagate (the runner reports them per policy).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.kube import cluster as kube
from gitops_ocm.policy import live


class ClusterView:
    """Read-only policy view of one cluster."""

    def __init__(self, cluster: kube.Cluster) -> None:
        self.cluster = cluster
        self._resources: dict[tuple[str, str], kube.ResourceInfo | None] = {}

    def resource(self, api_version: str, kind: str) -> kube.ResourceInfo | None:
        """Return how the server addresses a kind (cached), or None if it does not serve it."""
        key = (api_version, kind)
        if key not in self._resources:
            try:
                self._resources[key] = self.cluster.resource_for(api_version, kind)
            except kube.NotFound:
                self._resources[key] = None
        return self._resources[key]

    def get(
        self, api_version: str, kind: str, namespace: str, name: str
    ) -> Mapping[str, Any] | None:
        """Return the object, or None when it (or its kind) does not exist."""
        if self.resource(api_version, kind) is None:
            return None
        scope = namespace if self.is_namespaced(api_version, kind) else None
        try:
            return self.cluster.get(api_version, kind, name, scope)
        except kube.NotFound:
            return None

    def list(self, api_version: str, kind: str, namespace: str) -> Sequence[Mapping[str, Any]]:
        """Return the objects of a kind in ``namespace`` ("" = all namespaces / cluster-scoped)."""
        if self.resource(api_version, kind) is None:
            return []
        scope = (namespace or None) if self.is_namespaced(api_version, kind) else None
        try:
            found = self.cluster.list(api_version, kind, scope)
        except kube.NotFound:
            return []
        return sorted(found, key=live.ObjectRef.of)

    def namespaces(self) -> Sequence[Mapping[str, Any]]:
        """Return the Namespace objects."""
        return self.list("v1", "Namespace", "")

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        """Return whether the kind is namespaced (the built-in table when not served)."""
        info = self.resource(api_version, kind)
        if info is None:
            return kind not in live.CLUSTER_SCOPED_KINDS
        return info.namespaced
