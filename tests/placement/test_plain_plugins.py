"""Plugins written with the plain (OCM-shaped) interface only schedule like the bitmap built-ins."""

from __future__ import annotations

import dataclasses
import datetime

import fleetkit as fk
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.placement import bitmap, cel, explain, fleet, plugins, scheduler, weights
from gitops_ocm.placement.filters import predicate, taints
from gitops_ocm.placement.prioritizers import resource, steady


class PlainTaints:
    """TaintToleration again, on lists of clusters only (no ``filter_bitmap``)."""

    name = taints.NAME

    def filter(self, ctx, clusters):
        """Keep the clusters whose taints are all tolerated; the earliest expiry is the requeue."""
        if not clusters:
            return plugins.FilterResult(clusters)
        problem = taints.misconfiguration(ctx.placement.tolerations)
        if problem is not None:
            return plugins.FilterResult((), plugins.Misconfigured(self.name, problem))
        kept, requeue = [], None
        for cluster in clusters:
            own = cluster.name in ctx.own
            verdict = taints.tolerated(cluster, ctx.placement.tolerations, own, ctx.now)
            if verdict.refused is None:
                kept.append(cluster)
                if verdict.until is not None and (requeue is None or verdict.until < requeue):
                    requeue = verdict.until
        return plugins.FilterResult(kept, requeue_at=requeue)

    def why(self, ctx, cluster):
        """Say which taint was not tolerated."""
        own = cluster.name in ctx.own
        verdict = taints.tolerated(cluster, ctx.placement.tolerations, own, ctx.now)
        return verdict.refused or "tolerated"


class PlainSteady:
    """Steady again: 100 for earlier decisions, 0 otherwise, by name."""

    name = steady.NAME

    def score(self, ctx, clusters):
        """Score every cluster by whether this placement chose it before."""
        return plugins.Scores({c.name: 100 if c.name in ctx.own else 0 for c in clusters})


class PlainCpu:
    """ResourceAllocatableCPU again: only clusters reporting cpu are scored."""

    name = "ResourceAllocatableCPU"

    def score(self, ctx, clusters):
        """Score by allocatable cpu between the feasible min and max."""
        values = {
            c.name: c.allocatable["cpu"]
            for c in clusters
            if "cpu" in c.allocatable and "cpu" in c.capacity
        }
        if not values:
            return plugins.Scores({})
        low, high = min(values.values()), max(values.values())
        return plugins.Scores({n: resource.value_score(v, low, high) for n, v in values.items()})


PLAIN = {"Steady": PlainSteady(), "ResourceAllocatableCPU": PlainCpu()}
PLAIN_FILTERS = (predicate.Predicate(), PlainTaints())


def plain_policy(placement):
    """Return the built-in policy with Steady and the cpu prioritizer swapped for plain ones."""
    weighted, problem = weights.prioritizers(placement)
    swapped = tuple(
        weights.Weighted(PLAIN.get(item.plugin.name, item.plugin), item.weight) for item in weighted
    )
    return swapped, problem


def run_both(p, clusters, decisions, explain):
    """Schedule with the built-ins and with the plain plugins; return both without contexts."""
    indexed = fleet.build(clusters)
    evaluator = cel.Evaluator({c.name: c for c in indexed.clusters}, fk.NOW)
    past = fk.past(decisions)
    args = (p, indexed, fk.catalog(), past, fk.NOW, evaluator, explain)
    built_in = scheduler.schedule(*args)
    plain = scheduler.schedule(*args, filters=PLAIN_FILTERS, policy=plain_policy)
    return (
        dataclasses.replace(built_in, context=None),
        dataclasses.replace(plain, context=None),
    )


HOUR = datetime.timedelta(hours=1)
TAINTS = (
    (),
    (fk.taint("maint"),),
    (fk.taint("maint", "NoSelectIfNew"),),
    (fk.taint("maint", "PreferNoSelect"),),
    (fk.taint("gpu", value="a100", added=fk.NOW - HOUR),),
    (fk.taint("gpu", value="a100", added=fk.NOW - HOUR / 2),),
)
TOLERATIONS = (
    {"key": "maint", "operator": "Exists"},
    {"key": "gpu", "operator": "Exists", "tolerationSeconds": 7200},
    {"key": "gpu", "value": "a100", "tolerationSeconds": 1800},
    {"key": "", "operator": "Equal"},  # misconfigured
)
cluster_specs = st.lists(
    st.tuples(
        st.sampled_from(("east", "west")),
        st.sampled_from(TAINTS),
        st.one_of(st.none(), st.integers(1, 8)),
    ),
    max_size=14,
)
placement_specs = st.fixed_dictionaries(
    {
        "n": st.one_of(st.none(), st.integers(0, 10)),
        "region": st.one_of(st.none(), st.sampled_from(("east", "west"))),
        "tolerations": st.lists(st.sampled_from(TOLERATIONS), max_size=2),
        "steady": st.integers(0, 3),
        "cpu": st.integers(-2, 2),
    }
)


def _clusters(specs):
    return [
        fk.cluster(
            f"c{i:02}",
            {"region": region},
            taints=tainted,
            allocatable={} if cpu is None else {"cpu": cpu},
        )
        for i, (region, tainted, cpu) in enumerate(specs)
    ]


def _placement(p):
    fields = {
        "tolerations": p["tolerations"],
        "prioritizerPolicy": {
            "configurations": [
                {"scoreCoordinate": {"builtIn": "Steady"}, "weight": p["steady"]},
                {"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}, "weight": p["cpu"]},
            ]
        },
    }
    if p["n"] is not None:
        fields["numberOfClusters"] = p["n"]
    if p["region"]:
        selector = {"labelSelector": {"matchLabels": {"region": p["region"]}}}
        fields["predicates"] = [{"requiredClusterSelector": selector}]
    return fk.placement(**fields)


@settings(max_examples=200, deadline=None)
@given(cluster_specs, placement_specs, st.lists(st.integers(0, 13), max_size=6), st.booleans())
def test_plain_plugins_schedule_like_the_built_ins(specs, p, earlier, explain):
    """Plain filter and prioritizers give the built-ins' decisions, groups, requeue and trace."""
    decisions = {(fk.NS, "p"): [f"c{i:02}" for i in earlier]}
    built_in, plain = run_both(_placement(p), _clusters(specs), decisions, explain)
    assert plain == built_in


class Recording(PlainCpu):
    """PlainCpu that records which clusters it was asked to score."""

    def __init__(self):
        self.asked = []

    def score(self, ctx, clusters):
        """Record the call, then score as PlainCpu."""
        self.asked.append([c.name for c in clusters])
        return super().score(ctx, clusters)


def test_plain_plugins_are_really_used():
    """The plain plugins are called with the feasible clusters and their answers reach the trace."""
    clusters = [
        fk.cluster("a", allocatable={"cpu": 2}),
        fk.cluster("b", allocatable={"cpu": 8}, taints=[fk.taint("maint")]),
        fk.cluster("c"),
    ]
    weight = {"scoreCoordinate": {"builtIn": "ResourceAllocatableCPU"}, "weight": 1}
    p = fk.placement(prioritizerPolicy={"mode": "Exact", "configurations": [weight]})
    indexed = fleet.build(clusters)
    recording = Recording()

    def policy(placement):
        weighted, problem = weights.prioritizers(placement)
        return tuple(weights.Weighted(recording, w.weight) for w in weighted), problem

    args = (p, indexed, fk.catalog(), fk.past(), fk.NOW, cel.Evaluator({}, fk.NOW), True)
    out = scheduler.schedule(*args, filters=PLAIN_FILTERS, policy=policy)
    assert recording.asked == [["a", "c"]]
    assert out.trace.filters[1].dropped == bitmap.Bitmap.of([1])
    assert [s.scores for s in out.trace.prioritizers] == [{"a": 100}]
    assert out.selected == ("a", "c")


class Half:
    """A plain-only filter that keeps every other cluster (by name order)."""

    name = "Half"

    def filter(self, ctx, clusters):
        """Keep the clusters at even indexes of the list it is given."""
        return plugins.FilterResult(clusters[::2])

    def why(self, ctx, cluster):
        """Say it was an odd one."""
        return "odd"


def test_plain_filter_sees_only_the_candidates_and_is_recorded():
    """A plain filter gets the candidates in name order; who it drops is in the trace."""
    clusters = [fk.cluster(n, {"keep": "yes" if n != "b" else "no"}) for n in "abcde"]
    selector = {"labelSelector": {"matchLabels": {"keep": "yes"}}}
    p = fk.placement(predicates=[{"requiredClusterSelector": selector}])
    indexed = fleet.build(clusters)
    args = (p, indexed, fk.catalog(), fk.past(), fk.NOW, cel.Evaluator({}, fk.NOW))
    out = scheduler.schedule(*args, filters=(predicate.Predicate(), Half()))
    assert out.selected == ("a", "d")
    assert [(s.name, indexed.names(s.dropped)) for s in out.trace.filters] == [
        ("Predicate", ["b"]),
        ("Half", ["c", "e"]),
    ]


def test_explain_asks_a_plain_filter_why():
    """``explain.rows`` takes the filters the outcome was scheduled with and asks them why."""
    clusters = [fk.cluster(n) for n in "abc"]
    indexed = fleet.build(clusters)
    filters = (predicate.Predicate(), Half())
    evaluator = cel.Evaluator({}, fk.NOW)
    args = (fk.placement(), indexed, fk.catalog(), fk.past(), fk.NOW, evaluator, True)
    out = scheduler.schedule(*args, filters=filters)
    rows = explain.rows(out, filters)
    assert [(r.cluster, r.dropped_by, r.reason) for r in rows if r.dropped_by] == [
        ("b", "Half", "odd")
    ]


def _ctx(clusters, own=()):
    indexed = fleet.build(clusters)
    return plugins.Context(
        fk.placement(), indexed, fk.past(), frozenset(own), fk.NOW, cel.Evaluator({}, fk.NOW)
    )


def test_run_score_of_a_plain_prioritizer_keeps_only_the_asked_clusters():
    """With ``only``, the plain answer is cut to those clusters; unscored ones stay unscored."""
    clusters = [fk.cluster("a", allocatable={"cpu": 1}), fk.cluster("b", allocatable={"cpu": 3})]
    ctx = _ctx([*clusters, fk.cluster("c")])
    everyone = ctx.fleet.everyone
    result = plugins.run_score(PlainCpu(), ctx, everyone, bitmap.Bitmap.of([1, 2]))
    assert (result.default, dict(result.exceptions)) == (None, {1: 100})
    assert result.by_name(ctx.fleet, everyone) == {"b": 100}


def test_plain_prioritizers_take_the_conservative_defaults():
    """A plain prioritizer is not ``by_name`` and never claims its scores stayed the same."""
    ctx = _ctx([fk.cluster("a")])
    everyone = ctx.fleet.everyone
    assert not plugins.by_name(PlainSteady())
    assert not plugins.same_scores(PlainSteady(), ctx, ctx, everyone, everyone)
    assert plugins.by_name(steady.Steady())
    assert plugins.same_scores(steady.Steady(), ctx, ctx, everyone, everyone)


def test_built_ins_answer_the_plain_interface():
    """The built-in plugins also answer plain calls: survivors as clusters, scores by name."""
    clusters = [fk.cluster("a"), fk.cluster("b", taints=[fk.taint("maint")]), fk.cluster("c")]
    ctx = _ctx(clusters, own=("c",))
    passed = taints.TaintToleration().filter(ctx, list(ctx.fleet.clusters))
    assert [c.name for c in passed.survivors] == ["a", "c"]
    scores = steady.Steady().score(ctx, [ctx.fleet.clusters[0], ctx.fleet.clusters[2]])
    assert scores == plugins.Scores({"a": 0, "c": 100})
