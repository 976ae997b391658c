"""Manifest and work conditions with OCM's types, reasons and aggregation rules.

Pure; the time is a parameter. Conditions follow ``meta.SetStatusCondition``:
``lastTransitionTime`` is kept from the previous condition of the same type
unless its status flips, so an unchanged outcome gives byte-identical status.

Per manifest: ``Applied`` (AppliedManifestComplete / AppliedManifestFailed),
``Available`` (ResourceAvailable / ResourceNotAvailable / FetchingResourceFailed /
IncompleteResourceMeta: mere existence, as OCM), ``StatusFeedbackSynced``
(NoStatusFeedbackSynced / StatusFeedbackSynced / StatusFeedbackSyncFailed) and
whatever condition rules produce. Per work: ``Applied``
(AppliedManifestWorkComplete / AppliedManifestWorkFailed), ``Available``
(ResourcesAvailable / ResourcesNotAvailable / ResourcesStatusUnknown), and each
rule-defined type aggregated with reason ``ConditionRulesAggregated`` (any False
wins; for ``Progressing`` any True wins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model.body import Body
from gitops_ocm.work import feedback

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"
BUILT_IN = ("Applied", "Available", "StatusFeedbackSynced")


def new(kind: str, status: str, reason: str, message: str, generation: int) -> Body:
    """A condition without its transition time."""
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
    }


def stamp(previous: Sequence[Body], current: Sequence[Body], now: str) -> list[Body]:
    """Give each current condition its lastTransitionTime: kept unless the status flipped."""
    before = {c.get("type"): c for c in previous if isinstance(c, dict)}
    out = []
    for condition in current:
        old = before.get(condition["type"])
        same = old is not None and old.get("status") == condition["status"]
        when = old.get("lastTransitionTime") if same and old is not None else None
        out.append({**condition, "lastTransitionTime": when or now})
    return out


def applied(error: str, generation: int) -> Body:
    """The manifest ``Applied`` condition ("" error: applied)."""
    if error:
        return new("Applied", FALSE, "AppliedManifestFailed", error, generation)
    return new("Applied", TRUE, "AppliedManifestComplete", "Apply manifest complete", generation)


FOUND, MISSING, FETCH_FAILED, INCOMPLETE = "found", "missing", "fetch-failed", "incomplete"


def available(state: str, generation: int, error: str = "") -> Body:
    """The manifest ``Available`` condition from the outcome of reading the resource."""
    if state == FOUND:
        return new("Available", TRUE, "ResourceAvailable", "Resource is available", generation)
    if state == MISSING:
        message = "Resource is not available"
        return new("Available", FALSE, "ResourceNotAvailable", message, generation)
    reason = "IncompleteResourceMeta" if state == INCOMPLETE else "FetchingResourceFailed"
    return new("Available", UNKNOWN, reason, error, generation)


def feedback_synced(result: feedback.Feedback, generation: int) -> Body:
    """The manifest ``StatusFeedbackSynced`` condition."""
    if not result.has_rules:
        return new("StatusFeedbackSynced", TRUE, "NoStatusFeedbackSynced", "", generation)
    if result.errors:
        message = "; ".join(result.errors)
        return new("StatusFeedbackSynced", FALSE, "StatusFeedbackSyncFailed", message, generation)
    return new("StatusFeedbackSynced", TRUE, "StatusFeedbackSynced", "", generation)


def work_applied(manifests: Sequence[Sequence[Body]], generation: int) -> Body:
    """Work ``Applied``: True iff every manifest's Applied is True."""
    statuses = [_status(m, "Applied") for m in manifests]
    if all(s == TRUE for s in statuses):
        message = "Apply manifest work complete"
        return new("Applied", TRUE, "AppliedManifestWorkComplete", message, generation)
    failed = sum(1 for s in statuses if s != TRUE)
    message = f"Failed to apply manifest work: {failed} of {len(statuses)} manifests failed"
    return new("Applied", FALSE, "AppliedManifestWorkFailed", message, generation)


def work_available(manifests: Sequence[Sequence[Body]], generation: int) -> Body:
    """Work ``Available``: False if any False, else Unknown if any Unknown or none True."""
    statuses = [_status(m, "Available") for m in manifests]
    total = len(statuses)
    missing = statuses.count(FALSE)
    if missing:
        message = f"{missing} of {total} resources are not available"
        return new("Available", FALSE, "ResourcesNotAvailable", message, generation)
    unknown = sum(1 for s in statuses if s not in (TRUE, FALSE))
    if unknown or TRUE not in statuses:
        message = f"{unknown} of {total} resources have unknown status"
        return new("Available", UNKNOWN, "ResourcesStatusUnknown", message, generation)
    return new("Available", TRUE, "ResourcesAvailable", "All resources are available", generation)


def work_rules(manifests: Sequence[Sequence[Body]], generation: int) -> list[Body]:
    """Aggregate each rule-defined condition type over the manifests that have it."""
    kinds = sorted({c["type"] for m in manifests for c in m if c["type"] not in BUILT_IN})
    out = []
    for kind in kinds:
        statuses = [s for m in manifests if (s := _status(m, kind)) is not None]
        status = _aggregate(statuses, true_wins=kind == "Progressing")
        message = f"Aggregated from {len(statuses)} manifests"
        out.append(new(kind, status, "ConditionRulesAggregated", message, generation))
    return out


def _aggregate(statuses: Sequence[str], *, true_wins: bool) -> str:
    if true_wins:
        if TRUE in statuses:
            return TRUE
        return UNKNOWN if UNKNOWN in statuses or not statuses else FALSE
    if FALSE in statuses:
        return FALSE
    return UNKNOWN if UNKNOWN in statuses or TRUE not in statuses else TRUE


def _status(conditions: Sequence[Body], kind: str) -> str | None:
    for condition in conditions:
        if condition.get("type") == kind:
            return str(condition.get("status"))
    return None


def work_conditions(
    manifests: Sequence[Sequence[Body]], generation: int, extra: Sequence[Body] = ()
) -> list[Body]:
    """All work-level conditions (without times): Applied, Available, rules, ``extra``."""
    out = [work_applied(manifests, generation), work_available(manifests, generation)]
    return out + work_rules(manifests, generation) + list(extra)


def previous_by_meta(previous: Body | None) -> Mapping[tuple[Any, ...], list[Body]]:
    """Index a previous status's manifest conditions by resourceMeta (and without ordinal)."""
    index: dict[tuple[Any, ...], list[Body]] = {}
    manifests = ((previous or {}).get("resourceStatus") or {}).get("manifests") or []
    for entry in manifests:
        meta = entry.get("resourceMeta") or {}
        conditions = list(entry.get("conditions") or [])
        index[_key(meta, True)] = conditions
        index.setdefault(_key(meta, False), conditions)
    return index


def _key(meta: Mapping[str, Any], with_ordinal: bool) -> tuple[Any, ...]:
    fields = ("group", "version", "kind", "resource", "name", "namespace")
    key = tuple(meta.get(f, "") for f in fields)
    return (meta.get("ordinal"), *key) if with_ordinal else key


def previous_for(
    index: Mapping[tuple[Any, ...], list[Body]], meta: Mapping[str, Any]
) -> list[Body]:
    """Return the previous conditions of a manifest (matching by ordinal first)."""
    return index.get(_key(meta, True)) or index.get(_key(meta, False)) or []
