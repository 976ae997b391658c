"""What ``pruneObjectBehavior`` deletes when a ConfigurationPolicy goes away.

Pure. Only an enforced policy prunes. ``DeleteAll`` deletes every object the policy
recorded in ``status.relatedObjects`` that still exists; ``DeleteIfCreated`` only
those it created (``properties.createdByPolicy``), and only while the live object is
the one it created (same uid, when a uid was recorded); ``None`` (the default)
deletes nothing. Objects already terminating are left alone, as in OCM.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from gitops_ocm.policy.evaluate import Delete
from gitops_ocm.policy.live import LiveView, ObjectRef

DELETE_ALL = "DeleteAll"
DELETE_IF_CREATED = "DeleteIfCreated"


def managed_refs(template: Mapping[str, Any]) -> list[ObjectRef]:
    """Return the objects a ConfigurationPolicy's status says it manages."""
    related = (template.get("status") or {}).get("relatedObjects") or []
    refs = (ObjectRef.of(r.get("object") or {}) for r in related)
    return [ref for ref in refs if ref.name and ref.name != "-"]


def created_refs(template: Mapping[str, Any]) -> dict[ObjectRef, str]:
    """Return the objects the policy created, with the uid recorded for each ("" if none)."""
    found: dict[ObjectRef, str] = {}
    for related in (template.get("status") or {}).get("relatedObjects") or []:
        properties = related.get("properties") or {}
        if properties.get("createdByPolicy"):
            found[ObjectRef.of(related.get("object") or {})] = str(properties.get("uid") or "")
    return found


def prune_changes(
    template: Mapping[str, Any],
    created_by_policy_refs: Mapping[ObjectRef, str] | Collection[ObjectRef],
    live: LiveView,
    behavior: str | None = None,
    *,
    remediation_override: str | None = None,
    still_related: Collection[ObjectRef] = (),
) -> list[Delete]:
    """Return the deletions for a removed policy (or for objects that left it)."""
    spec = template.get("spec") or {}
    remediation = str(remediation_override or spec.get("remediationAction") or "inform").lower()
    behavior = behavior if behavior is not None else str(spec.get("pruneObjectBehavior") or "None")
    if remediation != "enforce" or behavior not in (DELETE_ALL, DELETE_IF_CREATED):
        return []
    created = _as_uids(created_by_policy_refs)
    deletes = []
    for ref in sorted(set(managed_refs(template)) | set(created)):
        if ref in still_related:
            continue
        existing = live.get(ref.api_version, ref.kind, ref.namespace, ref.name)
        if existing is None or (existing.get("metadata") or {}).get("deletionTimestamp"):
            continue
        if behavior == DELETE_ALL or _created_this(ref, created, existing):
            deletes.append(Delete(ref))
    return deletes


def _as_uids(refs: Mapping[ObjectRef, str] | Collection[ObjectRef]) -> dict[ObjectRef, str]:
    if isinstance(refs, Mapping):
        return {ref: str(uid) for ref, uid in refs.items()}
    return dict.fromkeys(refs, "")


def _created_this(
    ref: ObjectRef, created: Mapping[ObjectRef, str], existing: Mapping[str, Any]
) -> bool:
    if ref not in created:
        return False
    uid = str((existing.get("metadata") or {}).get("uid") or "")
    return not created[ref] or created[ref] == uid
