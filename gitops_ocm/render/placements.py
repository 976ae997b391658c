"""The ``placements/`` part of the hub tree: every Placement with status, and its decisions.

Pure. ``schedule_all`` schedules every Placement of the desired state against
the decisions of the previous hub tree, then schedules the placements that
choose among clusters (numberOfClusters) again, one after another in
(namespace, name) order, each against the latest decisions of all the others
(as OCM's queue does, in informer order), until none moves. What is published
is settled: scheduling everything again with the same inputs moves no cluster
(docs/placement.md). ``render_placements`` turns the results into files.
Better than OCM: a
Misconfigured placement keeps its previous decisions (OCM clears them), and a
placement's pages are written in the same commit, so no cluster ever vanishes
between page updates. A placement annotated
``cluster.open-cluster-management.io/experimental-scheduling-disable: "true"``
keeps its previous decisions and status, as OCM leaves it untouched.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import rendercache, yamlout
from gitops_ocm.model import snapshot as snapshot_mod
from gitops_ocm.placement import (
    cel,
    decisions,
    fleet,
    groups,
    history,
    incremental,
    inventory,
    scheduler,
    sets,
    spec,
    status,
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


def placements(snap: snapshot_mod.Snapshot) -> list[spec.PlacementSpec]:
    """Return every Placement (first of duplicates), sorted by (namespace, name)."""
    seen: dict[tuple[str, str], spec.PlacementSpec] = {}
    for obj in snap.of_kind("Placement"):
        parsed = spec.from_body(obj.body)
        if parsed.name and parsed.key not in seen:
            seen[parsed.key] = parsed
    return [seen[k] for k in sorted(seen)]


def schedule_all(
    snap: snapshot_mod.Snapshot,
    clusters: Sequence[inventory.ClusterInfo],
    previous: Mapping[str, bytes],
    now: datetime.datetime,
    cache: rendercache.RenderCache | None = None,
) -> dict[tuple[str, str], PlacementResult]:
    """Schedule every Placement, settled (see the module); keyed by (namespace, name)."""
    inputs = prepare(snap, clusters, previous, now, cache)
    return settled(placements(snap), inputs)


SETTLE_ROUNDS = 10
"""At most this many rounds of scheduling the choosing placements again, in turn."""


def settled(
    specs: Sequence[spec.PlacementSpec], inputs: Inputs
) -> dict[tuple[str, str], PlacementResult]:
    """Schedule every placement against the earlier decisions, then settle the choosing ones.

    The placements that choose among clusters (numberOfClusters) are scheduled
    again one after another, each against the latest decisions of all the
    others, until a round moves none (at most :data:`SETTLE_ROUNDS`). Then each
    keeps what it would choose against everyone else's decisions, and
    scheduling everything again with the same inputs (a restart) moves nothing.
    Rescheduling them all at once against the same decisions instead swaps
    clusters back and forth on every full schedule, for ever (a two-cycle); in
    turn, they settle in a few rounds (figures: benchmarks/README.md).

    A choosing placement is scheduled again only when Balance could score it
    differently: the count of one of its feasible clusters, or the highest
    counts, changed since it was last scheduled.
    """
    results = {p.key: result(p, inputs) for p in specs}
    choosing = [p for p in specs if _chooses(p)]
    if not choosing:
        return results
    tally = history.Tally(history.build({k: earlier(r) for k, r in results.items()}))
    everyone = inputs.fleet
    past, latest = inputs.history, tally.history()
    # What changed since each choosing placement was last scheduled, in order: the
    # clusters whose counts moved, and whether the highest counts (read by every score) did.
    changes = dict.fromkeys(c for c, _n in past.counts.items() ^ latest.counts.items())
    log = [(everyone.bitmap(list(changes)), _peak(past) != _peak(latest))]
    seen = dict.fromkeys((p.key for p in choosing), 0)  # log entries each has been scheduled with
    for _round in range(SETTLE_ROUNDS):
        moved = False
        for placement in choosing:
            key = placement.key
            bits, peak_moved = 0, False
            for entry_bits, entry_peak in log[seen[key] :]:
                bits |= entry_bits
                peak_moved = peak_moved or entry_peak
            if peak_moved or bits & _feasible(results[key].outcome):
                before = tally.history()
                if _in_turn([placement], inputs, tally, results):
                    moved = True
                    after = tally.history()
                    flipped = before.of(key).decisions ^ after.of(key).decisions
                    log.append((everyone.bitmap(flipped), _peak(before) != _peak(after)))
                seen[key] = len(log)  # its own move does not change how it scores
        if not moved:
            break
    return results


def _peak(past: history.History) -> tuple[int, int, frozenset[str]]:
    """Return what Balance reads of all counts: the highest, the next, who has the highest."""
    return past.top, past.second, past.top_clusters


def _feasible(outcome: scheduler.Outcome | None) -> int:
    """Return the bitmap of the clusters that passed a scheduled placement's filters."""
    if outcome is None or outcome.misconfigured is not None:
        return 0
    dropped = 0
    for step in outcome.trace.filters:
        dropped |= step.dropped
    return outcome.trace.candidates & ~dropped


def in_turn(
    specs: Sequence[spec.PlacementSpec], inputs: Inputs
) -> dict[tuple[str, str], PlacementResult]:
    """Schedule ``specs`` one after another, each against the decisions of those before it.

    As OCM's queue does (here in the order given): a choosing placement's
    Balance counts what the placements scheduled before it now decide.
    """
    results: dict[tuple[str, str], PlacementResult] = {}
    _in_turn(specs, inputs, history.Tally(inputs.history), results)
    return results


def _in_turn(
    specs: Sequence[spec.PlacementSpec],
    inputs: Inputs,
    tally: history.Tally,
    results: dict[tuple[str, str], PlacementResult],
) -> bool:
    """Schedule ``specs`` in turn against ``tally``, updating it; return whether any moved."""
    current = inputs
    moved = False
    for placement in specs:
        if _chooses(placement):  # the others do not read other placements' decisions
            latest = tally.history()
            if current.history is not latest:
                current = dataclasses.replace(current, history=latest)
        res = results[placement.key] = result(placement, current)
        if frozenset(res.clusters) != current.history.of(placement.key).decisions:
            moved = tally.put(placement.key, earlier(res)) or moved
    return moved


def decided(inputs: Inputs, results: Mapping[tuple[str, str], PlacementResult]) -> Inputs:
    """Return ``inputs`` whose earlier decisions are those of a settled schedule's ``results``.

    A settled choosing placement keeps what it chooses against everyone's
    decisions there (its own included, for Steady), so ``result(..., explain=True)``
    against these inputs ranks the clusters as the decision was made.
    """
    final = history.build({key: earlier(res) for key, res in results.items()})
    return dataclasses.replace(inputs, history=final)


def _chooses(placement: spec.PlacementSpec) -> bool:
    """Return whether a placement picks some of its feasible clusters (by score)."""
    return placement.number_of_clusters is not None and not placement.disabled


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
        status.misconfigured(None),
        status.satisfied(
            outcome.scope, placement.cluster_sets, len(outcome.selected), outcome.unscheduled
        ),
    ]
    body = {
        "numberOfSelectedClusters": len(outcome.selected),
        "decisionGroups": decisions.group_status_of(placement.name, outcome.groups),
        "conditions": status.merge(conditions, before.status, inputs.now),
    }
    return PlacementResult(
        placement.namespace,
        placement.name,
        outcome.selected if not outcome.trace.scored else tuple(sorted(outcome.selected)),
        outcome.groups,
        body,
        outcome,
    )


class Scheduler:
    """Every placement's result, kept up to date as clusters change one at a time.

    Not pure: it holds the current inputs and results and replaces them on
    :meth:`update_cluster`, which reschedules only the placements the changed
    cluster can affect (see :mod:`gitops_ocm.placement.incremental`). The
    results always equal what :func:`result` gives for the current inputs.
    Outcomes of unaffected placements keep their earlier context; ask
    :meth:`explain` for a trace against the current inputs.
    """

    def __init__(
        self, specs: Sequence[spec.PlacementSpec], inputs: Inputs, settle: bool = False
    ) -> None:
        self.inputs = inputs
        if settle:  # event-driven use (below); update_cluster's guarantee then does not hold
            self.results = settled(specs, inputs)
        else:
            self.results = {p.key: result(p, inputs) for p in specs}
        self._specs = {p.key: p for p in specs}
        self._watch = incremental.Watch({p.key: p for p in specs if not p.disabled})

    def update_cluster(self, cluster: inventory.ClusterInfo) -> list[tuple[str, str]]:
        """Replace one known cluster; return the keys whose results changed, sorted."""
        change = self._replace(cluster)
        if change is None:
            return []
        changed: list[tuple[str, str]] = []
        for key in self._watch.affected(change):
            res = self.results[key]
            if res.outcome is None:
                continue
            outcome = incremental.reschedule(res.outcome, change, self._watch.signatures[key])
            if outcome is None:
                continue
            if _same_publication(outcome, res.outcome):
                self.results[key] = PlacementResult(
                    res.namespace, res.name, res.clusters, res.groups, res.status, outcome
                )
                continue
            fresh = published(outcome, self.inputs)
            if outcome.misconfigured is None and res.outcome.misconfigured is None:
                changed.append(key)  # other groups or counts always publish differently
            elif _public(fresh) != _public(res):
                changed.append(key)
            self.results[key] = fresh
        return sorted(changed)

    # Event-driven use, as OCM's scheduler works (the hub controller's engine): a
    # placement is scheduled again, in full, when an event reaches it, against
    # the current inventory and the decisions last published.

    def refresh(self, past: history.History, now: datetime.datetime) -> None:
        """Take ``past`` (the decisions last published) and ``now`` for later reschedules."""
        old = self.inputs
        self.inputs = dataclasses.replace(
            old, history=past, now=now, evaluator=old.evaluator.at(now)
        )

    def specs(self) -> dict[tuple[str, str], spec.PlacementSpec]:
        """Return the placements this scheduler holds, by key."""
        return dict(self._specs)

    def set_placement(self, placement: spec.PlacementSpec) -> list[tuple[str, str]]:
        """Replace one known placement's spec and schedule it; return its key if it changed."""
        self._specs[placement.key] = placement
        self._watch = incremental.Watch({k: p for k, p in self._specs.items() if not p.disabled})
        return self.reschedule([placement.key])

    def update_clusters(self, clusters: Sequence[inventory.ClusterInfo]) -> list[tuple[str, str]]:
        """Replace known clusters, then schedule every placement they can affect, in full.

        Returns the keys whose published results changed, sorted.
        """
        affected: set[tuple[str, str]] = set()
        for cluster in clusters:
            change = self._replace(cluster)
            if change is not None:
                affected.update(self._watch.affected(change))
        return self.reschedule(sorted(affected))

    def _replace(self, cluster: inventory.ClusterInfo) -> incremental.Change | None:
        """Put ``cluster`` in the inputs; return the change (None: it was already there)."""
        old = self.inputs
        if old.fleet.clusters[old.fleet.position[cluster.name]] == cluster:
            return None
        everyone = fleet.replace(old.fleet, cluster)
        evaluator = old.evaluator.replacing(cluster)
        self.inputs = dataclasses.replace(old, fleet=everyone, evaluator=evaluator)
        return incremental.Change(
            old.fleet,
            everyone,
            cluster.name,
            old.catalog,
            old.history,
            old.now,
            (old.evaluator, evaluator),
        )

    def due(self, now: datetime.datetime) -> list[tuple[str, str]]:
        """Return the placements whose requeue time (tolerationSeconds) has come, sorted."""
        return sorted(
            key
            for key, res in self.results.items()
            if res.outcome is not None
            and res.outcome.requeue_at is not None
            and res.outcome.requeue_at <= now
        )

    def reschedule(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Schedule ``keys`` in full, in turn, against the current inputs; return the changed."""
        changed: list[tuple[str, str]] = []
        for key, fresh in in_turn([self._specs[k] for k in keys], self.inputs).items():
            old = self.results.get(key)
            self.results[key] = fresh
            if old is None or _public(fresh) != _public(old):
                changed.append(key)
        return sorted(changed)

    def explain(self, key: tuple[str, str]) -> PlacementResult:
        """Return one placement's result with a full trace, against the current inputs."""
        outcome = self.results[key].outcome
        assert outcome is not None, "scheduling is disabled for this placement"
        return result(outcome.placement, self.inputs, explain=True)


def _same_publication(new: scheduler.Outcome, old: scheduler.Outcome) -> bool:
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


def _public(res: PlacementResult) -> tuple[object, ...]:
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
    kept = status.previous_condition(before.status, status.SATISFIED)
    satisfied = kept or status.satisfied(outcome.scope, outcome.placement.cluster_sets, count, 0)
    conditions = [status.misconfigured(outcome.misconfigured), satisfied]
    return {
        "numberOfSelectedClusters": count,
        "decisionGroups": decisions.group_status_of(outcome.placement.name, grouped),
        "conditions": status.merge(conditions, before.status, now),
    }


def render_placements(
    snap: snapshot_mod.Snapshot,
    clusters: Sequence[inventory.ClusterInfo],
    previous: Mapping[str, bytes],
    now: datetime.datetime,
) -> dict[str, bytes]:
    """Return the ``placements/`` files of the hub tree."""
    results = schedule_all(snap, clusters, previous, now)
    bodies = {(o.namespace, o.name): o.body for o in snap.of_kind("Placement")}
    return files(results, bodies)


def files(
    results: Mapping[tuple[str, str], PlacementResult],
    bodies: Mapping[tuple[str, str], Mapping[str, Any]],
    cache: rendercache.RenderCache | None = None,
) -> dict[str, bytes]:
    """Serialize placements and their pages into hub-tree files (each content once per cache)."""
    out: dict[str, bytes] = {}
    for key in sorted(results):
        res = results[key]
        folder = f"placements/{res.namespace}/{res.name}"
        body = _placement(bodies.get(key, {}), res)
        out[f"{folder}/placement.yaml"] = _dump(body, cache)
        for page in res.pages:
            data = decisions.page_bytes(res.namespace, res.name, page)
            if cache is not None:
                entry = decisions.page_entry(res.namespace, res.name, page)
                history.remember_entry(cache, data, entry)
            out[f"{folder}/{page.name}.yaml"] = data
    return out


def _dump(body: dict[str, Any], cache: rendercache.RenderCache | None) -> bytes:
    """Serialize a body; with a cache, also tell the next pass's history what it reads."""
    if cache is None:
        return yamlout.dump(body)
    data = cache.dump(body)
    history.remember(cache, data, body)
    return data


def _placement(body: Mapping[str, Any], res: PlacementResult) -> dict[str, Any]:
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    kept = {k: metadata[k] for k in ("labels", "annotations") if metadata.get(k)}
    out: dict[str, Any] = {
        "apiVersion": body.get("apiVersion", "cluster.open-cluster-management.io/v1beta1"),
        "kind": "Placement",
        "metadata": {"name": res.name, "namespace": res.namespace, **kept},
        "spec": body.get("spec") if isinstance(body.get("spec"), dict) else {},
    }
    if res.status:
        out["status"] = dict(res.status)
    return out
