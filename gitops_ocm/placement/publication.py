"""What a scheduled placement publishes: its decisions, groups and status.

Pure. :func:`prepare` gathers everything scheduling reads once per render (the
indexed fleet, the cluster sets, the decisions of the previous hub tree);
:func:`result` schedules one placement and decides what to publish.
Better than OCM: a Misconfigured placement keeps its previous decisions (OCM
clears them), and a placement annotated
``cluster.open-cluster-management.io/experimental-scheduling-disable: "true"``
keeps its previous decisions and status, as OCM leaves it untouched. Settling
every placement is :mod:`gitops_ocm.placement.settle`'s; the files are
:mod:`gitops_ocm.render.placements`'.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import rendercache
from gitops_ocm.model import snapshot as snapshot_mod
from gitops_ocm.placement import (
    cel,
    decisions,
    fleet,
    groups,
    history,
    inventory,
    placementconditions,
    scheduler,
    sets,
    spec,
)


@dataclasses.dataclass(frozen=True)
class PlacementResult:
    """One placement's published outcome, for the renderers that consume decisions."""

    namespace: str
    name: str
    clusters: tuple[str, ...]
    groups: tuple[groups.Group, ...]
    status: Mapping[str, Any]
    outcome: scheduler.Outcome | None
    kept: bool = False

    @functools.cached_property
    def pages(self) -> tuple[decisions.Page, ...]:
        """Return the PlacementDecision pages (built when first read: they follow from groups)."""
        return decisions.paginate(self.name, self.groups)


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Everything scheduling reads, prepared once for a whole render."""

    fleet: fleet.Fleet
    catalog: sets.Catalog
    history: history.History
    evaluator: cel.Evaluator
    now: datetime.datetime


def prepare(
    snap: snapshot_mod.Snapshot,
    clusters: Sequence[inventory.ClusterInfo],
    previous: Mapping[str, bytes],
    now: datetime.datetime,
    cache: rendercache.RenderCache | None = None,
) -> Inputs:
    """Index the inventory and read the previous hub tree (through ``cache`` if given)."""
    indexed = fleet.build(clusters)
    evaluator = cel.Evaluator({c.name: c for c in indexed.clusters}, now)
    past = history.from_tree(previous, cache)
    return Inputs(indexed, sets.catalog(snap), past, evaluator, now)


def earlier(res: PlacementResult) -> history.Previous:
    """Return a result as the earlier decisions of a later schedule in the same render.

    Scheduling reads a placement's decisions as a set (Balance, Steady) and its
    status; the pages keep their order within a group, unlike the published
    files, which only :func:`history.from_tree` readers of those files see.
    """
    pages = tuple(history.Page(p.name, p.group_index, p.group_name, p.clusters) for p in res.pages)
    return history.Previous(pages, res.status)


def result(placement: spec.PlacementSpec, inputs: Inputs, explain: bool = False) -> PlacementResult:
    """Schedule one placement and decide what to publish."""
    before = inputs.history.of(placement.key)
    if placement.disabled:
        return _kept(placement, before, dict(before.status), None)
    outcome = scheduler.schedule(
        placement,
        inputs.fleet,
        inputs.catalog,
        inputs.history,
        inputs.now,
        inputs.evaluator,
        explain,
    )
    return published(outcome, inputs)


def published(outcome: scheduler.Outcome, inputs: Inputs) -> PlacementResult:
    """Decide what to publish for one scheduled (not disabled) placement."""
    placement = outcome.placement
    before = inputs.history.of(placement.key)
    if outcome.misconfigured is not None:
        return _kept(placement, before, _misconfigured_status(outcome, before, inputs.now), outcome)
    conditions = [
        placementconditions.misconfigured(None),
        placementconditions.satisfied(
            outcome.scope, placement.cluster_sets, len(outcome.selected), outcome.unscheduled
        ),
    ]
    body = {
        "numberOfSelectedClusters": len(outcome.selected),
        "decisionGroups": decisions.group_status_of(placement.name, outcome.groups),
        "conditions": placementconditions.merge(conditions, before.status, inputs.now),
    }
    return PlacementResult(
        placement.namespace,
        placement.name,
        outcome.selected if not outcome.trace.scored else tuple(sorted(outcome.selected)),
        outcome.groups,
        body,
        outcome,
    )


def same_publication(new: scheduler.Outcome, old: scheduler.Outcome) -> bool:
    """Return whether two outcomes publish the same decisions and status."""
    return (
        new.misconfigured is None
        and old.misconfigured is None
        and new.groups == old.groups
        and new.unscheduled == old.unscheduled
        and bool(new.scope.candidates) == bool(old.scope.candidates)
        and new.scope.eligible == old.scope.eligible
        and new.scope.bindings == old.scope.bindings
    )


def public(res: PlacementResult) -> tuple[object, ...]:
    """Return what a result publishes (decisions, groups, status, kept), to compare."""
    return (res.clusters, res.groups, res.status, res.kept)


def _kept(
    placement: spec.PlacementSpec,
    before: history.Previous,
    body: Mapping[str, Any],
    outcome: scheduler.Outcome | None,
) -> PlacementResult:
    grouped = decisions.regroup(before.pages)
    if not grouped and outcome is not None:
        grouped = (groups.Group("", ()),)
    clusters = tuple(sorted(c for g in grouped for c in g.clusters))
    return PlacementResult(
        placement.namespace, placement.name, clusters, grouped, body, outcome, True
    )


def _misconfigured_status(
    outcome: scheduler.Outcome, before: history.Previous, now: datetime.datetime
) -> dict[str, Any]:
    grouped = decisions.regroup(before.pages) or (groups.Group("", ()),)
    count = sum(len(g.clusters) for g in grouped)
    kept = placementconditions.previous_condition(before.status, placementconditions.SATISFIED)
    satisfied = kept or placementconditions.satisfied(
        outcome.scope, outcome.placement.cluster_sets, count, 0
    )
    conditions = [placementconditions.misconfigured(outcome.misconfigured), satisfied]
    return {
        "numberOfSelectedClusters": count,
        "decisionGroups": decisions.group_status_of(outcome.placement.name, grouped),
        "conditions": placementconditions.merge(conditions, before.status, now),
    }
