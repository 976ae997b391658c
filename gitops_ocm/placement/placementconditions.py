"""Placement conditions with OCM's reasons and messages, and ``lastTransitionTime`` kept.

Pure. ``PlacementMisconfigured`` is True (reason ``Misconfigured``, message
``<plugin>:<message>``) or False (``Succeedconfigured``). ``PlacementSatisfied``
follows OCM's first-match table: no valid binding, no intersection, empty sets,
nothing selected, all scheduled, or some unscheduled. As with Kubernetes'
``meta.SetStatusCondition``, ``lastTransitionTime`` changes only when a
condition's status changes; the previous status comes from the previous hub tree.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import timefmt
from gitops_ocm.placement import plugins, sets

MISCONFIGURED = "PlacementMisconfigured"
SATISFIED = "PlacementSatisfied"


def misconfigured(problem: plugins.Misconfigured | None) -> dict[str, str]:
    """Return the PlacementMisconfigured condition (without a transition time)."""
    if problem is None:
        return _condition(
            MISCONFIGURED, "False", "Succeedconfigured", "Placement configurations check pass"
        )
    return _condition(MISCONFIGURED, "True", "Misconfigured", str(problem))


def satisfied(
    scope: sets.Scope, wanted_sets: Sequence[str], selected: int, unscheduled: int
) -> dict[str, str]:
    """Return the PlacementSatisfied condition by OCM's first-match rules."""
    if not scope.bindings:
        return _condition(
            SATISFIED,
            "False",
            "NoManagedClusterSetBindings",
            "No valid ManagedClusterSetBindings found in placement namespace",
        )
    if not scope.eligible:
        return _condition(
            SATISFIED,
            "False",
            "NoIntersection",
            f"None of ManagedClusterSets [{','.join(wanted_sets)}] is bound to placement namespace",
        )
    if not scope.candidates:
        return _condition(
            SATISFIED,
            "False",
            "AllManagedClusterSetsEmpty",
            f"All ManagedClusterSets [{','.join(scope.eligible)}] have no member ManagedCluster",
        )
    if selected == 0:
        return _condition(
            SATISFIED,
            "False",
            "NoManagedClusterMatched",
            "No ManagedCluster matches any of the cluster predicate",
        )
    if unscheduled <= 0:
        return _condition(
            SATISFIED, "True", "AllDecisionsScheduled", "All cluster decisions scheduled"
        )
    return _condition(
        SATISFIED,
        "False",
        "NotAllDecisionsScheduled",
        f"{unscheduled} cluster decisions unscheduled",
    )


def merge(
    new: Sequence[Mapping[str, str]], previous: Mapping[str, Any], now: datetime.datetime
) -> list[dict[str, str]]:
    """Stamp ``lastTransitionTime``: kept from ``previous`` when the status did not change."""
    before = {c.get("type"): c for c in previous.get("conditions") or [] if isinstance(c, dict)}
    out: list[dict[str, str]] = []
    for condition in new:
        old = before.get(condition["type"])
        stamped = dict(condition)
        if (
            old is not None
            and old.get("status") == condition["status"]
            and old.get("lastTransitionTime")
        ):
            stamped["lastTransitionTime"] = _text(old["lastTransitionTime"])
        else:
            stamped["lastTransitionTime"] = timefmt.format_seconds(now)
        out.append(stamped)
    return out


def previous_condition(previous: Mapping[str, Any], kind: str) -> dict[str, str] | None:
    """Return one condition of a previous status, without its transition time."""
    for c in previous.get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == kind:
            return {k: str(v) for k, v in c.items() if k in ("type", "status", "reason", "message")}
    return None


def _text(value: object) -> str:
    if isinstance(value, datetime.datetime):
        return timefmt.format_seconds(value)
    return str(value)


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}
