"""OCM's apply order of manifests by kind, and the reverse order for deletion.

Pure. The work agent applies a ManifestWork's manifests sorted by a rank per
kind (namespaces and CRDs first, workloads late, webhooks after them, custom
resources last), stable within a rank so spec order decides otherwise. Pruning
walks the same ranks backwards. Inventory entries carry a resource (plural), not
a kind, so the table is also keyed by the plurals of the built-in kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

UNKNOWN_RANK = 1000
"""Custom resources and any kind not in the table: after the webhooks."""

UNPARSABLE_RANK = 1001
"""A manifest without a kind goes last."""

_KINDS: tuple[tuple[int, tuple[tuple[str, str], ...]], ...] = (
    (
        0,
        (
            ("PriorityClass", "priorityclasses"),
            ("Namespace", "namespaces"),
            ("CustomResourceDefinition", "customresourcedefinitions"),
            ("StorageClass", "storageclasses"),
            ("PersistentVolume", "persistentvolumes"),
            ("PodSecurityPolicy", "podsecuritypolicies"),
        ),
    ),
    (
        1,
        (
            ("ClusterRole", "clusterroles"),
            ("ClusterRoleBinding", "clusterrolebindings"),
            ("Role", "roles"),
            ("RoleBinding", "rolebindings"),
        ),
    ),
    (
        2,
        (
            ("NetworkPolicy", "networkpolicies"),
            ("ResourceQuota", "resourcequotas"),
            ("LimitRange", "limitranges"),
            ("PodDisruptionBudget", "poddisruptionbudgets"),
            ("ServiceAccount", "serviceaccounts"),
        ),
    ),
    (
        3,
        (
            ("Secret", "secrets"),
            ("ConfigMap", "configmaps"),
            ("PersistentVolumeClaim", "persistentvolumeclaims"),
        ),
    ),
    (4, (("Service", "services"),)),
    (
        5,
        (
            ("DaemonSet", "daemonsets"),
            ("Pod", "pods"),
            ("ReplicationController", "replicationcontrollers"),
            ("ReplicaSet", "replicasets"),
            ("Deployment", "deployments"),
            ("HorizontalPodAutoscaler", "horizontalpodautoscalers"),
            ("StatefulSet", "statefulsets"),
            ("Job", "jobs"),
            ("CronJob", "cronjobs"),
        ),
    ),
    (
        6,
        (
            ("APIService", "apiservices"),
            ("MutatingWebhookConfiguration", "mutatingwebhookconfigurations"),
            ("ValidatingWebhookConfiguration", "validatingwebhookconfigurations"),
            ("ValidatingAdmissionPolicy", "validatingadmissionpolicies"),
            ("ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings"),
        ),
    ),
)

KIND_RANK: dict[str, int] = {kind: rank for rank, kinds in _KINDS for kind, _ in kinds}
RESOURCE_RANK: dict[str, int] = {plural: rank for rank, kinds in _KINDS for _, plural in kinds}
RESOURCE_KIND: dict[str, str] = {plural: kind for _, kinds in _KINDS for kind, plural in kinds}


def kind_rank(kind: str | None) -> int:
    """Return the apply rank of ``kind`` (None or empty: unparsable, last)."""
    if not kind:
        return UNPARSABLE_RANK
    return KIND_RANK.get(kind, UNKNOWN_RANK)


def resource_rank(resource: str) -> int:
    """Return the apply rank of a resource given by its plural (``deployments``)."""
    return RESOURCE_RANK.get(resource, UNKNOWN_RANK)


def manifest_kind(manifest: Any) -> str | None:
    """Return a raw manifest's kind, or None when it is not an object with a kind."""
    if isinstance(manifest, dict) and isinstance(manifest.get("kind"), str):
        return str(manifest["kind"])
    return None


def apply_order(manifests: Sequence[Any]) -> list[int]:
    """Return the ordinals of ``manifests`` in apply order (stable within a rank)."""
    return sorted(range(len(manifests)), key=lambda i: kind_rank(manifest_kind(manifests[i])))


def delete_order(items: Sequence[T], resource_of: Any) -> list[T]:
    """Return ``items`` in reverse apply order; ``resource_of(item)`` gives its plural."""
    ranked = sorted(enumerate(items), key=lambda p: (resource_rank(resource_of(p[1])), p[0]))
    return [item for _, item in reversed(ranked)]
