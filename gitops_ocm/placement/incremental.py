"""Rescheduling after one cluster changed, touching only the placements it can affect.

Pure (a :class:`Change` memoizes what it computed). ``Watch`` indexes the
placements by their scope (namespace, clusterSets) and by their predicate list;
a :class:`Change` evaluates the old and the new version of the cluster once per
distinct scope and predicate list, each as a one-cluster fleet (the same bitmap
code as a full run). ``Watch.affected`` lists the placements whose scope or
predicate result flips for that cluster, plus, when the cluster's data changed,
those whose result depends on cluster data (decision groups, spread, resource
or add-on prioritizers) and for which the cluster was or is feasible (only
feasible clusters are grouped, spread or scored); a tainted cluster makes every
placement whose scope and predicates it passes, before or after, a candidate
(tolerations differ by placement; a cluster that fails the predicates is never
selected, tainted or not).

``reschedule`` takes one candidate's previous :class:`scheduler.Outcome`
(computed without ``explain``) and returns what a full
:func:`scheduler.schedule` would return now, or None when nothing it publishes
changed. The earlier filter bitmaps are patched by one bit. Then:

* every feasible cluster is selected before and after: the selected names are
  the previous ones with one name inserted or removed (a bisection);
* ``numberOfClusters`` is below the feasible count and no other cluster's score
  moved (:func:`plugins.same_scores`): a cluster leaving matters only
  if it was selected, a cluster joining only if it beats the last selected one;
* otherwise the placement is ranked again from the patched feasible bitmap.

Cases that depend on more than one bit (a misconfigured placement, one whose
filters did not all run, spread, a tainted cluster that passes the predicates,
whose tolerations may also set the requeue time, changed add-on scores of a
placement ranked by them, whose ``validUntil`` may too) are scheduled in full.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import heapq

from gitops_ocm.placement import (
    bitmap,
    cel,
    fleet,
    history,
    plugins,
    scheduler,
    sets,
    spec,
    trace,
    weights,
)
from gitops_ocm.placement.filters import predicate
from gitops_ocm.placement.prioritizers import addon


@dataclasses.dataclass(frozen=True)
class Signature:
    """What decides how one placement sees one cluster, computed once per placement.

    ``scope`` and ``predicates`` decide the cluster's scope membership and
    predicate result (placements with equal keys share one evaluation);
    ``weighted`` are the prioritizers; ``by_data`` says whether a cluster that
    stays feasible can still change the result through its labels, claims,
    resources or scores (decision groups, spread, or a prioritizer not
    :func:`plugins.by_name`).
    """

    scope: tuple[str, tuple[str, ...]]
    predicates: str
    valid: bool
    weighted: tuple[weights.Weighted, ...]
    by_data: bool


def signature(placement: spec.PlacementSpec) -> Signature:
    """Return the placement's signature."""
    valid = predicate.misconfiguration(placement.predicates) is None
    weighted, _problem = weights.prioritizers(placement)
    by_data = (
        bool(placement.groups)
        or bool(placement.spread)
        or not all(plugins.by_name(item.plugin) for item in weighted)
    )
    return Signature(
        (placement.namespace, placement.cluster_sets),
        repr(placement.predicates),
        valid,
        weighted,
        by_data,
    )


class Watch:
    """Placements indexed by signature, to find the few that one changed cluster can affect."""

    def __init__(self, placements: dict[tuple[str, str], spec.PlacementSpec]) -> None:
        """Index ``placements`` (by key)."""
        self.placements = placements
        self.signatures = {key: signature(p) for key, p in placements.items()}
        self._by_scope: dict[tuple[str, tuple[str, ...]], list[tuple[str, str]]] = {}
        self._by_predicates: dict[str, list[tuple[str, str]]] = {}
        for key, sig in self.signatures.items():
            self._by_scope.setdefault(sig.scope, []).append(key)
            self._by_predicates.setdefault(sig.predicates, []).append(key)
        self._by_data = [key for key, sig in self.signatures.items() if sig.by_data]

    def affected(self, change: Change) -> list[tuple[str, str]]:
        """Return, sorted, the placements whose outcome may change (a superset)."""
        found: set[tuple[str, str]] = set()
        for members in self._by_scope.values():
            sig = self.signatures[members[0]]
            before, after = change.membership(self.placements[members[0]], sig)
            if before != after:
                found.update(members)
        for members in self._by_predicates.values():
            sig = self.signatures[members[0]]
            matched = change.matches(self.placements[members[0]], sig)
            if matched[0] != matched[1]:
                found.update(members)
        if change.before != change.after:
            # A taint counts for every placement the cluster passes the predicates of
            # (tolerations differ by placement); other data only where it is read.
            for key in self.signatures if change.tainted else self._by_data:
                stages = change.stages(self.placements[key], self.signatures[key])
                if any(scoped and hit is not False for scoped, hit in stages):
                    found.add(key)  # feasible before or after: its data counts
        return sorted(found)


class Change:
    """One cluster replaced in the fleet, with its scope and predicate results memoized.

    Placements with the same :func:`signature` share one evaluation of the old and
    the new version of the cluster, each as a one-cluster fleet (the same bitmap
    code as a full run, on one bit).
    """

    def __init__(
        self,
        was: fleet.Fleet,
        everyone: fleet.Fleet,
        name: str,
        catalog: sets.Catalog,
        past: history.History,
        now: datetime.datetime,
        evaluators: tuple[cel.Evaluator, cel.Evaluator],
    ) -> None:
        """Describe the replacement; ``evaluators`` see the old and the new fleet."""
        self.was, self.everyone, self.name = was, everyone, name
        self.position = everyone.position[name]
        self.before = was.clusters[self.position]
        self.after = everyone.clusters[self.position]
        self.catalog, self.past, self.now = catalog, past, now
        self.evaluators = evaluators
        self.evaluator = evaluators[1]
        self.tainted = bool(self.before.taints or self.after.taints)
        self._alone = (fleet.build([self.before]), fleet.build([self.after]))
        self._in_scope: dict[tuple[str, tuple[str, ...]], tuple[bool, bool]] = {}
        self._matches: dict[str, tuple[bool | None, bool | None]] = {}
        self._scopes: dict[tuple[str, tuple[str, ...]], sets.Scope] = {}

    def stages(
        self, placement: spec.PlacementSpec, key: Signature
    ) -> tuple[tuple[bool, bool | None], tuple[bool, bool | None]]:
        """Return (in scope, matches the predicates) before and after; None: invalid predicates.

        The predicates count only in scope (outside, "matches" is False).
        """
        scoped = self.membership(placement, key)
        matched = self.matches(placement, key)
        return (
            (scoped[0], matched[0] if scoped[0] else False),
            (scoped[1], matched[1] if scoped[1] else False),
        )

    def scope(self, placement: spec.PlacementSpec) -> sets.Scope:
        """Return the placement's scope in the new fleet (memoized per namespace and sets)."""
        where = (placement.namespace, placement.cluster_sets)
        found = self._scopes.get(where)
        if found is None:
            found = sets.scope(self.catalog, *where, self.everyone)
            self._scopes[where] = found
        return found

    def membership(self, placement: spec.PlacementSpec, key: Signature) -> tuple[bool, bool]:
        """Return whether the cluster was and is in the placement's scope (memoized)."""
        found = self._in_scope.get(key.scope)
        if found is None:
            found = self._in_scope[key.scope] = (
                self._member(placement, self._alone[0]),
                self._member(placement, self._alone[1]),
            )
        return found

    def matches(
        self, placement: spec.PlacementSpec, key: Signature
    ) -> tuple[bool | None, bool | None]:
        """Return whether the cluster matched and matches the predicates (None: invalid)."""
        found = self._matches.get(key.predicates)
        if found is None:
            found = self._matches[key.predicates] = (
                self._match(placement, key.valid, 0),
                self._match(placement, key.valid, 1),
            )
        return found

    def _member(self, placement: spec.PlacementSpec, alone: fleet.Fleet) -> bool:
        where = (placement.namespace, placement.cluster_sets)
        return bool(sets.scope(self.catalog, *where, alone).candidates)

    def _match(self, placement: spec.PlacementSpec, valid: bool, which: int) -> bool | None:
        if not valid:
            return None
        alone, evaluator = self._alone[which], self.evaluators[which]
        ctx = plugins.Context(placement, alone, self.past, frozenset(), self.now, evaluator)
        return bool(predicate.matching(ctx, bitmap.Bitmap(1)))


def reschedule(
    previous: scheduler.Outcome, change: Change, key: Signature
) -> scheduler.Outcome | None:
    """Return the placement's outcome after ``change``; None when nothing it publishes changed."""
    placement = previous.placement
    (was_in, was_matched), (is_in, matched) = change.stages(placement, key)
    was_feasible = was_in and bool(was_matched)
    feasible_now = is_in and bool(matched)
    if (was_in, was_matched) == (is_in, matched):
        if not was_feasible:
            return None
        if not change.tainted and (not key.by_data or change.before == change.after):
            return None
    moved = _scores_moved(key, change, was_feasible != feasible_now)
    if not _patchable(previous, change, was_feasible or feasible_now) or moved:
        return _full(placement, change)
    ctx = plugins.Context(
        placement, change.everyone, change.past, _own(previous), change.now, change.evaluator
    )
    scope = previous.scope if was_in == is_in else change.scope(placement)
    old = previous.trace
    dropped = old.filters[0].dropped.with_position(change.position, is_in and not matched)
    steps = (trace.FilterStep(old.filters[0].name, dropped), *old.filters[1:])
    was_all = _feasible(old)
    feasible = was_all.with_position(change.position, feasible_now)
    weighted = key.weighted
    known: tuple[str, ...] | None = None
    if not _scored(placement, feasible):
        known = _patched_names(previous, change.name, was_feasible, feasible_now)
    elif was_feasible != feasible_now:
        old_ctx = plugins.Context(
            placement, change.was, change.past, ctx.own, change.now, change.evaluators[0]
        )
        if all(plugins.same_scores(w.plugin, old_ctx, ctx, was_all, feasible) for w in weighted):
            known = _patched_top(ctx, previous, weighted, feasible, change.position, feasible_now)
    if known is previous.selected and previous.trace.scored:
        # same selection, hence same groups: only the trace's bitmaps move
        record = trace.Trace(bitmap.Bitmap(scope.candidates), steps, scored=True)
        return dataclasses.replace(previous, scope=scope, trace=record, context=ctx)
    return scheduler.rank(ctx, scope, feasible, weighted, steps, previous.requeue_at, False, known)


def _scores_moved(key: Signature, change: Change, entered_or_left: bool) -> bool:
    """Whether a placement ranked by add-on scores sees the cluster's scores move.

    They move when they changed, or when the cluster, with scores, entered or
    left the feasible set: their ``validUntil`` may move the requeue time,
    which only a full run recomputes.
    """
    if not any(isinstance(item.plugin, addon.AddOn) for item in key.weighted):
        return False
    if change.before.scores != change.after.scores:
        return True
    return entered_or_left and bool(change.after.scores)


def _full(placement: spec.PlacementSpec, change: Change) -> scheduler.Outcome:
    return scheduler.schedule(
        placement,
        change.everyone,
        change.catalog,
        change.past,
        change.now,
        change.evaluator,
    )


def _scored(placement: spec.PlacementSpec, feasible: bitmap.Bitmap) -> bool:
    wanted = placement.number_of_clusters
    return wanted is not None and max(wanted, 0) < len(feasible)


def _patched_top(
    ctx: plugins.Context,
    previous: scheduler.Outcome,
    weighted: tuple[weights.Weighted, ...],
    everyone: bitmap.Bitmap,
    position: int,
    feasible: bool,
) -> tuple[str, ...] | None:
    """Return the new top N when no other cluster's score moved and N was below the count.

    A cluster leaving changes nothing unless it was selected; a cluster joining
    only competes with the selected ones. None means "rank again".
    """
    if not previous.trace.scored or previous.unscheduled:
        return None
    name = ctx.fleet.ordered_names[position]
    if not feasible:
        return None if name in previous.selected else previous.selected
    if not previous.selected:
        return previous.selected
    last = ctx.fleet.position[previous.selected[-1]]
    pair = _totals(ctx, weighted, everyone, bitmap.Bitmap.of((position, last)))
    if (-pair[position], position) > (-pair[last], last):
        return previous.selected  # it ranks below the last selected cluster
    contenders = ctx.fleet.bitmap(previous.selected).with_position(position, True)
    totals = _totals(ctx, weighted, everyone, contenders)
    best = heapq.nsmallest(len(previous.selected), ((-t, i) for i, t in totals.items()))
    return tuple(ctx.fleet.ordered_names[i] for _, i in best)


def _totals(
    ctx: plugins.Context,
    weighted: tuple[weights.Weighted, ...],
    everyone: bitmap.Bitmap,
    only: bitmap.Bitmap,
) -> dict[int, int]:
    """Return the total score of each cluster of ``only`` (as members of ``everyone``)."""
    totals = dict.fromkeys(only.positions(), 0)
    for item in weighted:
        result = plugins.run_score(item.plugin, ctx, everyone, only)
        default = result.default or 0
        for i in totals:
            totals[i] += item.weight * result.exceptions.get(i, default)
    return totals


def _patchable(previous: scheduler.Outcome, change: Change, matched: bool) -> bool:
    """Return whether one bit decides the change (else the placement is scheduled in full)."""
    old = previous.trace
    if previous.misconfigured is not None or len(old.filters) != len(scheduler.FILTERS):
        return False
    if previous.placement.spread or (matched and change.tainted):
        return False
    # when the predicates dropped every candidate, the taint filter did not run,
    # so its configuration was not checked (the dropped clusters are candidates)
    return old.candidates.bits != old.filters[0].dropped.bits


def _patched_names(
    previous: scheduler.Outcome, name: str, was_feasible: bool, feasible: bool
) -> tuple[str, ...] | None:
    """Return the feasible names from the previous ones when all feasible clusters were selected."""
    if previous.trace.scored:
        return None
    selected = previous.selected
    if was_feasible == feasible:
        return selected
    at = bisect.bisect_left(selected, name)
    if feasible:
        return selected[:at] + (name,) + selected[at:]  # noqa: RUF005 (concatenation is faster)
    return selected[:at] + selected[at + 1 :]


def _own(previous: scheduler.Outcome) -> frozenset[str]:
    ctx = previous.context
    return ctx.own if ctx is not None else frozenset()


def _feasible(record: trace.Trace) -> bitmap.Bitmap:
    feasible = record.candidates.bits
    for step in record.filters:
        feasible &= ~step.dropped.bits
    return bitmap.Bitmap(feasible)
