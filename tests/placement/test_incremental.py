"""The fast paths agree with the plain ones: selection without a trace, and one-cluster updates."""

from __future__ import annotations

import dataclasses
import datetime

import fleetkit as fk
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.placement import (
    cel,
    decisions,
    fleet,
    groups,
    history,
    inventory,
    publication,
    queue,
    sets,
)

REGIONS = ("east", "west", "north")
TEAMS = ("a", "b")

cluster_specs = st.lists(
    st.tuples(
        st.sampled_from(REGIONS),
        st.sampled_from(TEAMS),
        st.sampled_from((None, 4, 8, 16, 64)),
        st.booleans(),
    ),
    min_size=1,
    max_size=14,
)
placement_specs = st.fixed_dictionaries(
    {
        "n": st.one_of(st.none(), st.integers(0, 8)),
        "region": st.one_of(st.none(), st.sampled_from(REGIONS)),
        "team": st.one_of(st.none(), st.sampled_from(TEAMS)),
        "cpu_weight": st.integers(-2, 2),
        "steady": st.integers(0, 2),
        "groups": st.booleans(),
        "addon": st.booleans(),
    }
)


def _cluster(i, region, team, cpu, tainted, clusterset="default"):
    return fk.cluster(
        f"c{i:02}",
        {"region": region, "team": team, sets.CLUSTERSET_LABEL: clusterset},
        taints=[fk.taint("maint", "NoSelect")] if tainted else [],
        allocatable={"cpu": float(cpu)} if cpu else None,
        scores={"res": inventory.AddOnScore({"s": cpu or 0}, _until(cpu))} if i % 3 else None,
    )


def _until(cpu):
    """Scores of small clusters expire soon, the others never (the requeue time follows)."""
    return fk.NOW + datetime.timedelta(hours=cpu) if cpu and cpu < 64 else None


def _placement(name, p):
    configurations = [
        {"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}, "weight": p["cpu_weight"]},
        {"scoreCoordinate": {"builtIn": "Steady"}, "weight": p["steady"]},
    ]
    if p["addon"]:
        coordinate = {"type": "AddOn", "addOn": {"resourceName": "res", "scoreName": "s"}}
        configurations.append({"scoreCoordinate": coordinate, "weight": 1})
    fields: dict[str, object] = {"prioritizerPolicy": {"configurations": configurations}}
    if p["n"] is not None:
        fields["numberOfClusters"] = p["n"]
    labels = {k: p[k] for k in ("region", "team") if p[k]}
    if labels:
        fields["predicates"] = [
            {"requiredClusterSelector": {"labelSelector": {"matchLabels": labels}}}
        ]
    if p["groups"]:
        fields["decisionStrategy"] = {
            "groupStrategy": {
                "clustersPerDecisionGroup": 2,
                "decisionGroups": [
                    {
                        "groupName": "east",
                        "groupClusterSelector": {
                            "labelSelector": {"matchLabels": {"region": "east"}}
                        },
                    }
                ],
            }
        }
    return fk.placement(name, **fields)


@settings(max_examples=150, deadline=None)
@given(cluster_specs, placement_specs, st.lists(st.integers(0, 13), max_size=6), st.data())
def test_selection_without_trace_matches_full_ranking(specs, p, earlier, data):
    """Selecting through exceptions and the allocatable order gives the fully sorted result."""
    clusters = [_cluster(i, *s) for i, s in enumerate(specs)]
    others = data.draw(st.lists(st.integers(0, 13), max_size=10))
    decisions = {
        (fk.NS, "p"): [f"c{i:02}" for i in earlier],
        (fk.NS, "q"): [f"c{i:02}" for i in others],
    }
    fast = fk.run(_placement("p", p), clusters, decisions=decisions, explain=False)
    full = fk.run(_placement("p", p), clusters, decisions=decisions, explain=True)
    assert sorted(fast.selected) == sorted(full.selected)
    if fast.trace.scored:  # else every feasible cluster is selected, listed by name
        assert fast.selected == full.selected
    assert fast.groups == full.groups
    assert fast.warnings == full.warnings
    assert fast.unscheduled == full.unscheduled


@settings(max_examples=80, deadline=None)
@given(
    cluster_specs,
    st.lists(placement_specs, min_size=1, max_size=5),
    st.lists(
        st.tuples(
            st.integers(0, 13),
            st.sampled_from(REGIONS),
            st.sampled_from(TEAMS),
            st.sampled_from((None, 4, 8, 16, 64)),
            st.booleans(),
            st.sampled_from(("default", "default", "other")),
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.integers(0, 13), max_size=6),
)
def test_update_cluster_equals_full_recompute(specs, ps, updates, earlier):
    """After each one-cluster change the Scheduler's results and requeue times equal a full run."""
    clusters = [_cluster(i, *s) for i, s in enumerate(specs)]
    specs_ = [_placement(f"p{k}", p) for k, p in enumerate(ps)]
    past = fk.past({(fk.NS, "p0"): [f"c{i:02}" for i in earlier]})
    indexed = fleet.build(clusters)
    inputs = publication.Inputs(
        indexed,
        fk.catalog({fk.NS: ("default",)}),
        past,
        cel.Evaluator({c.name: c for c in indexed.clusters}, fk.NOW),
        fk.NOW,
    )
    sched = queue.Scheduler(specs_, inputs)
    for i, *fields in updates:
        if i >= len(clusters):
            continue
        before = {k: _public(r) for k, r in sched.results.items()}
        changed = sched.update_cluster(_cluster(i, *fields))
        fresh = {p.key: publication.result(p, sched.inputs) for p in specs_}
        assert {k: _public(r) for k, r in sched.results.items()} == {
            k: _public(r) for k, r in fresh.items()
        }
        assert set(changed) == {k for k in fresh if _public(fresh[k]) != before[k]}
        assert {k: _requeue(r) for k, r in sched.results.items()} == {
            k: _requeue(r) for k, r in fresh.items()
        }


def _public(res):
    return (res.clusters, res.groups, res.pages, res.status)


def _requeue(res):
    """When the placement is due again (a toleration or an add-on score running out)."""
    return res.outcome.requeue_at if res.outcome is not None else None


def test_explain_on_demand_has_the_trace():
    """Scheduler.explain recomputes one placement with scores, order and totals."""
    clusters = [fk.cluster(n) for n in "abc"]
    indexed = fleet.build(clusters)
    inputs = publication.Inputs(
        indexed, fk.catalog(), history.EMPTY, cel.Evaluator({}, fk.NOW), fk.NOW
    )
    sched = queue.Scheduler([fk.placement(numberOfClusters=2)], inputs)
    assert sched.results[(fk.NS, "p")].outcome.trace.order == ()
    explained = sched.explain((fk.NS, "p")).outcome
    assert explained.trace.order == ("a", "b", "c")
    assert explained.trace.totals == {"a": 100, "b": 100, "c": 100}


def test_update_of_unchanged_cluster_changes_nothing():
    """Replacing a cluster with an equal one reports no change."""
    clusters = [fk.cluster(n) for n in "ab"]
    inputs = publication.Inputs(
        fleet.build(clusters), fk.catalog(), history.EMPTY, cel.Evaluator({}, fk.NOW), fk.NOW
    )
    sched = queue.Scheduler([fk.placement()], inputs)
    assert sched.update_cluster(dataclasses.replace(clusters[0])) == []


def test_fleet_pick_dense_and_sparse():
    """pick returns the items at the set bits, in order, for sparse and dense bitmaps."""
    items = list(range(200))
    dense = sum(1 << i for i in range(0, 200, 3))
    assert fleet.pick(items, dense) == list(range(0, 200, 3))
    assert fleet.pick(items, 1 << 150 | 1 << 7) == [7, 150]
    assert fleet.first(dense, 3) == [0, 3, 6]
    assert fleet.positions(0) == []


@settings(max_examples=150, deadline=None)
@given(st.sets(st.integers(0, 3000), max_size=900))
def test_fleet_pick_walked_searched_and_compressed(chosen):
    """Every way pick takes (few bits, sparse, dense) gives the set positions in order."""
    bitmap = sum(1 << i for i in chosen)
    assert fleet.positions(bitmap) == sorted(chosen)
    names = [f"c{i}" for i in range(3001)]
    assert fleet.pick(names, bitmap) == [f"c{i}" for i in sorted(chosen)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("", "canary")), st.integers(0, 250)), max_size=4))
def test_group_status_without_pages(shape):
    """decisionGroups computed from the groups equal those computed from the built pages."""
    grouped = tuple(
        groups.Group(name, tuple(f"c{n:03}" for n in range(size))) for name, size in shape
    )
    expected = decisions.group_status(decisions.paginate("p", grouped))
    assert decisions.group_status_of("p", grouped) == expected
