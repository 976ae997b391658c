"""What to write for each manifest of a work, and what to prune: OCM's apply strategies.

Pure. :func:`plan_apply` takes a work, each manifest's live object (None when
absent) and the owner (the work's AppliedManifestWork), and returns one
:class:`Action` per manifest in OCM's kind order:

* ``Update``: create if missing; else labels, annotations and owner references
  are merged into the live object, finalizers kept, every other top-level field
  the manifest names (spec, data, ...) replaced by the manifest's, and an update
  issued only if the result differs from the live object (drift is corrected
  this way). Top-level fields the manifest does not name (a Namespace's
  server-filled ``spec``) are left as the server has them.
* ``CreateOnly``: create if missing; afterwards only the owner reference is kept right.
* ``ServerSideApply``: apply with the field manager and ``force``; ignoreFields
  with ``OnSpokePresent`` keep the live value of those paths, and the whole apply
  is skipped while the config-spec hash annotation equals the manifest's hash
  (as OCM does, so spoke-side edits to ignored fields survive).
* ``ReadOnly``: never written, never owned, never deleted.

A resource the work orphans on deletion (Orphan, or a SelectivelyOrphan rule)
carries no owner reference to the AppliedManifestWork. :func:`plan_prune`
turns the difference between the previous inventory and the current one into
deletions (reverse kind order, UID-checked, only objects we own) and disowns
(objects another AppliedManifestWork also owns keep living).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model.body import Body
from gitops_ocm.work import jsonpath, order, spec

AMW_API_VERSION = "work.open-cluster-management.io/v1"
AMW_KIND = "AppliedManifestWork"
SPEC_HASH_ANNOTATION = "open-cluster-management.io/config-spec-hash"
CREATE, UPDATE, APPLY, NONE, FAIL = "create", "update", "apply", "none", "fail"
_SYSTEM_METADATA = ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields")


@dataclasses.dataclass(frozen=True)
class Owner:
    """The AppliedManifestWork that owns what a work applied."""

    name: str
    uid: str

    def reference(self) -> Body:
        """The ownerReference put on applied objects (plain, not a controller)."""
        return {"apiVersion": AMW_API_VERSION, "kind": AMW_KIND, "name": self.name, "uid": self.uid}


@dataclasses.dataclass(frozen=True)
class Action:
    """One write for one manifest: verb, body, and SSA options; ``error`` for FAIL."""

    meta: spec.ResourceMeta
    verb: str
    strategy: spec.Strategy
    body: Body | None = None
    error: str = ""


@dataclasses.dataclass(frozen=True)
class AppliedResource:
    """An entry of AppliedManifestWork ``status.appliedResources``."""

    group: str
    version: str
    resource: str
    namespace: str
    name: str
    uid: str
    kind: str = ""
    """Not in OCM's type: kept so the object can be addressed by kind (see docs/agent.md)."""

    @property
    def api_version(self) -> str:
        """The apiVersion to address it with."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def key(self) -> tuple[str, str, str, str]:
        """Identity without version and uid."""
        return (self.group, self.resource, self.namespace, self.name)

    def to_dict(self) -> Body:
        """As written in status."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> AppliedResource:
        """Read an entry back (missing fields are empty)."""
        entry = cls(*(str(raw.get(f.name) or "") for f in dataclasses.fields(cls)))
        if not entry.kind:
            entry = dataclasses.replace(entry, kind=order.RESOURCE_KIND.get(entry.resource, ""))
        return entry


@dataclasses.dataclass(frozen=True)
class PrunePlan:
    """Deletions (reverse kind order), disowns, and entries to keep in the inventory."""

    delete: tuple[AppliedResource, ...]
    disown: tuple[tuple[AppliedResource, Body], ...]
    keep: tuple[AppliedResource, ...]


def validate_manifest(meta: spec.ResourceMeta, manifest: Any) -> str:
    """Return why a manifest cannot be applied ("" when it can)."""
    if not isinstance(manifest, dict) or not meta.kind or not meta.version:
        return "manifest has no apiVersion or kind"
    if not meta.name:
        return f"{meta.kind} manifest has no metadata.name"
    if not meta.resource:
        return f'no matches for kind "{meta.kind}" in version "{meta.api_version}"'
    return ""


def plan_manifest(
    work: spec.Work, meta: spec.ResourceMeta, live: Body | None, owner: Owner
) -> Action:
    """Return the action for the manifest ``meta.ordinal`` of ``work``."""
    return _plan_one(work, meta, work.manifests[meta.ordinal], live, owner)


def plan_apply(
    work: spec.Work,
    metas: Sequence[spec.ResourceMeta],
    live: Mapping[int, Body | None],
    owner: Owner,
) -> list[Action]:
    """Return one action per manifest, in OCM's kind order."""
    return [
        _plan_one(work, metas[i], work.manifests[i], live.get(i), owner)
        for i in order.apply_order(work.manifests)
    ]


def _plan_one(
    work: spec.Work, meta: spec.ResourceMeta, manifest: Any, live: Body | None, owner: Owner
) -> Action:
    config = work.config_for(meta.id)
    strategy = config.strategy
    problem = validate_manifest(meta, manifest)
    if not problem and strategy.type not in spec.STRATEGIES:
        problem = f"unknown update strategy {strategy.type!r}"
    if problem:
        return Action(meta, FAIL, strategy, error=problem)
    if strategy.type == spec.READ_ONLY:
        return Action(meta, NONE, strategy)
    desired = _prepared(manifest, meta, owner, orphan=work.orphans(meta.id))
    if strategy.type == spec.SERVER_SIDE_APPLY:
        return _server_side(meta, strategy, desired, live, owner)
    if live is None:
        return Action(meta, CREATE, strategy, desired)
    if strategy.type == spec.CREATE_ONLY:
        merged = _with_owners(live, desired, owner)
    else:
        merged = _merged(live, desired, owner)
    return Action(meta, NONE if merged == live else UPDATE, strategy, merged)


def _prepared(manifest: Body, meta: spec.ResourceMeta, owner: Owner, *, orphan: bool) -> Body:
    """The manifest as written: system fields stripped, namespace set, our ownerRef."""
    body = copy.deepcopy(manifest)
    body.pop("status", None)
    metadata = body.setdefault("metadata", {})
    for field in _SYSTEM_METADATA:
        metadata.pop(field, None)
    if meta.namespace:
        metadata["namespace"] = meta.namespace
    refs = [r for r in metadata.get("ownerReferences") or [] if r.get("uid") != owner.uid]
    if not orphan:
        refs.append(owner.reference())
    if refs:
        metadata["ownerReferences"] = refs
    else:
        metadata.pop("ownerReferences", None)
    return body


def _with_owners(live: Body, desired: Body, owner: Owner) -> Body:
    """The live object with the desired owner references merged in (ours only if desired)."""
    merged = copy.deepcopy(live)
    refs = [r for r in merged["metadata"].get("ownerReferences") or [] if r.get("uid") != owner.uid]
    known = {r.get("uid") for r in refs}
    refs += [
        r for r in desired["metadata"].get("ownerReferences") or [] if r.get("uid") not in known
    ]
    if refs:
        merged["metadata"]["ownerReferences"] = refs
    else:
        merged["metadata"].pop("ownerReferences", None)
    return merged


def _merged(live: Body, desired: Body, owner: Owner) -> Body:
    """OCM's Update: merge labels/annotations/ownerRefs, keep finalizers, replace the rest."""
    merged = _with_owners(live, desired, owner)
    meta, want = merged["metadata"], desired["metadata"]
    for key in ("labels", "annotations"):
        if want.get(key):
            meta[key] = {**(meta.get(key) or {}), **want[key]}
    for key, value in desired.items():
        if key not in ("apiVersion", "kind", "metadata", "status"):
            merged[key] = copy.deepcopy(value)
    return merged


def _server_side(
    meta: spec.ResourceMeta, strategy: spec.Strategy, desired: Body, live: Body | None, owner: Owner
) -> Action:
    present = [
        jsonpath.parse(p)
        for f in strategy.ignore_fields
        if f.condition != "OnSpokeChange"
        for p in f.json_paths
    ]
    if not strategy.ignore_fields:
        return Action(meta, APPLY, strategy, desired)
    hashed = copy.deepcopy(desired)
    for steps in present:
        jsonpath.remove(hashed, steps)
    digest = hashlib.sha256(json.dumps(hashed, sort_keys=True).encode()).hexdigest()
    body = copy.deepcopy(desired)
    body["metadata"].setdefault("annotations", {})[SPEC_HASH_ANNOTATION] = digest
    if live is None:
        return Action(meta, APPLY, strategy, body)
    live_meta = live.get("metadata") or {}
    owned = any(r.get("uid") == owner.uid for r in live_meta.get("ownerReferences") or [])
    wanted = desired["metadata"].get("ownerReferences") or []
    wants_owner = any(r.get("uid") == owner.uid for r in wanted)
    same = (live_meta.get("annotations") or {}).get(SPEC_HASH_ANNOTATION) == digest
    if same and owned == wants_owner:
        return Action(meta, NONE, strategy)
    for steps in present:
        found, value = jsonpath.lookup(live, steps)
        if found:
            jsonpath.put(body, steps, copy.deepcopy(value))
    return Action(meta, APPLY, strategy, body)


def applied_resource(meta: spec.ResourceMeta, obj: Body) -> AppliedResource:
    """The inventory entry of an applied object."""
    uid = str((obj.get("metadata") or {}).get("uid") or "")
    return AppliedResource(
        meta.group, meta.version, meta.resource, meta.namespace, meta.name, uid, meta.kind
    )


def plan_prune(
    previous: Sequence[AppliedResource],
    current: Sequence[AppliedResource],
    live: Mapping[AppliedResource, Body | None],
    owner: Owner,
) -> PrunePlan:
    """Plan the removal of what is in ``previous`` but not ``current`` (same uid).

    ``live`` holds each stale entry's object as read now. Entries whose object is
    gone, was recreated (other uid) or is not owned by ``owner`` are dropped;
    objects still terminating are kept; objects another AppliedManifestWork also
    owns are disowned; the rest are deleted, in reverse kind order.
    """
    wanted = set(current)
    deletes: list[AppliedResource] = []
    disowns: list[tuple[AppliedResource, Body]] = []
    keep: list[AppliedResource] = []
    for entry in previous:
        if entry in wanted:
            continue
        obj = live.get(entry)
        meta = (obj or {}).get("metadata") or {}
        if obj is None or meta.get("uid") != entry.uid:
            continue
        refs = meta.get("ownerReferences") or []
        if not any(r.get("uid") == owner.uid for r in refs):
            continue
        keep.append(entry)
        if meta.get("deletionTimestamp"):
            continue
        others = [r for r in refs if r.get("kind") == AMW_KIND and r.get("uid") != owner.uid]
        if others:
            disowns.append((entry, _without_owner(obj, owner)))
        else:
            deletes.append(entry)
    ordered = order.delete_order(deletes, lambda e: e.resource)
    return PrunePlan(tuple(ordered), tuple(disowns), tuple(keep))


def _without_owner(obj: Body, owner: Owner) -> Body:
    new = copy.deepcopy(obj)
    refs = [r for r in new["metadata"].get("ownerReferences") or [] if r.get("uid") != owner.uid]
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    return new
