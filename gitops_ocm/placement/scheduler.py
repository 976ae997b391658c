"""The scheduling pipeline: scope by cluster sets, filter, score, sort, select, group.

Pure. ``schedule`` is OCM's per-placement reconcile without the writes:
(placement, fleet, earlier decisions, now) -> :class:`Outcome`. Filters run in
OCM's order (Predicate, TaintToleration); the total score of a cluster is the
sum of weight x score over the prioritizers; clusters are sorted by total
descending then name; the first ``numberOfClusters`` are selected (through the
spread constraints, when any). Scores are computed only when they can matter
(``numberOfClusters`` below the feasible count, or spread) or when a trace with
scores is asked for (``explain``). Without ``explain`` the top N is found
without sorting everyone: a prioritizer gives most clusters one default score
and lists the exceptions, so the candidates are the exceptional clusters plus
the first N by name (the lowest bits of the feasible bitmap); a resource
prioritizer is walked in the fleet's allocatable order until nobody further can
make the top. The trace then has the filter bitmaps but no scores.

Plugins are called through :func:`plugins.run_filter` and
:func:`plugins.run_score`: the bitmap fast path when a plugin implements it,
the plain OCM-shaped interface otherwise. ``filters`` and ``policy`` let a
caller schedule with other plugins than the built-in ones.
"""

from __future__ import annotations

import dataclasses
import datetime
import heapq
import itertools
from collections.abc import Callable

from gitops_ocm.placement import (
    bitmap,
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
from gitops_ocm.placement.prioritizers import addon, resource

_EMPTY_TRACE = trace.Trace()
FILTERS: tuple[plugins.Filter, ...] = (predicate.Predicate(), taints.TaintToleration())
Policy = Callable[
    [spec.PlacementSpec], tuple[tuple[weights.Weighted, ...], plugins.Misconfigured | None]
]


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
    filters: tuple[plugins.Filter, ...] = FILTERS,
    policy: Policy = weights.prioritizers,
) -> Outcome:
    """Schedule one placement; ``explain`` forces scores into the trace.

    ``filters`` run in order; ``policy`` gives the weighted prioritizers.
    """
    scope = sets.scope(catalog, placement.namespace, placement.cluster_sets, everyone)
    own = past.of(placement.key).decisions
    ctx = plugins.Context(placement, everyone, past, own, now, evaluator or cel.Evaluator({}, now))
    feasible = bitmap.Bitmap(scope.candidates)
    steps: list[trace.FilterStep] = []
    requeue: datetime.datetime | None = None
    for plugin in filters:
        result = plugins.run_filter(plugin, ctx, feasible)
        if result.misconfigured is not None:
            return _failed(placement, scope, ctx, result.misconfigured, steps)
        steps.append(trace.FilterStep(plugin.name, feasible - result.survivors))
        feasible = result.survivors
        requeue = _earliest(requeue, result.requeue_at)
    weighted, problem = policy(placement)
    problem = problem or spread.misconfiguration(placement.spread)
    if problem is not None:
        return _failed(placement, scope, ctx, problem, steps)
    for item in weighted:
        if isinstance(item.plugin, addon.AddOn):
            requeue = _earliest(requeue, item.plugin.expires(ctx, feasible))
    return rank(ctx, scope, feasible, weighted, tuple(steps), requeue, explain)


def rank(
    ctx: plugins.Context,
    scope: sets.Scope,
    feasible: bitmap.Bitmap,
    weighted: tuple[weights.Weighted, ...],
    steps: tuple[trace.FilterStep, ...],
    requeue: datetime.datetime | None,
    explain: bool,
    known: tuple[str, ...] | None = None,
) -> Outcome:
    """Score (when it matters), select and group the feasible clusters.

    ``known`` is the selection in order when the caller already knows it
    (incremental rescheduling); it must be what the selection would give.
    """
    placement = ctx.placement
    count = len(feasible)
    wanted = count if placement.number_of_clusters is None else max(placement.number_of_clusters, 0)
    scored = explain or placement.spread != () or wanted < count
    record = trace.Trace(bitmap.Bitmap(scope.candidates), steps, scored=scored)
    warnings: tuple[str, ...] = ()
    if known is not None and not explain:
        selected = known
        selected_bitmap = feasible if not scored else ctx.fleet.bitmap(selected)
    elif not scored:
        selected = tuple(ctx.fleet.names(feasible))
        selected_bitmap = feasible
    elif explain or placement.spread:
        selected, record, warnings = _rank_all(ctx, feasible, weighted, wanted, record)
        selected_bitmap = ctx.fleet.bitmap(selected)
    else:
        selected, warnings = _top(ctx, feasible, weighted, wanted)
        selected_bitmap = ctx.fleet.bitmap(selected)
    grouped, problem = groups.build(
        placement, selected_bitmap, ctx.fleet, selected if not scored else None
    )
    if problem is not None:
        return _failed(placement, scope, ctx, problem, list(steps))
    unscheduled = 0 if placement.number_of_clusters is None else wanted - len(selected)
    return Outcome(
        placement, scope, selected, unscheduled, grouped, None, warnings, requeue, record, ctx
    )


def _top(
    ctx: plugins.Context,
    feasible: bitmap.Bitmap,
    weighted: tuple[weights.Weighted, ...],
    wanted: int,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Select the best ``wanted`` clusters looking only at exceptional scores and the first names.

    Every cluster without an exceptional score has the same total, so among them
    the first by name win: they are the lowest bits of the feasible bitmap. A
    resource prioritizer scores every cluster differently, but in the order of
    allocatable; it is walked in that order until the rest cannot make the top.
    """
    walked = [w for w in weighted if isinstance(w.plugin, resource.ResourceAllocatable)]
    if len(walked) == 1 and all(plugins.by_name(w.plugin) for w in weighted if w is not walked[0]):
        others = tuple(w for w in weighted if w is not walked[0])
        best = _top_by_resource(ctx, feasible, others, walked[0], wanted)
        if best is not None:
            return best, ()
    base, deltas, warnings = _sparse(ctx, feasible, weighted)
    ranked = [(-(base + delta), i) for i, delta in deltas.items()]
    ranked.extend((-base, i) for i in _first_plain(feasible, set(deltas), wanted))
    names = ctx.fleet.ordered_names
    return tuple(names[i] for _, i in heapq.nsmallest(wanted, ranked)), warnings


def _sparse(
    ctx: plugins.Context, feasible: bitmap.Bitmap, weighted: tuple[weights.Weighted, ...]
) -> tuple[int, dict[int, int], tuple[str, ...]]:
    """Return the total every unexceptional cluster gets, the others' differences, warnings."""
    base = 0
    deltas: dict[int, int] = {}
    warnings: list[str] = []
    for item in weighted:
        result = plugins.run_score(item.plugin, ctx, feasible)
        warnings.extend(result.warnings)
        default = result.default or 0
        base += item.weight * default
        for i, value in result.exceptions.items():
            if value != default:
                deltas[i] = deltas.get(i, 0) + item.weight * (value - default)
    return base, {i: d for i, d in deltas.items() if d}, tuple(warnings)


def _top_by_resource(
    ctx: plugins.Context,
    feasible: bitmap.Bitmap,
    others: tuple[weights.Weighted, ...],
    walked: weights.Weighted,
    wanted: int,
) -> tuple[str, ...] | None:
    """Select through the fleet's allocatable order (None: no feasible cluster reports it)."""
    plugin = walked.plugin
    assert isinstance(plugin, resource.ResourceAllocatable)
    table = ctx.fleet.resource(plugin.resource)
    extremes = table.extremes(feasible)
    if extremes is None or walked.weight == 0 or wanted <= 0:
        return None
    low, high = extremes
    values, weight = table.values, walked.weight
    base, deltas, _warnings = _sparse(ctx, feasible, others)
    ranked = [
        (-(base + d + weight * resource.value_score(values[i], low, high)), i)
        if i in values
        else (-(base + d), i)
        for i, d in deltas.items()
    ]
    ranked.extend((-base, i) for i in _first_plain(feasible - table.members, set(deltas), wanted))
    flags = bitmap.flags(feasible.bits)
    order = reversed(table.ascending) if weight > 0 else iter(table.ascending)
    totals: list[int] = []
    for i in order:
        if i >= len(flags) or not flags[i] or i in deltas:
            continue
        total = base + weight * resource.value_score(values[i], low, high)
        if len(totals) >= wanted and total < totals[wanted - 1]:
            break
        totals.append(total)
        ranked.append((-total, i))
    names = ctx.fleet.ordered_names
    return tuple(names[i] for _, i in heapq.nsmallest(wanted, ranked))


def _first_plain(feasible: bitmap.Bitmap, exceptional: set[int], wanted: int) -> list[int]:
    """Return the ``wanted`` lowest positions of ``feasible`` that are not exceptional."""
    if len(exceptional) <= 64:
        return (feasible - bitmap.Bitmap.of(exceptional)).first(wanted)
    plain = (i for i in feasible.positions() if i not in exceptional)
    return list(itertools.islice(plain, wanted))


def _rank_all(
    ctx: plugins.Context,
    feasible: bitmap.Bitmap,
    weighted: tuple[weights.Weighted, ...],
    wanted: int,
    record: trace.Trace,
) -> tuple[tuple[str, ...], trace.Trace, tuple[str, ...]]:
    """Score every feasible cluster, sort them all and select through spread (for the trace)."""
    clusters = ctx.fleet.members(feasible)
    totals = dict.fromkeys((c.name for c in clusters), 0)
    records: list[trace.PrioritizerStep] = []
    warnings: list[str] = []
    for item in weighted:
        result = plugins.run_score(item.plugin, ctx, feasible)
        scores = result.by_name(ctx.fleet, feasible)
        records.append(trace.PrioritizerStep(item.plugin.name, item.weight, scores))
        warnings.extend(result.warnings)
        for name, value in scores.items():
            totals[name] += value * item.weight
    clusters.sort(key=lambda c: -totals[c.name])
    chosen = spread.select(ctx.placement.spread, clusters, wanted)
    record = dataclasses.replace(
        record,
        prioritizers=tuple(records),
        totals=totals,
        order=tuple(c.name for c in clusters),
        passed_over=chosen.passed_over,
    )
    return tuple(c.name for c in chosen.chosen), record, tuple(warnings)


def _failed(
    placement: spec.PlacementSpec,
    scope: sets.Scope,
    ctx: plugins.Context,
    problem: plugins.Misconfigured,
    steps: list[trace.FilterStep],
) -> Outcome:
    record = trace.Trace(bitmap.Bitmap(scope.candidates), tuple(steps))
    return Outcome(placement, scope, misconfigured=problem, trace=record, context=ctx)


def _earliest(a: datetime.datetime | None, b: datetime.datetime | None) -> datetime.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
