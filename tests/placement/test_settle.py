"""Full schedules settle: scheduling everything again with the same inputs moves no cluster.

On a fleet whose choosing placements (numberOfClusters) use the default equal
Steady and Balance weights, a full schedule against its own published decisions
(a restarted controller, a placement added elsewhere) must keep every decision;
scheduling them all at once instead swaps clusters back and forth for ever.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import repokit

from gitops_ocm import source
from gitops_ocm.placement import history, inventory, publication, settle, spec
from gitops_ocm.render import hub

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)


def _published(results: dict[tuple[str, str], publication.PlacementResult]) -> history.History:
    return history.build({key: publication.earlier(res) for key, res in results.items()})


def _moves(
    before: dict[tuple[str, str], publication.PlacementResult],
    after: dict[tuple[str, str], publication.PlacementResult],
) -> int:
    return sum(len(set(before[k].clusters) ^ set(after[k].clusters)) for k in before)


def test_a_full_schedule_against_its_own_decisions_moves_nothing(tmp_path: Path) -> None:
    fleetgen = repokit.fleetgen()
    fleetgen.generate(tmp_path / "fleet", clusters=600, placements=80, mwrs=20, policies=10)
    snap = source.load_directory(tmp_path / "fleet")
    infos = inventory.build(snap, hub.assume_available(snap, NOW), NOW, {})
    specs = settle.placements(snap)
    assert sum(settle._chooses(p) for p in specs) >= 5
    inputs = publication.prepare(snap, infos, {}, NOW)

    cold = settle.settled(specs, inputs)
    replay = dataclasses.replace(inputs, history=_published(cold))
    assert _moves(cold, settle.settled(specs, replay)) == 0
    ranked = settle.decided(inputs, cold)
    for placement in specs:  # an explanation ranks the clusters as the decision was made
        explained = publication.result(placement, ranked, explain=True)
        assert set(explained.clusters) == set(cold[placement.key].clusters), placement.key

    # All at once against the same decisions, the same fleet keeps moving clusters.
    at_once = {p.key: publication.result(p, inputs) for p in specs}
    rounds = []
    for _ in range(3):
        replay = dataclasses.replace(inputs, history=_published(at_once))
        nxt = {p.key: publication.result(p, replay) for p in specs}
        rounds.append(_moves(at_once, nxt))
        at_once = nxt
    assert rounds[-1] > 0


def test_placements_scheduled_in_turn_see_the_decisions_before_them(tmp_path: Path) -> None:
    """Two identical choosing placements split the clusters when scheduled in turn."""
    fleetgen = repokit.fleetgen()
    fleetgen.generate(tmp_path / "fleet", clusters=40, placements=4, mwrs=2, policies=1)
    snap = source.load_directory(tmp_path / "fleet")
    infos = inventory.build(snap, hub.assume_available(snap, NOW), NOW, {})
    inputs = publication.prepare(snap, infos, {}, NOW)
    namespace = next(o.namespace for o in snap.of_kind("ManagedClusterSetBinding"))
    body = {"metadata": {"name": "a", "namespace": namespace}, "spec": {"numberOfClusters": 3}}
    first = spec.from_body(body)
    second = spec.from_body({**body, "metadata": {**body["metadata"], "name": "b"}})
    apart = settle.in_turn([first, second], inputs)
    assert len(apart[first.key].clusters) == len(apart[second.key].clusters) == 3
    assert not set(apart[first.key].clusters) & set(apart[second.key].clusters)
    together = {p.key: publication.result(p, inputs) for p in (first, second)}
    assert together[first.key].clusters == together[second.key].clusters
