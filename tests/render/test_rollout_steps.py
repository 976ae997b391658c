"""A ManifestWorkReplicaSet rolled out in steps, pass by pass, as render computes it.

Each pass is :func:`hub.render` of the desired state with the previous hub tree,
a status tree made by simulated agents (each reports the work it holds:
Applied, Available, and Degraded when its revision is "bad" on that cluster)
and the time. The tests follow rollouts from start to end: one cluster at a
time, halt on failure, rollback to the last good revision, pause, a restart
that continues, and the time that moves a soak.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from pathlib import Path

import rolloutkit
import yaml
from rolloutkit import CLUSTERS, PROGRESSIVE

from gitops_ocm import source
from gitops_ocm.model import timefmt, yamlfile
from gitops_ocm.placement import inventory
from gitops_ocm.render import hub
from gitops_ocm.work import rolloutstate

T0 = datetime.datetime(2026, 12, 8, 2, 0, tzinfo=datetime.UTC)


class Fleet:
    """The desired state on disk, the published hub tree, the agents' reports and the clock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hub: dict[str, bytes] = {}
        self.now = T0
        self.bad: dict[str, set[str]] = {}  # image -> clusters where it degrades
        self.silent: set[str] = set()  # clusters whose agent does not report
        self.reported: dict[str, bytes] = {}  # the last report of each work, kept while it holds

    def write(self, image: str, strategy: Mapping[str, object] = PROGRESSIVE, **notes: str) -> None:
        """Put ``image`` (and annotations) on main."""
        names = {k.replace("_", "-"): v for k, v in notes.items()}
        rolloutkit.write_fleet(
            self.root, image, strategy, {f"gitops-ocm.io/{k}": v for k, v in names.items()}
        )

    def reports(self) -> dict[str, bytes]:
        """The status tree: every cluster Available, each work reported as its agent would."""
        snap = source.load_directory(self.root)
        tree = hub.assume_available(snap, self.now)
        for path, data in self.hub.items():
            parts = path.split("/")
            if len(parts) != 4 or parts[2] != "manifestworks" or parts[1] in self.silent:
                continue
            image = yaml.safe_load(data)["spec"]["workload"]["manifests"][0]["data"]["image"]
            degraded = parts[1] in self.bad.get(image, set())
            last = self.reported.get(path)
            if last is None or yamlfile.blob_id(data).encode() not in last:
                last = rolloutkit.work_report(parts[1], parts[3][:-5], data, degraded, self.now)
            tree[path] = self.reported[path] = last  # conditions keep their transition time
        return tree

    def step(self, minutes: float = 1) -> rolloutstate.RolloutState:
        """Run one pass ``minutes`` after the last one; return the state file it wrote."""
        self.now += datetime.timedelta(minutes=minutes)
        status = self.reports()
        snap = source.load_directory(self.root)
        infos = inventory.build(snap, status, self.now, {})
        tree = hub.render(snap, infos, self.hub, self.now, status=status)
        assert not [p for p in tree.problems if p.severity.value == "error"], tree.problems
        self.hub = dict(tree.files)
        return self.state()

    def state(self) -> rolloutstate.RolloutState:
        """The published state file."""
        paths = [p for p in self.hub if p.startswith("rollouts/")]
        assert len(paths) == 1, paths
        found = rolloutstate.RolloutState.from_body(yaml.safe_load(self.hub[paths[0]]))
        assert found is not None
        return found

    def images(self) -> dict[str, str | None]:
        """Which image each cluster's work holds (None: no work)."""
        out: dict[str, str | None] = {}
        for name in CLUSTERS:
            data = next(
                (d for p, d in self.hub.items() if p.startswith(f"clusters/{name}/manifestworks/")),
                None,
            )
            body = yaml.safe_load(data) if data is not None else None
            manifests = body["spec"]["workload"]["manifests"] if body else None
            out[name] = manifests[0]["data"]["image"] if manifests else None
        return out

    def run(self, until: Callable[[rolloutstate.RolloutState], bool], limit: int = 20) -> int:
        """Run passes until ``until`` holds for the state; return how many it took."""
        for count in range(1, limit + 1):
            if until(self.step()):
                return count
        raise AssertionError(f"not reached in {limit} passes: {self.state()}")


def test_progressive_gives_one_cluster_at_a_time(tmp_path: Path) -> None:
    """maxConcurrency 1: each pass gives the next cluster in name order, then Succeeded."""
    fleet = Fleet(tmp_path)
    fleet.write("v1")
    state = fleet.step()
    assert fleet.images() == {"c1": "v1", "c2": None, "c3": None, "c4": None}
    assert state.phase == rolloutstate.PROGRESSING
    fleet.step()
    assert fleet.images() == {"c1": "v1", "c2": "v1", "c3": None, "c4": None}
    state = fleet.run(lambda s: s.phase == rolloutstate.SUCCEEDED) and fleet.state()
    assert state.stable is not None and state.stable.revision == state.revision
    assert set(fleet.images().values()) == {"v1"}
    assert [s.clusters for s in state.steps if s.given] == [("c1",), ("c2",), ("c3",), ("c4",)]


def test_same_inputs_give_the_same_bytes(tmp_path: Path) -> None:
    """A pass with nothing new (same reports, same time) writes byte-identical files."""
    fleet = Fleet(tmp_path)
    fleet.write("v1")
    fleet.step()
    status = fleet.reports()
    snap = source.load_directory(tmp_path)
    infos = inventory.build(snap, status, fleet.now, {})
    one = hub.render(snap, infos, fleet.hub, fleet.now, status=status).files
    two = hub.render(snap, infos, fleet.hub, fleet.now, status=status).files
    assert one == two


def test_failure_halts_and_keeps_the_rest(tmp_path: Path) -> None:
    """A revision Degraded on its first cluster halts: nobody else receives it."""
    fleet = Fleet(tmp_path)
    fleet.write("v1")
    fleet.run(lambda s: s.phase == rolloutstate.SUCCEEDED)
    fleet.write("v2")
    fleet.bad["v2"] = {"c1"}
    fleet.step()
    assert fleet.images() == {"c1": "v2", "c2": "v1", "c3": "v1", "c4": "v1"}
    state = fleet.step()
    assert state.phase == rolloutstate.HALTED
    assert state.reason == "MaxFailuresExceeded"
    assert state.placements[0].failed_clusters == ("c1",)
    for _ in range(3):
        assert fleet.step().phase == rolloutstate.HALTED
    assert fleet.images() == {"c1": "v2", "c2": "v1", "c3": "v1", "c4": "v1"}


def test_rollback_gives_back_the_last_good_revision(tmp_path: Path) -> None:
    """With on-failure: rollback the failed cluster gets v1 back; a fixed v3 then completes."""
    fleet = Fleet(tmp_path)
    fleet.write("v1", on_failure="rollback")
    fleet.run(lambda s: s.phase == rolloutstate.SUCCEEDED)
    good = fleet.state().revision
    fleet.write("v2", on_failure="rollback")
    fleet.bad["v2"] = {"c1"}
    fleet.step()
    state = fleet.step()
    assert state.phase == rolloutstate.ROLLING_BACK
    assert state.failed_revision == state.revision and state.target == good
    assert fleet.images() == {"c1": "v1", "c2": "v1", "c3": "v1", "c4": "v1"}
    state = fleet.run(lambda s: s.phase == rolloutstate.ROLLED_BACK)
    assert fleet.state().stable.revision == good  # type: ignore[union-attr]
    fleet.write("v3", on_failure="rollback")
    fleet.run(lambda s: s.phase == rolloutstate.SUCCEEDED)
    assert set(fleet.images().values()) == {"v3"}


def test_pause_holds_the_rollout(tmp_path: Path) -> None:
    """gitops-ocm.io/rollout: paused gives nobody anything new until it is lifted."""
    fleet = Fleet(tmp_path)
    fleet.write("v1")
    fleet.step()
    fleet.write("v1", rollout="paused")
    for _ in range(3):
        assert fleet.step().phase == rolloutstate.PAUSED
    assert fleet.images() == {"c1": "v1", "c2": None, "c3": None, "c4": None}
    fleet.write("v1")
    fleet.run(lambda s: s.phase == rolloutstate.SUCCEEDED)


def test_render_without_status_is_the_end_state(tmp_path: Path) -> None:
    """Without a status tree (plan, validate) every cluster gets the template, no state file."""
    fleet = Fleet(tmp_path)
    fleet.write("v1")
    snap = source.load_directory(tmp_path)
    files = hub.render(snap, inventory.build(snap, {}, T0, {}), {}, T0).files
    assert not [p for p in files if p.startswith("rollouts/")]
    assert len([p for p in files if "/manifestworks/" in p]) == len(CLUSTERS)


def test_soak_waits_for_min_success_time(tmp_path: Path) -> None:
    """minSuccessTime 10m: the next cluster starts only once the last one soaked, by time alone."""
    fleet = Fleet(tmp_path)
    soak = {"type": "Progressive", "progressive": {"maxConcurrency": 1, "minSuccessTime": "10m"}}
    fleet.write("v1", soak)
    fleet.step()
    state = fleet.step()  # c1 reported success a minute ago: soaking
    assert fleet.images()["c2"] is None
    assert state.placements[0].recheck_at is not None
    due = timefmt.parse(state.placements[0].recheck_at)
    assert due is not None and due > fleet.now
    fleet.step(minutes=(due - fleet.now).total_seconds() / 60)
    assert fleet.images()["c2"] == "v1"


def test_deadline_times_out_a_silent_cluster(tmp_path: Path) -> None:
    """A cluster that never reports times out after progressDeadline and counts as a failure."""
    fleet = Fleet(tmp_path)
    strategy = {
        "type": "Progressive",
        "progressive": {"maxConcurrency": 1, "progressDeadline": "5m"},
    }
    fleet.write("v1", strategy)
    fleet.run(lambda s: s.phase == rolloutstate.SUCCEEDED)
    fleet.write("v2", strategy)
    fleet.silent = {"c1"}
    fleet.step()
    assert fleet.step(minutes=4).phase == rolloutstate.PROGRESSING
    state = fleet.step(minutes=2)
    assert state.phase == rolloutstate.HALTED
    assert state.placements[0].timed_out_clusters == ("c1",)
    assert fleet.images() == {"c1": "v2", "c2": "v1", "c3": "v1", "c4": "v1"}


def test_unknown_annotation_value_is_refused(tmp_path: Path) -> None:
    """validate refuses a rollout annotation it does not know (M338, with file and line)."""
    from gitops_ocm import validation
    from gitops_ocm.validation import rules

    fleet = Fleet(tmp_path)
    fleet.write("v1", on_failure="undo")
    found = validation.validate(source.load_directory(tmp_path))
    codes = [(p.code, p.file, p.pointer) for p in found if p.code == "M338"]
    assert codes == [("M338", "apps/web.yaml", "/metadata/annotations/gitops-ocm.io~1on-failure")]
    assert [p.line for p in found if p.code == "M338"] != [0]
    assert rules.ROLLOUT_ANNOTATIONS == {
        rolloutstate.ON_FAILURE: rolloutstate.ON_FAILURE_VALUES,
        rolloutstate.ROLLOUT: rolloutstate.ROLLOUT_VALUES,
    }


def test_hostile_reports_read_as_not_reported(tmp_path: Path) -> None:
    """Reports of odd shapes (lists for types, strings for generations) never stop a pass."""
    fleet = Fleet(tmp_path)
    fleet.write("v1")
    fleet.step()
    name = next(p for p in fleet.hub if p.startswith("clusters/c1/manifestworks/"))
    blob = yamlfile.blob_id(fleet.hub[name])
    conditions = [
        {"type": ["Applied"]},
        "x",
        {"type": "Applied", "status": 1, "observedGeneration": [1], "lastTransitionTime": 5},
        {"type": "Available", "status": "True", "observedGeneration": True},
    ]
    meta = {"annotations": {"gitops-ocm.io/prescription": blob}, "generation": "one"}
    hostile = [
        yaml.safe_dump({"metadata": meta, "status": {"conditions": conditions}}).encode(),
        b"[1, 2]",
        b"text",
        b"{status: {conditions: {a: 1}}}",
        b"a: &a [*a]",
        b"\xff\xfe",
    ]
    snap = source.load_directory(tmp_path)
    for data in hostile:
        status = fleet.reports()
        status[name] = data
        infos = inventory.build(snap, status, fleet.now, {})
        tree = hub.render(snap, infos, fleet.hub, fleet.now, status=status)
        body = yaml.safe_load(tree.files["rollouts/apps/web.yaml"])
        assert body["status"]["phase"] == rolloutstate.PROGRESSING
        assert not [p for p in tree.files if p.startswith("clusters/c2/manifestworks/")]


def test_going_back_to_an_earlier_template_is_a_new_rollout(tmp_path: Path) -> None:
    """Main returning to v1 after v2 halted: a new rollout, whose clock starts now, not then."""
    knobs = {"maxConcurrency": 1, "progressDeadline": "5m"}
    strategy = {"type": "Progressive", "progressive": knobs}
    fleet = Fleet(tmp_path)
    fleet.write("v1", strategy)
    fleet.run(lambda s: s.phase == rolloutstate.SUCCEEDED)
    fleet.write("v2", strategy)
    fleet.bad["v2"] = {"c1"}
    fleet.run(lambda s: s.phase == rolloutstate.HALTED)
    fleet.silent = set(CLUSTERS)  # no report arrives for a while
    fleet.write("v1", strategy)
    state = fleet.step(minutes=30)
    assert state.phase == rolloutstate.PROGRESSING  # not timed out by the v2 rollout's start
    assert state.placements[0].timed_out == 0
