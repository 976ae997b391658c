"""How a change will roll out: batches, limits, soak and annotations, computed for the plan."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from repokit import commit_files

from gitops_ocm.cli.main import main
from gitops_ocm.model import snapshot, yamlfile, yamlout
from gitops_ocm.placement import groups
from gitops_ocm.plan import compare, report, rolloutplan, rolloutreport
from gitops_ocm.render import works
from gitops_ocm.work import rollout, rolloutstate

MINUTE = datetime.timedelta(minutes=1)
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
NOW = "2026-01-01T00:00:00Z"
TWELVE = frozenset(f"c{n:02}" for n in range(12))


def names(text: str) -> frozenset[str]:
    """The cluster names in space-separated ``text``."""
    return frozenset(text.split())


def decided(*spec: tuple[str, str]) -> tuple[rollout.DecisionGroup, ...]:
    """Decision groups from (name, space-separated clusters), indexed in order."""
    return tuple(
        rollout.DecisionGroup(rollout.GroupKey(i, name), frozenset(names.split()))
        for i, (name, names) in enumerate(spec)
    )


def planned(
    raw: dict[str, Any], found: tuple[rollout.DecisionGroup, ...], updating: frozenset[str]
) -> rolloutplan.PlacementPlan:
    """The plan of one placement whose strategy is ``raw``."""
    return rolloutplan.placement_plan("p", rollout.strategy_from_dict(raw), found, updating)


def batches(result: rolloutplan.PlacementPlan) -> list[str]:
    """The batches as space-separated cluster names."""
    return [" ".join(b.clusters) for b in result.batches]


def twelve() -> tuple[rollout.DecisionGroup, ...]:
    """Twelve clusters c00..c11 in one unnamed decision group."""
    return decided(("", " ".join(sorted(TWELVE))))


@pytest.mark.parametrize(
    ("concurrency", "expected", "value", "default"),
    [
        pytest.param(5, ["c00 c01 c02 c03 c04", "c05 c06 c07 c08 c09", "c10 c11"], 5, False,
                     id="count"),
        pytest.param("25%", ["c00 c01 c02", "c03 c04 c05", "c06 c07 c08", "c09 c10 c11"], 3,
                     False, id="percent-of-12-is-3"),
        pytest.param("10%", ["c00 c01", "c02 c03", "c04 c05", "c06 c07", "c08 c09", "c10 c11"],
                     2, False, id="10%-of-12-rounds-up-to-2"),
        pytest.param(0, [" ".join(sorted(TWELVE))], 12, True, id="unset-is-all"),
        pytest.param(13, [" ".join(sorted(TWELVE))], 12, True, id="above-total-is-all"),
    ],
)  # fmt: skip
def test_progressive_windows_in_name_order(
    concurrency: int | str, expected: list[str], value: int, default: bool
) -> None:
    """Progressive gives the revision out in windows of maxConcurrency, in cluster-name order."""
    raw = {"type": "Progressive", "progressive": {"maxConcurrency": concurrency}}
    result = planned(raw, twelve(), TWELVE)
    assert result.max_concurrency == rolloutplan.Knob(concurrency, 12, value, default)
    assert batches(result) == expected


def test_progressive_window_counts_every_cluster_but_gives_only_the_updating() -> None:
    """The window is a share of the whole placement; clusters already up to date are skipped."""
    raw = {"type": "Progressive", "progressive": {"maxConcurrency": "50%"}}
    result = planned(raw, twelve(), frozenset({"c01", "c03", "c05", "c07", "c09"}))
    assert (result.total, result.updating) == (12, 5)
    assert result.max_concurrency == rolloutplan.Knob("50%", 12, 6, False)
    assert batches(result) == ["c01 c03 c05 c07 c09"]


def test_mandatory_groups_go_first_one_by_one() -> None:
    """Mandatory groups (by name, every index of it; or by index) go first, then the windows."""
    found = decided(("canary", "b z"), ("eu", "a c"), ("canary", "y"), ("", "d e"))
    raw = {
        "type": "Progressive",
        "progressive": {
            "mandatoryDecisionGroups": [{"groupName": "canary"}, {"groupIndex": 1}],
            "maxConcurrency": 1,
        },
    }
    result = planned(raw, found, names("a b c d e y z"))
    assert batches(result) == ["b z", "a c", "y", "d", "e"]
    assert [b.mandatory for b in result.batches] == [True, True, True, False, False]
    assert [b.group.index if b.group else None for b in result.batches] == [0, 1, 2, None, None]
    assert result.mandatory == (rollout.GroupKey(0, "canary"), rollout.GroupKey(1, "eu"),
                                rollout.GroupKey(2, "canary"))  # fmt: skip


def test_mandatory_group_with_nothing_to_update_is_skipped() -> None:
    """A mandatory group whose clusters hold the revision already is no batch."""
    found = decided(("canary", "a"), ("", "b c"))
    raw = {"type": "Progressive", "progressive": {"mandatoryDecisionGroups": [{"groupIndex": 0}]}}
    assert batches(planned(raw, found, frozenset({"b", "c"}))) == ["b c"]


def test_progressive_per_group_goes_group_by_group_in_index_order() -> None:
    """ProgressivePerGroup gives one whole decision group after another, by ascending index."""
    found = (
        rollout.DecisionGroup(rollout.GroupKey(2, "late"), frozenset({"a"})),
        rollout.DecisionGroup(rollout.GroupKey(0, "early"), frozenset({"m", "n"})),
        rollout.DecisionGroup(rollout.GroupKey(1, ""), frozenset({"b", "z"})),
    )
    raw = {"type": "ProgressivePerGroup", "progressivePerGroup": {"maxFailures": "50%"}}
    result = planned(raw, found, names("a b m n z"))
    assert batches(result) == ["m n", "b z", "a"]
    assert [b.max_failures.value for b in result.batches if b.max_failures] == [1, 1, 1]
    assert result.max_failures is None and result.max_concurrency is None


def test_all_is_one_batch_without_limits() -> None:
    """All gives every updating cluster the revision at once; failures are not limited."""
    raw = {"type": "All", "all": {"progressDeadline": "10m", "minSuccessTime": "5m"}}
    result = planned(raw, decided(("canary", "b"), ("", "a c")), names("a b c"))
    assert batches(result) == ["a b c"]
    assert (result.max_concurrency, result.max_failures, result.mandatory) == (None, None, ())
    assert result.progress_deadline == 10 * MINUTE
    assert result.minimum is None


@pytest.mark.parametrize(
    ("setting", "value", "default"),
    [
        pytest.param(0, 0, True, id="unset-is-0"),
        pytest.param(2, 2, False, id="count"),
        pytest.param("10%", 2, False, id="percent-rounds-up"),
        pytest.param(12, 12, False, id="equal-to-total"),
        pytest.param(13, 0, True, id="above-total-means-0"),
        pytest.param("150%", 0, True, id="percent-above-total-means-0"),
    ],
)
def test_max_failures_resolves_as_ocm(setting: int | str, value: int, default: bool) -> None:
    """maxFailures is a count or percentage of the placement; 0 or above the total means 0."""
    raw = {"type": "Progressive", "progressive": {"maxFailures": setting}}
    result = planned(raw, twelve(), TWELVE)
    assert result.max_failures == rolloutplan.Knob(setting, 12, value, default)


def test_per_group_max_failures_resolves_against_each_group() -> None:
    """ProgressivePerGroup resolves maxFailures per group; a count above a group's size is 0."""
    found = decided(("", "a b c d"), ("", "e"))
    raw = {"type": "ProgressivePerGroup", "progressivePerGroup": {"maxFailures": 3}}
    result = planned(raw, found, names("a b c d e"))
    limits = [b.max_failures for b in result.batches]
    assert limits == [rolloutplan.Knob(3, 4, 3, False), rolloutplan.Knob(3, 1, 0, True)]
    lines = rolloutreport.text_lines([rolloutplan.RolloutPlan("ns", "web", "w", "r", (), False,
                                                              False, (result,))])  # fmt: skip
    assert "    maxFailures: per decision group, of its size (each step says its own)" in lines
    assert "    step 1 [group #0: maxFailures 3, failure 4 stops the rollout]: a, b, c, d" in lines
    assert (
        "    step 2 [group #1: maxFailures 3 is more than the 1 cluster: 0 (OCM's default), "
        "the first failure stops the rollout]: e"
    ) in lines


def test_minimum_duration_is_batches_times_soak() -> None:
    """With minSuccessTime, the rollout lasts at least one soak per batch."""
    raw = {"type": "Progressive", "progressive": {"maxConcurrency": 4, "minSuccessTime": "5m"}}
    result = planned(raw, twelve(), TWELVE)
    assert result.minimum == 15 * MINUTE
    assert planned({"type": "Progressive"}, twelve(), TWELVE).minimum is None


def simulate(
    strategy: rollout.Strategy, found: tuple[rollout.DecisionGroup, ...], updating: frozenset[str]
) -> list[tuple[str, ...]]:
    """Run rollout.evaluate pass after pass, every cluster succeeding; return what each gives."""
    clusters = {c for g in found for c in g.clusters}
    long_ago = T0 - datetime.timedelta(days=1)
    known = {c: rollout.ClusterStatus(c, rollout.Status.SUCCEEDED, long_ago) for c in clusters}
    for cluster in updating:
        del known[cluster]
    now, out = T0, []
    while len(out) <= len(clusters):
        result = rollout.evaluate(strategy, found, list(known.values()), now)
        given = tuple(sorted(e.cluster for e in result.to_rollout if e.cluster not in known))
        if not given:
            break
        out.append(given)
        known.update((c, rollout.ClusterStatus(c, rollout.Status.SUCCEEDED, now)) for c in given)
        now += strategy.min_success_time
    return out


@st.composite
def fleets(draw: st.DrawFn) -> tuple[tuple[rollout.DecisionGroup, ...], frozenset[str]]:
    """Random decision groups (some named canary) and a non-empty set of clusters to update."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    names = iter(f"k{n:02}" for n in draw(st.permutations(range(sum(sizes)))))
    found = tuple(
        rollout.DecisionGroup(
            rollout.GroupKey(i, draw(st.sampled_from(["", "canary"]))),
            frozenset(next(names) for _ in range(size)),
        )
        for i, size in enumerate(sizes)
    )
    everyone = sorted(c for g in found for c in g.clusters)
    updating = draw(st.sets(st.sampled_from(everyone), min_size=1))
    return found, frozenset(updating)


@settings(max_examples=400, deadline=None)
@given(
    fleets(),
    st.sampled_from(["All", "Progressive", "ProgressivePerGroup"]),
    st.sampled_from([0, 1, 2, 3, 20, "25%", "50%", "100%"]),
    st.sampled_from([[], [{"groupName": "canary"}], [{"groupIndex": 1}]]),
    st.sampled_from(["0", "5m"]),
)
def test_batches_are_what_the_rollout_algorithm_gives_out(
    fleet: tuple[tuple[rollout.DecisionGroup, ...], frozenset[str]],
    kind: str,
    concurrency: int | str,
    mandatory: list[dict[str, Any]],
    soak: str,
) -> None:
    """The plan's batches equal what rollout.evaluate gives out pass by pass when all succeed."""
    found, updating = fleet
    params = {
        "maxConcurrency": concurrency,
        "mandatoryDecisionGroups": mandatory,
        "minSuccessTime": soak,
    }
    key = {"Progressive": "progressive", "ProgressivePerGroup": "progressivePerGroup"}.get(kind)
    strategy = rollout.strategy_from_dict({"type": kind, **({key: params} if key else {})})
    result = rolloutplan.placement_plan("p", strategy, found, updating)
    assert [b.clusters for b in result.batches] == simulate(strategy, found, updating)


# -- whole sets ---------------------------------------------------------------

TEMPLATE = {"workload": {"manifests": [{"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": "web"}}]}}  # fmt: skip


def mwrs(
    name: str, refs: list[dict[str, Any]], annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    """A ManifestWorkReplicaSet body in namespace platform."""
    meta: dict[str, Any] = {"name": name, "namespace": "platform"}
    if annotations:
        meta["annotations"] = annotations
    return {
        "apiVersion": "work.open-cluster-management.io/v1alpha1",
        "kind": "ManifestWorkReplicaSet",
        "metadata": meta,
        "spec": {"placementRefs": refs, "manifestWorkTemplate": TEMPLATE},
    }


def snap(*bodies: dict[str, Any]) -> snapshot.Snapshot:
    """A snapshot of one file holding ``bodies``."""
    text = yaml.safe_dump_all(bodies, sort_keys=False)
    return snapshot.build([yamlfile.parse("apps/sets.yaml", text.encode())])


def holding(name: str, clusters: str, template: dict[str, Any]) -> dict[str, bytes]:
    """A base hub tree where ``clusters`` hold set ``name``'s work with ``template``."""
    work = works.mwrs_work_name("platform", name)
    body = {"kind": "ManifestWork", "metadata": {"name": work}, "spec": template}
    data = yamlout.dump(body)
    return {f"clusters/{c}/manifestworks/{work}.yaml": data for c in clusters.split()}


PLACED = {
    ("platform", "prod"): (groups.Group("canary", ("a",)), groups.Group("", ("b", "c", "d"))),
    ("platform", "dev"): (groups.Group("", ("d", "e")),),
}
ACCEPTED = names("a b c d e")
PROGRESSIVE = {"name": "prod", "rolloutStrategy": {"type": "Progressive", "progressive": {
    "mandatoryDecisionGroups": [{"groupName": "canary"}], "maxConcurrency": 2}}}  # fmt: skip


def test_a_changed_template_rolls_out_on_every_cluster_with_both_revisions() -> None:
    """A new template rolls out to every cluster; the plan names the revision held and the new."""
    old = {"workload": {"manifests": []}}
    head = snap(mwrs("web", [PROGRESSIVE, {"name": "dev"}]))
    (result,) = rolloutplan.plan(head, PLACED, ACCEPTED, holding("web", "a b c d e", old))
    assert (result.revision, result.held) == (
        rolloutstate.revision(TEMPLATE),
        (rolloutstate.revision(old),),
    )
    assert result.work_name == works.mwrs_work_name("platform", "web")
    prod, dev = result.placements
    assert [b.clusters for b in prod.batches] == [("a",), ("b", "c"), ("d",)]
    assert (dev.placement, dev.type, [b.clusters for b in dev.batches]) == ("dev", "All", [("e",)])
    assert (result.rollback, result.paused) == (False, False)


def test_an_unchanged_set_does_not_roll_out() -> None:
    """A set whose clusters all hold its revision has no rollout."""
    head = snap(mwrs("web", [PROGRESSIVE]))
    assert rolloutplan.plan(head, PLACED, ACCEPTED, holding("web", "a b c d", TEMPLATE)) == ()


def test_joining_clusters_alone_roll_out() -> None:
    """With the template unchanged, only clusters that do not hold it yet are batched."""
    head = snap(mwrs("web", [PROGRESSIVE]))
    (result,) = rolloutplan.plan(head, PLACED, ACCEPTED, holding("web", "a b", TEMPLATE))
    (prod,) = result.placements
    assert [b.clusters for b in prod.batches] == [("c", "d")]
    assert (prod.total, prod.updating, result.held) == (4, 2, ())


def test_a_new_set_rolls_out_everywhere_and_unaccepted_clusters_are_left_out() -> None:
    """A new set rolls out on its accepted clusters; it holds no earlier revision."""
    head = snap(mwrs("web", [PROGRESSIVE]))
    (result,) = rolloutplan.plan(head, PLACED, names("a b c"), {})
    assert [b.clusters for b in result.placements[0].batches] == [("a",), ("b", "c")]
    assert result.held == ()


@pytest.mark.parametrize(
    ("annotations", "rollback", "paused"),
    [
        pytest.param({}, False, False, id="none"),
        pytest.param({rolloutstate.ON_FAILURE: "rollback"}, True, False, id="rollback"),
        pytest.param({rolloutstate.ON_FAILURE: "halt"}, False, False, id="halt"),
        pytest.param({rolloutstate.ROLLOUT: "paused"}, False, True, id="paused"),
        pytest.param({rolloutstate.ROLLOUT: "active"}, False, False, id="active"),
    ],
)
def test_annotations_are_read(annotations: dict[str, str], rollback: bool, paused: bool) -> None:
    """The on-failure and rollout annotations show as rollback and paused."""
    head = snap(mwrs("web", [PROGRESSIVE], annotations))
    (result,) = rolloutplan.plan(head, PLACED, ACCEPTED, {})
    assert (result.rollback, result.paused) == (rollback, paused)


def test_a_cluster_of_two_placements_rolls_out_with_the_first() -> None:
    """A cluster selected by two placementRefs rolls out with the first that selects it."""
    head = snap(mwrs("web", [{"name": "dev"}, PROGRESSIVE]))
    (result,) = rolloutplan.plan(head, PLACED, ACCEPTED, {})
    dev, prod = result.placements
    assert [b.clusters for b in dev.batches] == [("d", "e")]
    assert (prod.total, [b.clusters for b in prod.batches]) == (3, [("a",), ("b", "c")])


# -- through the CLI, on a repository ------------------------------------------

FLEET = {
    "fleet.yaml": """\
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSet
metadata:
  name: fleet
spec:
  clusterSelector:
    selectorType: ExclusiveClusterSetLabel
---
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata:
  name: fleet
  namespace: apps
spec:
  clusterSet: fleet
---
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata:
  name: waves
  namespace: apps
spec:
  clusterSets:
    - fleet
  decisionStrategy:
    groupStrategy:
      decisionGroups:
        - groupName: canary
          groupClusterSelector:
            labelSelector:
              matchLabels:
                canary: "true"
""",
    **{
        f"clusters/{name}.yaml": f"""\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: {name}
  labels:
    cluster.open-cluster-management.io/clusterset: fleet
    canary: "{str(name in ("c4", "c6")).lower()}"
spec:
  hubAcceptsClient: true
"""
        for name in ("c1", "c2", "c3", "c4", "c5", "c6")
    },
}
SET = """\
apiVersion: work.open-cluster-management.io/v1alpha1
kind: ManifestWorkReplicaSet
metadata:
  name: {name}
  namespace: apps
spec:
  placementRefs:
    - name: waves
      rolloutStrategy:
        type: Progressive
        progressive:
          mandatoryDecisionGroups:
            - groupName: canary
          maxConcurrency: 50%
          minSuccessTime: 5m
  manifestWorkTemplate:
    workload:
      manifests:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: {name}
            namespace: default
          data:
            version: "{version}"
"""


def run_plan(repo: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``plan main~1..main`` in format ``fmt``; return what it printed."""
    args = ["plan", str(repo), "--base", "main~1", "--head", "main", "--now", NOW, "-o", fmt]
    assert main(args) == 0
    return capsys.readouterr().out


def test_plan_shows_the_rollout_of_a_changed_set_only(
    bare_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """plan's JSON and markdown show the steps of the changed Progressive set, not the other."""
    steady = {**FLEET, "apps/api.yaml": SET.format(name="api", version="1")}
    commit_files(bare_repo, {**steady, "apps/web.yaml": SET.format(name="web", version="1")})
    commit_files(bare_repo, {**steady, "apps/web.yaml": SET.format(name="web", version="2")})
    (rolled,) = json.loads(run_plan(bare_repo, "json", capsys))["rollouts"]
    assert rolled["manifestWorkReplicaSet"] == "apps/web"
    (placement,) = rolled["placements"]
    assert placement["maxConcurrency"] == {"setting": "50%", "of": 4, "value": 2, "default": False}
    steps = [(s["clusters"], s["mandatory"]) for s in placement["steps"]]
    assert steps == [(["c4", "c6"], True), (["c1", "c2"], False), (["c3", "c5"], False)]
    assert (rolled["minimumSeconds"], rolled["onFailure"]) == (900, "halt")
    assert len(rolled["heldRevisions"]) == 1 and rolled["heldRevisions"] != [rolled["revision"]]
    markdown = run_plan(bare_repo, "markdown", capsys)
    title = "<summary>Rollout of ManifestWorkReplicaSet apps/web to 6 clusters: Progressive"
    assert title in markdown
    assert "| 1 | canary (#0), mandatory: no failure allowed | `c4`, `c6` |" in markdown
    assert "| 3 |  | `c3`, `c5` |" in markdown
    assert "maxConcurrency: 50% of 4 = 2 clusters at a time" in markdown
    assert "at least 15m: 3 steps x 5m soak (a lower bound)" in markdown
    assert "apps/api" not in markdown


# -- wording ------------------------------------------------------------------

K = rolloutplan.Knob


@pytest.mark.parametrize(
    ("knob", "expected"),
    [
        pytest.param(K(3, 12, 3, False), "3 clusters at a time", id="count"),
        pytest.param(K("25%", 12, 3, False), "25% of 12 = 3 clusters at a time", id="percent"),
        pytest.param(K(0, 12, 12, True), "unset: all 12 at once (OCM's default)", id="unset"),
        pytest.param(K(13, 12, 12, True),
                     "13 is more than the 12 clusters: all 12 at once (OCM's default)",
                     id="above-total"),
        pytest.param(K("0%", 12, 12, True), "0% of 12 is 0: all 12 at once (OCM's default)",
                     id="zero-percent"),
        pytest.param(K("25%", 0, 0, True), "no cluster outside the mandatory groups",
                     id="all-mandatory"),
    ],
)  # fmt: skip
def test_concurrency_is_worded_as_resolved(knob: rolloutplan.Knob, expected: str) -> None:
    """maxConcurrency is said with its share, its value and any fallback to the default."""
    assert rolloutreport.concurrency(knob) == expected


@pytest.mark.parametrize(
    ("knob", "expected"),
    [
        pytest.param(K(1, 12, 1, False), "1, failure 2 stops the rollout", id="count"),
        pytest.param(K("10%", 12, 2, False), "10% of 12 = 2, failure 3 stops the rollout",
                     id="percent"),
        pytest.param(K(0, 12, 0, True),
                     "unset: 0 (OCM's default), the first failure stops the rollout", id="unset"),
        pytest.param(K("25%", 0, 0, True),
                     "25% of 0 is 0: 0 (OCM's default), the first failure stops the rollout",
                     id="no-cluster"),
        pytest.param(K("150%", 12, 0, True),
                     "150% of 12 is more than 12: 0 (OCM's default), the first failure stops "
                     "the rollout", id="above-total"),
    ],
)  # fmt: skip
def test_failures_are_worded_as_resolved(knob: rolloutplan.Knob, expected: str) -> None:
    """maxFailures is said with its share, its value and OCM's fallback to 0."""
    assert rolloutreport.failures(knob) == expected


def many_steps(annotations: dict[str, str] | None = None) -> rolloutplan.RolloutPlan:
    """A set rolling out to 12 clusters one at a time (12 steps), with ``annotations``."""
    raw = {"name": "prod", "rolloutStrategy": {"type": "Progressive",
           "progressive": {"maxConcurrency": 1, "minSuccessTime": "90s"}}}  # fmt: skip
    placed = {("platform", "prod"): (groups.Group("", tuple(sorted(TWELVE))),)}
    (result,) = rolloutplan.plan(snap(mwrs("web", [raw], annotations)), placed, TWELVE, {})
    return result


def test_text_shows_the_first_steps_and_counts_the_rest() -> None:
    """The text plan lists the first five steps and says how many steps and clusters are left."""
    lines = rolloutreport.text_lines([many_steps()])
    assert lines[1] == "Rollout of ManifestWorkReplicaSet platform/web to 12 clusters: " \
        "Progressive on prod"  # fmt: skip
    assert "    step 5: c04" in lines and not any(line.startswith("    step 6") for line in lines)
    assert "    ... 7 more steps (7 clusters) not shown" in lines
    assert not any("takes at least" in line for line in lines)  # one placement says it
    assert "    at least 18m: 12 steps x 1m30s soak (a lower bound)" in lines
    assert "  on failure: halt (no cluster is given the revision after too many failures)" in lines


def test_a_set_lasts_as_long_as_its_longest_placement() -> None:
    """With several placements, the set's minimum is the longest one's, said for the set."""
    slow = {"type": "ProgressivePerGroup", "progressivePerGroup": {"minSuccessTime": "1h"}}
    head = snap(mwrs("web", [PROGRESSIVE, {"name": "dev", "rolloutStrategy": slow}]))
    (result,) = rolloutplan.plan(head, PLACED, ACCEPTED, {})
    assert [p.minimum for p in result.placements] == [None, 60 * MINUTE]
    assert result.minimum == 60 * MINUTE
    assert "takes at least 1h (a lower bound: the soaks alone)" in rolloutreport.header(result)


def test_annotations_are_shown() -> None:
    """Rollback on failure and a paused rollout are said in the set's lines."""
    annotations = {rolloutstate.ON_FAILURE: "rollback", rolloutstate.ROLLOUT: "paused"}
    lines = rolloutreport.header(many_steps(annotations))
    assert lines[1].startswith("on failure: rollback (gitops-ocm.io/on-failure: rollback): ")
    assert "last revision that succeeded on every cluster" in lines[1]
    assert lines[2] == (
        "paused (gitops-ocm.io/rollout: paused): nothing is given out until it is removed"
    )


def test_markdown_rollout_section_folds_and_respects_the_limit() -> None:
    """The rollout is a <details> section of the comment, left out (and counted) over the cap."""
    header = report.Header("a" * 40, "b" * 40)
    empty = compare.Plan(compare.Totals(), (), (), ())
    full = report.to_markdown(header, empty, rollouts=[many_steps()])
    assert "<details><summary>Rollout of ManifestWorkReplicaSet platform/web" in full
    assert "| 5 |  | `c04` |" in full and "_7 more steps (7 clusters) not shown._" in full
    short = report.to_markdown(header, empty, limit=len(full) - 100, rollouts=[many_steps()])
    assert "Rollout of" not in short and "**1 of 1 sections not shown**" in short
    assert "Rollout of" not in report.to_markdown(header, empty)
    assert report.to_dict(header, empty)["rollouts"] == []
