"""ManifestWorkReplicaSet status: summary, placementSummary, conditions, and the rollout.

Pure; ``now`` is only written into a condition whose status flips (with the
previous status file given, an unchanged status gives identical bytes).

OCM counts, per placement and summed, the works that are up to date with the
template and not being deleted, by work-level condition (Applied, Available,
Degraded, Progressing). Here a work exists when the hub tree has its file, and
it is up to date when the cluster's report names that file's blob id in the
annotation ``gitops-ocm.io/prescription``: the agent observed the current
prescription. ``total`` counts the published works; the others count up-to-date
reports whose condition is True for the reported generation.

Conditions and reasons are OCM's, with two departures:

* ``ManifestworkApplied`` is False ``Processing`` (not ``NotAsExpected``) while
  some works only wait for their agent to report the current prescription and
  none is degraded: that is a rollout in progress, not a failure.
* A cluster counts as rolled out (``PlacementRolledOut``) when its up-to-date
  work is Applied, not Degraded, and Progressing is False, or, without a
  Progressing condition (no condition rules), Available. OCM requires
  Progressing False, so without rules a rollout never completes.

A set rolled out in steps has a state file on ``ocm/hub``
(:mod:`gitops_ocm.work.rolloutstate`); its status then carries ``rollout``
(the state's status without the stable template) and its
``PlacementRolledOut`` follows the state's phase: True ``Complete`` when
Succeeded, else False with the phase as reason and the state's message.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import timefmt, yamlout
from gitops_ocm.status import hubindex, scan, views
from gitops_ocm.work import rolloutstate

API_VERSION = "work.open-cluster-management.io/v1alpha1"


@dataclasses.dataclass(frozen=True)
class Counts:
    """OCM's summary fields, plus what the conditions need."""

    total: int = 0
    applied: int = 0
    available: int = 0
    degraded: int = 0
    progressing: int = 0
    succeeded: int = 0
    pending: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.fields(), other.fields(), strict=True)))

    def __sub__(self, other: Counts) -> Counts:
        return Counts(*(a - b for a, b in zip(self.fields(), other.fields(), strict=True)))

    def fields(self) -> tuple[int, ...]:
        """The counts in field order (``dataclasses.astuple`` deep-copies, which is slow)."""
        return (
            self.total,
            self.applied,
            self.available,
            self.degraded,
            self.progressing,
            self.succeeded,
            self.pending,
        )

    def summary(self) -> dict[str, int]:
        """The ``summary`` object as OCM writes it."""
        return {
            "total": self.total,
            "applied": self.applied,
            "available": self.available,
            "degraded": self.degraded,
            "progressing": self.progressing,
        }


@dataclasses.dataclass(frozen=True)
class PlacementPart:
    """One placementRef: its placement (None when missing) and its works' counts."""

    name: str
    placement: hubindex.HubPlacement | None
    counts: Counts


@dataclasses.dataclass(frozen=True)
class ReplicaSetStatus:
    """The computed status of one ManifestWorkReplicaSet."""

    namespace: str
    name: str
    parts: tuple[PlacementPart, ...]
    counts: Counts
    conditions: tuple[scan.Condition, ...]
    rollout: rolloutstate.RolloutState | None = None
    """The rollout's state, for a set rolled out in steps (from the hub tree)."""

    @property
    def path(self) -> str:
        """Its file in the status tree."""
        return f"manifestworkreplicasets/{self.namespace}/{self.name}.yaml"

    def condition(self, kind: str) -> scan.Condition | None:
        """The condition of type ``kind``."""
        return next((c for c in self.conditions if c.type == kind), None)


def count(works: Sequence[views.WorkState]) -> Counts:
    """Count works by their up-to-date reported conditions."""
    current = [w for w in works if w.up_to_date]
    return Counts(
        total=len(works),
        applied=sum(1 for w in current if w.is_true("Applied")),
        available=sum(1 for w in current if w.is_true("Available")),
        degraded=sum(1 for w in current if w.is_true("Degraded")),
        progressing=sum(1 for w in current if w.is_true("Progressing")),
        succeeded=sum(1 for w in current if succeeded(w)),
        pending=len(works) - len(current),
    )


def count_one(work: views.WorkState) -> Counts:
    """:func:`count` of one work."""
    if not work.up_to_date or work.report is None:
        return Counts(total=1, pending=1)
    true = work.report.true_types
    return Counts(
        1,
        int("Applied" in true),
        int("Available" in true),
        int("Degraded" in true),
        int("Progressing" in true),
        int(succeeded(work)),
    )


def succeeded(work: views.WorkState) -> bool:
    """Whether the work rolled out on its cluster (see the module docstring)."""
    if not work.is_true("Applied") or work.is_true("Degraded"):
        return False
    progressing = work.condition("Progressing")
    if progressing is not None and work.report is not None and work.report.current(progressing):
        return progressing.status == "False"
    return work.is_true("Available")


def compute(
    key: tuple[str, str],
    placement_names: Sequence[str],
    works: Mapping[str, Sequence[views.WorkState]],
    placements: Mapping[tuple[str, str], hubindex.HubPlacement],
) -> ReplicaSetStatus:
    """The status of replica set ``key`` over its placements (works grouped by placement)."""
    counts = {p: count(works.get(p, ())) for p in placement_names}
    return of_counts(key, placement_names, counts, placements)


def of_counts(
    key: tuple[str, str],
    placement_names: Sequence[str],
    counts: Mapping[str, Counts],
    placements: Mapping[tuple[str, str], hubindex.HubPlacement],
    rollout: rolloutstate.RolloutState | None = None,
) -> ReplicaSetStatus:
    """The status of replica set ``key`` from its works' counts per placement (and rollout)."""
    parts = tuple(
        PlacementPart(p, placements.get((key[0], p)), counts.get(p, Counts()))
        for p in placement_names
    )
    total = sum((part.counts for part in parts), Counts())
    found = conditions(parts, total, rollout)
    return ReplicaSetStatus(key[0], key[1], parts, total, found, rollout)


def conditions(
    parts: Sequence[PlacementPart],
    total: Counts,
    rollout: rolloutstate.RolloutState | None = None,
) -> tuple[scan.Condition, ...]:
    """PlacementVerified, PlacementRolledOut and ManifestworkApplied."""
    missing = [p.name for p in parts if p.placement is None]
    if missing:
        verified = _cond(
            "PlacementVerified",
            "False",
            "PlacementDecisionNotFound",
            f"Placement {', '.join(missing)} not found",
        )
    elif total.total == 0:
        verified = _cond(
            "PlacementVerified", "False", "PlacementDecisionEmpty", "no cluster is selected"
        )
    else:
        verified = _cond("PlacementVerified", "True", "AsExpected", "placements verified")
    selected = sum(p.placement.selected for p in parts if p.placement is not None)
    rolled = f"{total.succeeded} of {selected} selected clusters rolled out"
    if rollout is not None:
        rolled_out = _rolled_out(rollout, rolled)
    elif selected == total.succeeded:
        rolled_out = _cond("PlacementRolledOut", "True", "Complete", rolled)
    else:
        rolled_out = _cond("PlacementRolledOut", "False", "Progressing", rolled)
    return verified, rolled_out, _applied(total, verified.reason)


def _rolled_out(state: rolloutstate.RolloutState, counted: str) -> scan.Condition:
    """``PlacementRolledOut`` of a set rolled out in steps: its state's phase decides."""
    message = state.message or counted
    if state.phase == rolloutstate.SUCCEEDED:
        return _cond("PlacementRolledOut", "True", "Complete", message)
    return _cond("PlacementRolledOut", "False", state.phase, message)


def _applied(total: Counts, verified_reason: str) -> scan.Condition:
    kind = "ManifestworkApplied"
    if total.total == 0:
        empty = verified_reason == "PlacementDecisionEmpty"
        reason = "PlacementDecisionEmpty" if empty else "NotAsExpected"
        return _cond(kind, "False", reason, "no ManifestWork is published")
    message = (
        f"{total.available} of {total.total} available, {total.applied} applied, "
        f"{total.degraded} degraded, {total.progressing} progressing, "
        f"{total.pending} awaiting the agent's report of the current prescription"
    )
    if total.available == total.total and not total.progressing and not total.degraded:
        return _cond(kind, "True", "AsExpected", message)
    if not total.degraded and (total.progressing or total.pending):
        return _cond(kind, "False", "Processing", message)
    return _cond(kind, "False", "NotAsExpected", message)


def _cond(kind: str, status: str, reason: str, message: str) -> scan.Condition:
    return scan.Condition(kind, status, reason, message)


Conditions = Mapping[str, Mapping[str, Any]]
"""A status file's conditions by type (what keeps their transition times)."""


def render(
    status: ReplicaSetStatus,
    previous: bytes | None,
    now: datetime.datetime,
    *,
    before: Conditions | None = None,
) -> bytes:
    """The ManifestWorkReplicaSet file: metadata and status only.

    ``before`` (the previous file's conditions, when the caller still has them)
    spares parsing ``previous``.
    """
    return yamlout.dump(body(status, previous, now, before=before))


def body(
    status: ReplicaSetStatus,
    previous: bytes | None,
    now: datetime.datetime,
    *,
    before: Conditions | None = None,
) -> dict[str, Any]:
    """The ManifestWorkReplicaSet object :func:`render` writes."""
    known = _previous_conditions(previous) if before is None else before
    out: dict[str, Any] = {
        "conditions": [_condition(c, known, now) for c in status.conditions],
        "placementSummary": [_part(p) for p in status.parts],
        "summary": status.counts.summary(),
    }
    if status.rollout is not None:
        out["rollout"] = status.rollout.status_dict(with_template=False)
    return {
        "apiVersion": API_VERSION,
        "kind": "ManifestWorkReplicaSet",
        "metadata": {"name": status.name, "namespace": status.namespace},
        "status": out,
    }


def conditions_of(written: Mapping[str, Any]) -> Conditions:
    """The conditions of an object :func:`body` made, as the next render reads them."""
    return {c["type"]: c for c in written["status"]["conditions"]}


def _part(part: PlacementPart) -> dict[str, Any]:
    placement = part.placement
    groups = placement.groups if placement else 0
    selected = placement.selected if placement else 0
    applied = part.counts.applied
    return {
        "name": part.name,
        "availableDecisionGroups": f"{groups} ({applied} / {selected} clusters applied)",
        "summary": part.counts.summary(),
    }


def _condition(
    cond: scan.Condition, before: Mapping[str, Mapping[str, Any]], now: datetime.datetime
) -> dict[str, Any]:
    old = before.get(cond.type, {})
    same = old.get("status") == cond.status and old.get("lastTransitionTime")
    since = str(old["lastTransitionTime"]) if same else timefmt.format_seconds(now)
    return {
        "type": cond.type,
        "status": cond.status,
        "reason": cond.reason,
        "message": cond.message,
        "lastTransitionTime": since,
    }


def _previous_conditions(previous: bytes | None) -> dict[str, Mapping[str, Any]]:
    if not previous:
        return {}
    try:
        status = scan.as_mapping(scan.body(previous).get("status"))
    except Exception:  # a damaged previous file only loses its transition times
        return {}
    out: dict[str, Mapping[str, Any]] = {}
    for cond in status.get("conditions") or []:
        if isinstance(cond, dict) and isinstance(cond.get("type"), str):
            out[cond["type"]] = cond
    return out
