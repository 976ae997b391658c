"""Benchmark: schedule 10,000 clusters x 1,000 placements, then reschedule after one label change.

Run: ``./dev python benchmarks/placement.py``. Everything is generated
in memory (no files) with a fixed seed. Full scheduling covers sets, filters,
scores where they matter, groups, pages and status for every placement.
Rescheduling after one cluster's labels change goes through
``queue.Scheduler.update_cluster``: it updates the fleet index for that
cluster only, evaluates the old and new version of the cluster once per
distinct scope and predicate list, and patches only the placements whose
outcome can change (see gitops_ocm/placement/incremental.py). The first change
is the one the target is about; a few more show the spread. The incremental results
are checked against a full recompute at the end.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gitops_ocm.placement import cel, fleet, history, inventory, publication, queue, sets, spec

NOW = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
REGIONS = ["us-east", "us-west", "eu-west", "eu-central", "ap-south", "ap-northeast"]
ENVS = ["prod", "staging", "dev"]
TIERS = ["gold", "silver", "bronze"]
TEAMS = ["ads", "search", "payments", "identity", "analytics", "support", "loyalty", "maps"]


def make_clusters(rng: random.Random, count: int) -> list[inventory.ClusterInfo]:
    """Return ``count`` reachable clusters with labels, claims and allocatable resources."""
    out = []
    for i in range(count):
        region = rng.choice(REGIONS)
        labels = {
            sets.CLUSTERSET_LABEL: "default",
            "region": region,
            "env": rng.choice(ENVS),
            "tier": rng.choice(TIERS),
            "team": rng.choice(TEAMS),
            "zone": f"{region}-{rng.choice('abc')}",
        }
        taints = (
            (inventory.Taint("maintenance", "", "NoSelect", NOW),) if rng.random() < 0.01 else ()
        )
        cpu = float(rng.randint(4, 256))
        out.append(
            inventory.ClusterInfo(
                name=f"cluster-{i:05}",
                labels=labels,
                taints=taints,
                claims={"platform.open-cluster-management.io": rng.choice(["AWS", "GCP", "Azure"])},
                allocatable={"cpu": cpu, "memory": cpu * 4e9},
                capacity={"cpu": cpu, "memory": cpu * 4e9},
                available="True",
                reported=True,
            )
        )
    return out


def make_placement(rng: random.Random, i: int) -> spec.PlacementSpec:
    """Return a placement with a varied predicate, sometimes numberOfClusters or groups."""
    shape = i % 4
    if shape == 0:
        selector = {"matchLabels": {"region": rng.choice(REGIONS), "env": rng.choice(ENVS)}}
    elif shape == 1:
        selector = {
            "matchExpressions": [
                {"key": "team", "operator": "In", "values": rng.sample(TEAMS, 2)},
                {"key": "tier", "operator": "NotIn", "values": ["bronze"]},
            ]
        }
    elif shape == 2:
        selector = {"matchLabels": {"team": rng.choice(TEAMS)}}
    else:
        selector = {"matchLabels": {"zone": f"{rng.choice(REGIONS)}-a"}}
    body: dict[str, object] = {
        "predicates": [{"requiredClusterSelector": {"labelSelector": selector}}]
    }
    if i % 3 == 0:
        body["numberOfClusters"] = rng.randint(1, 20)
    if i % 5 == 0:
        body["decisionStrategy"] = {"groupStrategy": {"clustersPerDecisionGroup": "25%"}}
    if i % 7 == 0:
        body["prioritizerPolicy"] = {
            "configurations": [
                {"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}, "weight": 2}
            ]
        }
    return spec.from_body(
        {"metadata": {"name": f"p-{i:04}", "namespace": f"ns-{i % 20}"}, "spec": body}
    )


def relabel(cluster: inventory.ClusterInfo, region: str, team: str) -> inventory.ClusterInfo:
    """Return the cluster moved to ``region`` (zone a) and ``team``."""
    labels = {**cluster.labels, "region": region, "zone": f"{region}-a", "team": team}
    return dataclasses.replace(cluster, labels=labels)


def main() -> None:
    """Run the measurements and print them."""
    rng = random.Random(7)
    clusters = make_clusters(rng, 10_000)
    specs = [make_placement(rng, i) for i in range(1_000)]
    catalog = sets.Catalog(
        {"default": {"selectorType": "ExclusiveClusterSetLabel"}},
        {f"ns-{n}": ("default",) for n in range(20)},
    )
    start = time.perf_counter()
    indexed = fleet.build(clusters)
    inputs = publication.Inputs(indexed, catalog, history.EMPTY, cel.Evaluator({}, NOW), NOW)
    sched = queue.Scheduler(specs, inputs)
    full = time.perf_counter() - start
    decided = sum(len(r.clusters) for r in sched.results.values())

    victim = indexed.clusters[4242]
    start = time.perf_counter()
    affected = sched.update_cluster(relabel(victim, "eu-west", "maps"))
    incremental = time.perf_counter() - start
    more = []
    for position in range(17, 10_000, 997):
        cluster = sched.inputs.fleet.clusters[position]
        region, team = rng.choice(REGIONS), rng.choice(TEAMS)
        start = time.perf_counter()
        sched.update_cluster(relabel(cluster, region, team))
        more.append(time.perf_counter() - start)

    start = time.perf_counter()
    explained = sched.explain(specs[0].key)
    explain_ms = (time.perf_counter() - start) * 1000
    assert explained.outcome is not None and explained.outcome.trace.order

    check = {p.key: publication.result(p, sched.inputs) for p in specs}
    assert {k: r.clusters for k, r in check.items()} == {
        k: r.clusters for k, r in sched.results.items()
    }, "incremental result differs from full"
    assert {k: (r.groups, r.pages, r.status) for k, r in check.items()} == {
        k: (r.groups, r.pages, r.status) for k, r in sched.results.items()
    }, "incremental groups, pages or status differ from full"
    print(f"clusters={len(clusters)} placements={len(specs)} decisions={decided}")
    print(f"full scheduling: {full * 1000:.0f} ms (target <= 1000 ms)")
    print(
        f"rescheduling after one cluster's labels change: {incremental * 1000:.1f} ms "
        f"({len(affected)} placements changed; target <= 20 ms)"
    )
    print(
        f"  {len(more)} more single-cluster label changes: median "
        f"{statistics.median(more) * 1000:.1f} ms, max {max(more) * 1000:.1f} ms"
    )
    print(f"explain one placement (full trace, on demand): {explain_ms:.1f} ms")


if __name__ == "__main__":
    main()
