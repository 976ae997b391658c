"""Applying one ManifestWork to the cluster, and deleting what a work no longer holds.

I/O: every read and write goes through the ``kube.cluster.Cluster`` interface.
The decisions are :mod:`gitops_ocm.work.plan`'s; this module reads the live
objects, runs the planned writes one manifest at a time (an error is recorded on
that manifest and the others go on), reads each resource back for status, and
reports what it could not prune (the entry stays for the next pass), and
keeps the inventory in the work's AppliedManifestWork on the cluster
(``<hubHash>-<work>``, ``status.appliedResources``), as OCM's work agent does.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

from gitops_ocm import errors
from gitops_ocm.agent import crds, results
from gitops_ocm.kube import cluster as kube
from gitops_ocm.model.body import Body
from gitops_ocm.work import conditions, order, plan, spec, workstatus

SPEC_HASH = "gitops-ocm.io/prescription"
GENERATION = "gitops-ocm.io/generation"


def hub_hash(location: str) -> str:
    """OCM's hubHash: hex SHA-256 of where the hub is (the redacted repository location)."""
    return hashlib.sha256(location.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class WorkResult:
    """A work after a pass: outcomes per manifest, its AppliedManifestWork and counts."""

    outcomes: tuple[workstatus.Outcome, ...]
    amw: Body
    generation: int
    written: int
    pruned: int
    prune_failures: tuple[results.PruneFailure, ...] = ()


@dataclasses.dataclass(frozen=True)
class Pruned:
    """A prune: inventory entries still present, objects removed, and what failed."""

    kept: list[plan.AppliedResource]
    removed: int
    failures: tuple[results.PruneFailure, ...]


@dataclasses.dataclass(frozen=True)
class Deletion:
    """A work's deletion: resources still left (0: the AppliedManifestWork is gone) and failures."""

    remaining: int
    failures: tuple[results.PruneFailure, ...]


class Applier:
    """Applies works for one hub to one cluster."""

    def __init__(self, cluster: kube.Cluster, hub: str, agent_id: str) -> None:
        self.cluster = cluster
        self.hub = hub
        self.agent_id = agent_id
        self._scopes: dict[tuple[str, str], spec.Scope | None] = {}

    def resolve(self, api_version: str, kind: str) -> spec.Scope | None:
        """Discovery of a kind, cached (misses are asked again after a CRD is written)."""
        key = (api_version, kind)
        if key not in self._scopes:
            info = self.cluster.resource_for(api_version, kind)
            self._scopes[key] = None if info is None else spec.Scope(info.plural, info.namespaced)
        return self._scopes[key]

    def amw_name(self, work: str) -> str:
        """The AppliedManifestWork name of ``work``."""
        return f"{self.hub}-{work}"

    def applied_works(self) -> list[Body]:
        """Every AppliedManifestWork on the cluster."""
        return self.cluster.list(crds.AMW_API_VERSION, crds.AMW_KIND)

    def ensure_amw(self, work: spec.Work, prescription: str, existing: Body | None) -> Body:
        """Create or refresh the work's AppliedManifestWork; bump its generation on change."""
        name = self.amw_name(work.name)
        meta = (existing or {}).get("metadata") or {}
        notes = dict(meta.get("annotations") or {})
        generation = int(notes.get(GENERATION) or 0)
        if notes.get(SPEC_HASH) != prescription:
            generation += 1
        notes |= {SPEC_HASH: prescription, GENERATION: str(generation)}
        body: Body = {
            "apiVersion": crds.AMW_API_VERSION,
            "kind": crds.AMW_KIND,
            "metadata": {"name": name, "labels": dict(work.labels), "annotations": notes},
            "spec": {"hubHash": self.hub, "agentID": self.agent_id, "manifestWorkName": work.name},
        }
        if existing is None:
            return self.cluster.create(body)
        if (
            meta.get("labels", {}) == body["metadata"]["labels"]
            and meta.get("annotations") == notes
        ):
            return existing
        updated = {**existing, "metadata": {**meta, **body["metadata"]}, "spec": body["spec"]}
        return self.cluster.update(updated)

    def apply_work(
        self, work: spec.Work, amw: Body, refused: Mapping[int, str] | None = None
    ) -> WorkResult:
        """Apply every manifest in kind order, prune what left the work, record the inventory.

        ``refused`` maps ordinals not to write to why (a SealedSecret that did not
        open, :mod:`.unsealing`): Applied=False, the live object read and kept.
        """
        owner = plan.Owner(amw["metadata"]["name"], amw["metadata"]["uid"])
        outcomes: list[workstatus.Outcome] = []
        written = 0
        for ordinal in order.apply_order(work.manifests):
            outcome, wrote = self._apply_one(work, ordinal, owner, (refused or {}).get(ordinal))
            outcomes.append(outcome)
            written += wrote
        previous = inventory(amw)
        current = _current(outcomes, work, previous)
        pruned = self.prune(previous, current, owner, work.name)
        amw = self.record(amw, current + pruned.kept)
        generation = int((amw["metadata"].get("annotations") or {}).get(GENERATION) or 1)
        return WorkResult(
            tuple(outcomes), amw, generation, written, pruned.removed, pruned.failures
        )

    def _apply_one(
        self, work: spec.Work, ordinal: int, owner: plan.Owner, refused: str | None = None
    ) -> tuple[Any, int]:
        manifest = work.manifests[ordinal]
        meta = spec.resource_meta(ordinal, manifest, self.resolve)
        live, read, read_error = self._read(meta)
        if read == conditions.FETCH_FAILED:
            return workstatus.Outcome(meta, read_error, read, read_error), 0
        if refused is not None:
            return workstatus.Outcome(meta, refused, read, read_error, live), 0
        action = plan.plan_manifest(work, meta, live, owner)
        error = action.error
        wrote = 0
        if action.verb in (plan.CREATE, plan.UPDATE, plan.APPLY) and action.body is not None:
            error, wrote = self._write(action), 1
        if meta.kind == "CustomResourceDefinition":
            self._scopes = {k: v for k, v in self._scopes.items() if v is not None}
        if action.verb != plan.FAIL:
            live, read, read_error = self._read(meta)
        return workstatus.Outcome(meta, error, read, read_error, live), wrote

    def _read(self, meta: spec.ResourceMeta) -> tuple[Body | None, str, str]:
        if not meta.resource or not meta.name:
            why = plan.validate_manifest(meta, {}) or "incomplete resource meta"
            return None, conditions.INCOMPLETE, why
        try:
            obj = self.cluster.get(meta.api_version, meta.kind, meta.name, meta.namespace or None)
        except errors.GitopsOcmError as exc:
            return None, conditions.FETCH_FAILED, str(exc)
        return obj, conditions.FOUND if obj is not None else conditions.MISSING, ""

    def _write(self, action: plan.Action) -> str:
        body = action.body or {}
        try:
            if action.verb == plan.CREATE:
                self.cluster.create(body)
            elif action.verb == plan.UPDATE:
                self.cluster.update(body)
            else:
                manager, force = action.strategy.field_manager, action.strategy.force
                self.cluster.apply(body, field_manager=manager, force=force)
        except errors.GitopsOcmError as exc:
            return str(exc) or type(exc).__name__
        return ""

    def prune(
        self,
        previous: list[plan.AppliedResource],
        current: list[plan.AppliedResource],
        owner: plan.Owner,
        work: str,
    ) -> Pruned:
        """Delete or disown stale entries; report each that could not be read or removed.

        An entry whose object could not be read stays in the inventory, as does one
        whose deletion failed, so that the next pass tries again.
        """
        stale = [e for e in previous if e not in set(current)]
        failures: list[results.PruneFailure] = []
        live: dict[plan.AppliedResource, Body | None] = {}
        unread: list[plan.AppliedResource] = []
        for entry in stale:
            try:
                live[entry] = self._get_entry(entry)
            except errors.GitopsOcmError as exc:
                live[entry] = None
                unread.append(entry)
                failures.append(results.PruneFailure(work, _describe(entry), _text(exc)))
        steps = plan.plan_prune(previous, current, live, owner)
        removed = 0
        for entry, obj in steps.disown:
            try:
                self.cluster.update(obj)
                removed += 1
            except errors.GitopsOcmError as exc:
                failures.append(results.PruneFailure(work, _describe(entry), _text(exc)))
        for entry in steps.delete:
            try:
                self.cluster.delete(
                    entry.api_version,
                    entry.kind,
                    entry.name,
                    entry.namespace or None,
                    uid=entry.uid,
                )
                removed += 1
            except errors.GitopsOcmError as exc:
                failures.append(results.PruneFailure(work, _describe(entry), _text(exc)))
        kept = [e for e in steps.keep if self._still_there(e, steps)] + unread
        return Pruned(kept, removed, tuple(failures))

    def _still_there(self, entry: plan.AppliedResource, steps: plan.PrunePlan) -> bool:
        if any(entry == e for e, _ in steps.disown):
            return False
        try:
            obj = self._get_entry(entry)
        except errors.GitopsOcmError:  # cannot tell: keep it, the next pass looks again
            return True
        return obj is not None and (obj.get("metadata") or {}).get("uid") == entry.uid

    def _get_entry(self, entry: plan.AppliedResource) -> Body | None:
        if not entry.kind:
            return None
        return self.cluster.get(entry.api_version, entry.kind, entry.name, entry.namespace or None)

    def record(self, amw: Body, entries: list[plan.AppliedResource]) -> Body:
        """Write ``status.appliedResources`` (sorted, no duplicates) if it changed."""
        unique = sorted(set(entries), key=lambda e: (e.key(), e.uid))
        applied = [e.to_dict() for e in unique]
        return self.set_status(amw, {"appliedResources": applied})

    def set_status(self, amw: Body, changes: dict[str, Any]) -> Body:
        """Merge ``changes`` into the AppliedManifestWork's status (None deletes a key)."""
        old = dict(amw.get("status") or {})
        new = {**old, **changes}
        new = {k: v for k, v in new.items() if v is not None}
        if new == old:
            return amw
        return self.cluster.update_status({**amw, "status": new})

    def delete_work(self, amw: Body, work: str) -> Deletion:
        """Remove what the AppliedManifestWork still owns, then it."""
        owner = plan.Owner(amw["metadata"]["name"], amw["metadata"]["uid"])
        pruned = self.prune(inventory(amw), [], owner, work)
        if pruned.kept:
            self.record(amw, pruned.kept)
            return Deletion(len(pruned.kept), pruned.failures)
        self.cluster.delete(
            crds.AMW_API_VERSION, crds.AMW_KIND, owner.name, uid=owner.uid, propagation="Orphan"
        )
        return Deletion(0, pruned.failures)


def inventory(amw: Body) -> list[plan.AppliedResource]:
    """The AppliedManifestWork's ``status.appliedResources``."""
    raw = (amw.get("status") or {}).get("appliedResources") or []
    return [plan.AppliedResource.from_dict(r) for r in raw if isinstance(r, dict)]


def _describe(entry: plan.AppliedResource) -> str:
    """How a prune failure names the resource: ``Kind namespace/name``."""
    where = f"{entry.namespace}/{entry.name}" if entry.namespace else entry.name
    return f"{entry.kind or entry.resource} {where}"


def _text(exc: errors.GitopsOcmError) -> str:
    return str(exc) or type(exc).__name__


def _current(
    outcomes: list[workstatus.Outcome], work: spec.Work, previous: list[plan.AppliedResource]
) -> list[plan.AppliedResource]:
    """Inventory entries for what the work holds now (kept from before when unreadable)."""
    before = {e.key(): e for e in previous}
    out = []
    for outcome in outcomes:
        meta = outcome.meta
        if work.config_for(meta.id).strategy.type == spec.READ_ONLY:
            continue
        if outcome.obj is not None:
            out.append(plan.applied_resource(meta, outcome.obj))
        elif outcome.read == conditions.FETCH_FAILED:
            key = (meta.group, meta.resource, meta.namespace, meta.name)
            if key in before:
                out.append(before[key])
    return out
