"""The read-only view of a cluster that policy evaluation needs, and object references.

Pure. ``evaluate`` asks a ``LiveView`` for objects instead of calling an API, so the
same evaluator runs against a real cluster (the shell builds a view from its reads),
the in-memory cluster, or a test table. ``MemoryView`` is the plain in-memory view.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "APIService",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
        "ManagedCluster",
        "ManagedClusterSet",
        "ClusterClaim",
    }
)
# Plurals that Kubernetes' naive guess (lowercase + "s"/"es"/"ies") gets wrong.
_PLURALS = {"endpoints": "endpoints", "ingress": "ingresses"}


class LiveView(Protocol):
    """Read-only access to live objects; every method is a pure lookup."""

    def get(
        self, api_version: str, kind: str, namespace: str, name: str
    ) -> Mapping[str, Any] | None:
        """Return the object, or None when it does not exist."""

    def list(self, api_version: str, kind: str, namespace: str) -> Sequence[Mapping[str, Any]]:
        """Return the objects of a kind in a namespace ("" for cluster-scoped kinds)."""

    def namespaces(self) -> Sequence[Mapping[str, Any]]:
        """Return the Namespace objects (with their labels)."""

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        """Return True when the kind is namespaced."""


@dataclass(frozen=True, order=True)
class ObjectRef:
    """Identifies one object: apiVersion, kind, namespace ("" if cluster-scoped), name."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectRef:
        """Return the reference of a full object."""
        metadata = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion", "")),
            str(obj.get("kind", "")),
            str(metadata.get("namespace") or ""),
            str(metadata.get("name") or ""),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the ``relatedObjects[].object`` form."""
        metadata = {"name": self.name, **({"namespace": self.namespace} if self.namespace else {})}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": metadata}


@dataclass(frozen=True)
class MemoryView:
    """A ``LiveView`` over a fixed list of objects."""

    objects: tuple[Mapping[str, Any], ...]
    cluster_scoped: frozenset[str] = field(default=CLUSTER_SCOPED_KINDS)

    @classmethod
    def of(
        cls, objects: Iterable[Mapping[str, Any]], cluster_scoped: Iterable[str] = ()
    ) -> MemoryView:
        """Return a view of ``objects``; ``cluster_scoped`` adds kinds to the built-in list."""
        return cls(tuple(objects), CLUSTER_SCOPED_KINDS | frozenset(cluster_scoped))

    def get(
        self, api_version: str, kind: str, namespace: str, name: str
    ) -> Mapping[str, Any] | None:
        """Return the object, or None."""
        wanted = ObjectRef(
            api_version, kind, namespace if self.is_namespaced(api_version, kind) else "", name
        )
        return next((o for o in self.objects if ObjectRef.of(o) == wanted), None)

    def list(self, api_version: str, kind: str, namespace: str) -> Sequence[Mapping[str, Any]]:
        """Return the objects of a kind in ``namespace`` ("" lists all namespaces)."""
        found = [
            o
            for o in self.objects
            if (ref := ObjectRef.of(o)).api_version == api_version
            and ref.kind == kind
            and (not namespace or ref.namespace == namespace)
        ]
        return sorted(found, key=ObjectRef.of)

    def namespaces(self) -> Sequence[Mapping[str, Any]]:
        """Return the Namespace objects."""
        return self.list("v1", "Namespace", "")

    def is_namespaced(self, api_version: str, kind: str) -> bool:
        """Return False for the kinds known to be cluster-scoped."""
        return kind not in self.cluster_scoped


def resource_name(kind: str) -> str:
    """Return the plural resource name OCM prints in messages ("ConfigMap" -> "configmaps")."""
    lower = kind.lower()
    if lower in _PLURALS:
        return _PLURALS[lower]
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return lower[:-1] + "ies"
    return lower + "s"
