"""Scheduling every placement of a render, settled.

Pure. :func:`schedule_all` schedules every Placement of the desired state
against the decisions of the previous hub tree, then schedules the placements
that choose among clusters (numberOfClusters) again, one after another in
(namespace, name) order, each against the latest decisions of all the others
(as OCM's queue does, in informer order), until none moves. What is published
is settled: scheduling everything again with the same inputs moves no cluster
(docs/placement.md). Placement pages are written in the same commit, so no
cluster ever vanishes between page updates.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence

from gitops_ocm.model import rendercache
from gitops_ocm.model import snapshot as snapshot_mod
from gitops_ocm.placement import history, inventory, publication, scheduler, spec


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
) -> dict[tuple[str, str], publication.PlacementResult]:
    """Schedule every Placement, settled (see the module); keyed by (namespace, name)."""
    inputs = publication.prepare(snap, clusters, previous, now, cache)
    return settled(placements(snap), inputs)


SETTLE_ROUNDS = 10
"""At most this many rounds of scheduling the choosing placements again, in turn."""


def settled(
    specs: Sequence[spec.PlacementSpec], inputs: publication.Inputs
) -> dict[tuple[str, str], publication.PlacementResult]:
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
    results = {p.key: publication.result(p, inputs) for p in specs}
    choosing = [p for p in specs if _chooses(p)]
    if not choosing:
        return results
    tally = history.Tally(history.build({k: publication.earlier(r) for k, r in results.items()}))
    everyone = inputs.fleet
    past, latest = inputs.history, tally.history()
    # What changed since each choosing placement was last scheduled, in order: the
    # clusters whose counts moved, and whether the highest counts (read by every score) did.
    changes = dict.fromkeys(c for c, _n in past.counts.items() ^ latest.counts.items())
    log = [(everyone.bitmap(list(changes)).bits, _peak(past) != _peak(latest))]
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
                    log.append((everyone.bitmap(flipped).bits, _peak(before) != _peak(after)))
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
        dropped |= step.dropped.bits
    return outcome.trace.candidates.bits & ~dropped


def in_turn(
    specs: Sequence[spec.PlacementSpec], inputs: publication.Inputs
) -> dict[tuple[str, str], publication.PlacementResult]:
    """Schedule ``specs`` one after another, each against the decisions of those before it.

    As OCM's queue does (here in the order given): a choosing placement's
    Balance counts what the placements scheduled before it now decide.
    """
    results: dict[tuple[str, str], publication.PlacementResult] = {}
    _in_turn(specs, inputs, history.Tally(inputs.history), results)
    return results


def _in_turn(
    specs: Sequence[spec.PlacementSpec],
    inputs: publication.Inputs,
    tally: history.Tally,
    results: dict[tuple[str, str], publication.PlacementResult],
) -> bool:
    """Schedule ``specs`` in turn against ``tally``, updating it; return whether any moved."""
    current = inputs
    moved = False
    for placement in specs:
        if _chooses(placement):  # the others do not read other placements' decisions
            latest = tally.history()
            if current.history is not latest:
                current = dataclasses.replace(current, history=latest)
        res = results[placement.key] = publication.result(placement, current)
        if frozenset(res.clusters) != current.history.of(placement.key).decisions:
            moved = tally.put(placement.key, publication.earlier(res)) or moved
    return moved


def decided(
    inputs: publication.Inputs, results: Mapping[tuple[str, str], publication.PlacementResult]
) -> publication.Inputs:
    """Return ``inputs`` whose earlier decisions are those of a settled schedule's ``results``.

    A settled choosing placement keeps what it chooses against everyone's
    decisions there (its own included, for Steady), so ``publication.result(..., explain=True)``
    against these inputs ranks the clusters as the decision was made.
    """
    final = history.build({key: publication.earlier(res) for key, res in results.items()})
    return dataclasses.replace(inputs, history=final)


def _chooses(placement: spec.PlacementSpec) -> bool:
    """Return whether a placement picks some of its feasible clusters (by score)."""
    return placement.number_of_clusters is not None and not placement.disabled
