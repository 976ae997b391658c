"""A ManifestWork's status from what the applier did and read back.

Pure; the time is a parameter. One :class:`Outcome` per manifest (the apply
error, and how reading the resource afterwards went) becomes OCM's
``resourceStatus.manifests[]`` entry (resourceMeta, conditions, statusFeedback),
and the manifests' conditions become the work's. Times are kept from the
previous status unless a status flipped, so an unchanged cluster reports
byte-identical files. A Secret's ``data`` and ``stringData`` are removed before
feedback and condition rules see it, so no rule can copy a secret value into
the report (and so into Git).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from gitops_ocm.model.body import Body
from gitops_ocm.work import conditions, feedback, rules, spec


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What happened to one manifest in a pass."""

    meta: spec.ResourceMeta
    error: str = ""
    read: str = conditions.FOUND
    read_error: str = ""
    obj: Body | None = None


def manifest_status(
    work: spec.Work, outcome: Outcome, previous: Sequence[Body], generation: int, now: str
) -> Body:
    """Return the ``resourceStatus.manifests[]`` entry of one manifest."""
    config = work.config_for(outcome.meta.id)
    obj = redacted(outcome.meta, outcome.obj)
    values = feedback.collect(config.feedback_rules, outcome.meta, obj)
    current = [
        conditions.applied(outcome.error, generation),
        conditions.available(outcome.read, generation, outcome.read_error),
        conditions.feedback_synced(values, generation),
    ]
    for produced in rules.evaluate(config.condition_rules, outcome.meta.kind, obj):
        current.append({**produced, "observedGeneration": generation})
    entry: Body = {
        "resourceMeta": outcome.meta.to_dict(),
        "conditions": conditions.stamp(previous, current, now),
        "statusFeedback": {"values": list(values.values)} if values.values else {},
    }
    return entry


def redacted(meta: spec.ResourceMeta, obj: Body | None) -> Body | None:
    """Return ``obj`` without its values when it is a core Secret, else ``obj`` itself."""
    if obj is None or meta.kind != "Secret" or meta.group:
        return obj
    return {k: v for k, v in obj.items() if k not in ("data", "stringData")}


def work_status(
    work: spec.Work,
    outcomes: Sequence[Outcome],
    previous: Body | None,
    generation: int,
    now: str,
    extra: Sequence[Body] = (),
) -> Body:
    """Return a ManifestWork's ``status`` (conditions and resourceStatus)."""
    index = conditions.previous_by_meta(previous)
    ordered = sorted(outcomes, key=lambda o: o.meta.ordinal)
    manifests = [
        manifest_status(work, o, conditions.previous_for(index, o.meta.to_dict()), generation, now)
        for o in ordered
    ]
    current = conditions.work_conditions([m["conditions"] for m in manifests], generation, extra)
    before = list((previous or {}).get("conditions") or [])
    return {
        "conditions": conditions.stamp(before, current, now),
        "resourceStatus": {"manifests": manifests},
    }


def deleting(previous: Body | None, generation: int, now: str, remaining: int) -> Body:
    """The status of a work whose deletion is under way: the last status plus ``Deleting``."""
    status = dict(previous or {})
    message = f"{remaining} resources are still being deleted"
    condition = conditions.new("Deleting", conditions.TRUE, "WorkDeleting", message, generation)
    kept = [c for c in status.get("conditions") or [] if c.get("type") != "Deleting"]
    status["conditions"] = kept + conditions.stamp(status.get("conditions") or [], [condition], now)
    return status
