"""Why each cluster was or was not picked: the trace of one run made readable.

Pure. For every cluster of the fleet: the step that dropped it (cluster-set
scope, a filter with its reason, or spread), or its score per prioritizer
(weight x score) and total, its rank in the final order, and whether it was
selected. ``to_dict`` is the JSON form, ``to_text`` the table people read.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from gitops_ocm.placement import plugins, scheduler


@dataclasses.dataclass(frozen=True)
class Score:
    """One prioritizer's contribution to a cluster's total."""

    prioritizer: str
    weight: int
    score: int


@dataclasses.dataclass(frozen=True)
class Row:
    """What happened to one cluster."""

    cluster: str
    dropped_by: str | None = None
    reason: str = ""
    scores: tuple[Score, ...] = ()
    total: int | None = None
    rank: int | None = None
    selected: bool = False


def rows(
    outcome: scheduler.Outcome, filters: tuple[plugins.Filter, ...] = scheduler.FILTERS
) -> list[Row]:
    """Return one row per cluster of the fleet, in name order.

    ``filters`` are those the outcome was scheduled with; they say why they dropped a cluster.
    """
    by_name = {plugin.name: plugin for plugin in filters}
    ctx = outcome.context
    assert ctx is not None
    dropped: dict[str, tuple[str, str]] = {}
    for cluster in ctx.fleet.members(outcome.trace.candidates.complement(len(ctx.fleet.clusters))):
        dropped[cluster.name] = ("ClusterSets", _scope_reason(outcome))
    for step in outcome.trace.filters:
        for cluster in ctx.fleet.members(step.dropped):
            dropped[cluster.name] = (step.name, by_name[step.name].why(ctx, cluster))
    rank = {name: i for i, name in enumerate(outcome.trace.order, 1)}
    selected = set(outcome.selected)
    return [_row(c.name, dropped, outcome, rank, selected) for c in ctx.fleet.clusters]


def _row(
    name: str,
    dropped: dict[str, tuple[str, str]],
    outcome: scheduler.Outcome,
    rank: dict[str, int],
    selected: set[str],
) -> Row:
    if name in dropped:
        return Row(name, dropped[name][0], dropped[name][1])
    if name not in rank:
        return Row(name, "not scheduled", "scheduling stopped: placement is misconfigured")
    scores = tuple(
        Score(p.name, p.weight, p.scores.get(name, 0)) for p in outcome.trace.prioritizers
    )
    reason = outcome.trace.passed_over.get(name, "")
    if not reason and name not in selected:
        reason = "below numberOfClusters"
    return Row(
        name, None, reason, scores, outcome.trace.totals.get(name), rank[name], name in selected
    )


def _scope_reason(outcome: scheduler.Outcome) -> str:
    scope = outcome.scope
    if not scope.bindings:
        return f"no valid ManagedClusterSetBinding in namespace {outcome.placement.namespace}"
    if not scope.eligible:
        return f"none of spec.clusterSets {list(outcome.placement.cluster_sets)} is bound"
    return f"not a member of the eligible cluster sets {list(scope.eligible)}"


def to_dict(outcome: scheduler.Outcome) -> dict[str, Any]:
    """Return the JSON form of the explanation."""
    return {
        "placement": f"{outcome.placement.namespace}/{outcome.placement.name}",
        "misconfigured": str(outcome.misconfigured) if outcome.misconfigured else None,
        "eligibleClusterSets": list(outcome.scope.eligible),
        "clusters": [dataclasses.asdict(r) for r in rows(outcome)],
        "order": list(outcome.trace.order),
        "selected": list(outcome.selected),
        "unscheduled": outcome.unscheduled,
        "warnings": list(outcome.warnings),
    }


def to_text(outcome: scheduler.Outcome) -> str:
    """Return the explanation as a table followed by the final order."""
    lines = [f"Placement {outcome.placement.namespace}/{outcome.placement.name}"]
    if outcome.misconfigured:
        lines.append(f"  PlacementMisconfigured: {outcome.misconfigured}")
    lines.append(f"  eligible cluster sets: {', '.join(outcome.scope.eligible) or '(none)'}")
    table = [("CLUSTER", "RESULT", "DETAIL")]
    for row in rows(outcome):
        table.append((row.cluster, *_cells(row)))
    widths = [max(len(r[i]) for r in table) for i in range(2)]
    for r in table:
        lines.append(f"  {r[0].ljust(widths[0])}  {r[1].ljust(widths[1])}  {r[2]}".rstrip())
    lines.append(f"  order: {' '.join(outcome.trace.order) or '(none)'}")
    lines.append(
        f"  selected ({len(outcome.selected)}): {' '.join(sorted(outcome.selected)) or '(none)'}"
    )
    if outcome.unscheduled:
        lines.append(f"  unscheduled: {outcome.unscheduled}")
    lines.extend(f"  warning: {w}" for w in outcome.warnings)
    return "\n".join(lines) + "\n"


def _cells(row: Row) -> tuple[str, str]:
    if row.dropped_by is not None:
        return (f"dropped by {row.dropped_by}", row.reason)
    parts = [f"{s.prioritizer} {s.weight}x{s.score}" for s in row.scores]
    score = f"{' + '.join(parts)} = {row.total}" if parts else "(not scored)"
    verdict = "selected" if row.selected else "not selected"
    extra = f" ({row.reason})" if row.reason else ""
    return (f"#{row.rank} {verdict}", f"{score}{extra}")
