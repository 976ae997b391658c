"""The scheduling pipeline: scope by cluster sets, filter, score, sort, select, group.

Pure. ``schedule`` is OCM's per-placement reconcile without the writes:
(placement, fleet, earlier decisions, now) -> :class:`Outcome`. Filters run in
OCM's order (Predicate, TaintToleration); the total score of a cluster is the
sum of weight x score over the prioritizers; clusters are sorted by total
descending then name; the first ``numberOfClusters`` are selected (through the
spread constraints, when any). Scores are computed only when they can matter
(``numberOfClusters`` or spread set) or when a trace with scores is asked for.
"""

from __future__ import annotations

import dataclasses
import datetime

from gitops_ocm.placement import (
    cel,
    fleet,
    groups,
    history,
    plugins,
    sets,
    spec,
    spread,
    trace,
    weights,
)
from gitops_ocm.placement.filters import predicate, taints

_EMPTY_TRACE = trace.Trace()
FILTERS: tuple[plugins.Filter, ...] = (predicate.Predicate(), taints.TaintToleration())


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The result of scheduling one placement."""

    placement: spec.PlacementSpec
    scope: sets.Scope
    selected: tuple[str, ...] = ()
    unscheduled: int = 0
    groups: tuple[groups.Group, ...] = (groups.Group("", ()),)
    misconfigured: plugins.Misconfigured | None = None
    warnings: tuple[str, ...] = ()
    requeue_at: datetime.datetime | None = None
    trace: trace.Trace = _EMPTY_TRACE
    context: plugins.Context | None = None


def schedule(
    placement: spec.PlacementSpec,
    everyone: fleet.Fleet,
    catalog: sets.Catalog,
    past: history.History,
    now: datetime.datetime,
    evaluator: cel.Evaluator | None = None,
    explain: bool = False,
) -> Outcome:
    """Schedule one placement; ``explain`` forces scores into the trace."""
    scope = sets.scope(catalog, placement.namespace, placement.cluster_sets, everyone)
    own = past.of(placement.key).decisions
    ctx = plugins.Context(placement, everyone, past, own, now, evaluator or cel.Evaluator({}, now))
    feasible = scope.candidates
    steps: list[trace.FilterStep] = []
    requeue: datetime.datetime | None = None
    for plugin in FILTERS:
        result = plugin.filter(ctx, feasible)
        if result.misconfigured is not None:
            return _failed(placement, scope, ctx, result.misconfigured, steps)
        steps.append(trace.FilterStep(plugin.name, feasible & ~result.survivors))
        feasible = result.survivors
        requeue = _earliest(requeue, result.requeue_at)
    weighted, problem = weights.prioritizers(placement)
    problem = problem or spread.misconfiguration(placement.spread)
    if problem is not None:
        return _failed(placement, scope, ctx, problem, steps)
    return _rank(ctx, scope, feasible, weighted, tuple(steps), requeue, explain)


def feasible(
    placement: spec.PlacementSpec,
    everyone: fleet.Fleet,
    catalog: sets.Catalog,
    past: history.History,
    now: datetime.datetime,
    evaluator: cel.Evaluator,
    mask: int,
) -> int:
    """Return which clusters of ``mask`` pass scoping and filters (for incremental rescheduling)."""
    scope = sets.scope(catalog, placement.namespace, placement.cluster_sets, everyone)
    own = past.of(placement.key).decisions
    ctx = plugins.Context(placement, everyone, past, own, now, evaluator)
    survivors = scope.candidates & mask
    for plugin in FILTERS:
        survivors = plugin.filter(ctx, survivors).survivors
    return survivors


def _rank(
    ctx: plugins.Context,
    scope: sets.Scope,
    feasible: int,
    weighted: tuple[weights.Weighted, ...],
    steps: tuple[trace.FilterStep, ...],
    requeue: datetime.datetime | None,
    explain: bool,
) -> Outcome:
    placement = ctx.placement
    count = feasible.bit_count()
    wanted = count if placement.number_of_clusters is None else max(placement.number_of_clusters, 0)
    scored = explain or placement.spread != () or wanted < count
    totals: dict[str, int] = {}
    records: list[trace.PrioritizerStep] = []
    warnings: list[str] = []
    if not scored:
        selected = tuple(ctx.fleet.names(feasible))
        chosen = spread.Selection((), {})
        order = selected
        selected_bitmap = feasible
    else:
        clusters = ctx.fleet.members(feasible)
        totals = dict.fromkeys((c.name for c in clusters), 0)
        for item in weighted:
            result = item.plugin.score(ctx, clusters)
            records.append(trace.PrioritizerStep(item.plugin.name, item.weight, result.scores))
            warnings.extend(result.warnings)
            for name, value in result.scores.items():
                totals[name] += value * item.weight
        clusters.sort(key=lambda c: -totals[c.name])
        chosen = spread.select(placement.spread, clusters, wanted)
        selected = tuple(c.name for c in chosen.chosen)
        order = tuple(c.name for c in clusters)
        selected_bitmap = ctx.fleet.bitmap(selected)
    grouped, problem = groups.build(placement, selected_bitmap, ctx.fleet)
    if problem is not None:
        return _failed(placement, scope, ctx, problem, list(steps))
    unscheduled = 0 if placement.number_of_clusters is None else wanted - len(selected)
    record = trace.Trace(
        scope.candidates,
        steps,
        tuple(records),
        totals,
        order,
        chosen.passed_over,
        scored,
    )
    return Outcome(
        placement,
        scope,
        selected,
        unscheduled,
        grouped,
        None,
        tuple(warnings),
        requeue,
        record,
        ctx,
    )


def _failed(
    placement: spec.PlacementSpec,
    scope: sets.Scope,
    ctx: plugins.Context,
    problem: plugins.Misconfigured,
    steps: list[trace.FilterStep],
) -> Outcome:
    record = trace.Trace(scope.candidates, tuple(steps))
    return Outcome(placement, scope, misconfigured=problem, trace=record, context=ctx)


def _earliest(a: datetime.datetime | None, b: datetime.datetime | None) -> datetime.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
