"""Rollouts on ocm/status: the hub tree's state files in the set's status file and the README."""

from __future__ import annotations

from typing import Any

import pytest
from statuskit import NOW, Fleet, rollout_file, rollout_state

from gitops_ocm.model import yamlout
from gitops_ocm.status import cache, hubindex, incremental, readme, rollouts

WEB = "manifestworkreplicasets/apps/web.yaml"
STATE = "rollouts/apps/web.yaml"


def _status(fleet: Fleet, **kwargs: Any) -> dict[str, Any]:
    return dict(yamlout.load(fleet.fold(**kwargs).files[WEB])["status"])


def _rolled_out(status: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == "PlacementRolledOut")


def test_no_state_file_no_rollout() -> None:
    """A set without a state file has no status.rollout; its conditions are computed as before."""
    status = _status(Fleet())
    assert "rollout" not in status
    assert _rolled_out(status)["reason"] == "Complete"


def test_state_file_gives_status_rollout_without_template() -> None:
    """status.rollout is the state's status without the stable template."""
    fleet = Fleet()
    fleet.hub[STATE] = rollout_file(rollout_state())
    status = _status(fleet)
    assert status["rollout"] == rollout_state().status_dict(with_template=False)
    assert status["rollout"]["stable"] == {"revision": "0a0b0c0d0e0f"}
    assert status["summary"]["total"] == 3  # the summary stays OCM's


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("Succeeded", ("True", "Complete")),
        ("Progressing", ("False", "Progressing")),
        ("Halted", ("False", "Halted")),
        ("RollingBack", ("False", "RollingBack")),
        ("RolledBack", ("False", "RolledBack")),
        ("Paused", ("False", "Paused")),
    ],
    ids=str,
)
def test_placement_rolled_out_follows_the_phase(phase: str, expected: tuple[str, str]) -> None:
    """PlacementRolledOut is True Complete only when Succeeded, else False with the phase."""
    fleet = Fleet()  # every cluster rolled out: without a state it would be True Complete
    fleet.hub[STATE] = rollout_file(rollout_state(phase=phase))
    status = _status(fleet)
    cond = _rolled_out(status)
    assert (cond["status"], cond["reason"]) == expected
    assert cond["message"] == f"{phase} message"
    applied = next(c for c in status["conditions"] if c["type"] == "ManifestworkApplied")
    assert applied["reason"] == "AsExpected"  # computed as today


@pytest.mark.parametrize(
    "content",
    [
        b"{{{ not yaml",
        b"- a list\n",
        b"apiVersion: gitops-ocm.io/v1alpha1\nkind: Other\n",
        rollout_file(rollout_state(name="other")),  # names another set than its path
        rollout_file(rollout_state(phase="Exploded")),
        b"apiVersion: gitops-ocm.io/v1alpha1\nkind: Rollout\nmetadata: 7\nstatus: [1]\n",
        b"a: &a [*a, *a]\n" * 3,
        b"\xff\xfe",
    ],
    ids=["yaml", "list", "kind", "other-set", "phase", "shapes", "alias", "utf8"],
)
def test_hostile_state_file_is_ignored(content: bytes) -> None:
    """A state file that does not parse counts as absent, with no exception."""
    fleet = Fleet()
    fleet.hub[STATE] = content
    status = _status(fleet)
    assert "rollout" not in status
    assert _rolled_out(status)["reason"] == "Complete"
    assert rollouts.read(content, ("apps", "web")) is None


def test_odd_fields_take_defaults() -> None:
    """Fields of the wrong type in an otherwise valid state file read as their defaults."""
    body = rollout_state().to_body()
    body["status"]["placements"] = [{"name": "all", "total": "many", "failedClusters": "x"}, 3]
    found = rollouts.read(yamlout.dump(body), ("apps", "web"))
    assert found is not None and found.placements[0].total == 0
    assert found.placements[0].failed_clusters == ()


def test_read_drops_the_stable_template() -> None:
    """The fold keeps the stable revision, not its template (ocm/status never shows it)."""
    found = rollouts.read(rollout_file(rollout_state()), ("apps", "web"))
    assert found is not None and found.stable is not None
    assert (found.stable.revision, found.stable.template) == ("0a0b0c0d0e0f", {})


def test_set_with_only_a_state_file_is_shown() -> None:
    """A state file of a set without works or declaration still gives its status file."""
    fleet = Fleet()
    fleet.hub["rollouts/apps/lonely.yaml"] = rollout_file(rollout_state(name="lonely"))
    out = fleet.fold()
    status = yamlout.load(out.files["manifestworkreplicasets/apps/lonely.yaml"])["status"]
    assert status["rollout"]["phase"] == "Progressing"


class CountingReader:
    """A hub reader that records which blobs were read."""

    def __init__(self, hub: dict[str, bytes]) -> None:
        self.by_blob = {hubindex.blob_id(d): d for d in hub.values()}
        self.reads: list[str] = []

    def __call__(self, blob: str) -> bytes:
        self.reads.append(blob)
        return self.by_blob[blob]


def _inputs(fleet: Fleet, read: CountingReader, previous: dict[str, bytes]) -> incremental.Inputs:
    works, placed, _ = hubindex.split(fleet.hub, None)
    hub = incremental.Hub(works, placed, read, rollouts.listings(fleet.hub, None))
    return incremental.Inputs(
        fleet.reports, frozenset(fleet.clusters), hub, None, None, {}, previous
    )


def test_incremental_fold_reads_only_changed_state_files() -> None:
    """An unchanged state file is not read again; a changed one rewrites only its set's file."""
    fleet = Fleet()
    fleet.hub[STATE] = rollout_file(rollout_state())
    fleet.hub["rollouts/apps/api.yaml"] = rollout_file(rollout_state(name="api"))
    fleet.hub["rollouts/ops/agent.yaml"] = rollout_file(
        rollout_state(name="agent", namespace="ops")
    )
    folder = incremental.Folder(cache.FoldCache())
    read = CountingReader(fleet.hub)
    first = folder.fold(_inputs(fleet, read, {}), NOW)
    assert {hubindex.blob_id(fleet.hub[p]) for p in (STATE, "rollouts/ops/agent.yaml")} <= set(
        read.reads
    )
    read = CountingReader(fleet.hub)
    again = folder.fold(_inputs(fleet, read, dict(first.files)), NOW)
    assert not [b for b in read.reads if b in {hubindex.blob_id(d) for d in _states(fleet)}]
    assert again.files == first.files

    fleet.hub["rollouts/apps/api.yaml"] = rollout_file(rollout_state(name="api", phase="Halted"))
    read = CountingReader(fleet.hub)
    moved = folder.fold(_inputs(fleet, read, dict(again.files)), NOW)
    state_reads = [b for b in read.reads if b in {hubindex.blob_id(d) for d in _states(fleet)}]
    assert state_reads == [hubindex.blob_id(fleet.hub["rollouts/apps/api.yaml"])]
    changed = {p for p, d in moved.files.items() if again.files.get(p) != d}
    assert changed == {"manifestworkreplicasets/apps/api.yaml", "README.md"}

    del fleet.hub["rollouts/apps/api.yaml"]
    gone = folder.fold(_inputs(fleet, CountingReader(fleet.hub), dict(moved.files)), NOW)
    assert "manifestworkreplicasets/apps/api.yaml" not in gone.files
    fresh = incremental.Folder().fold(_inputs(fleet, CountingReader(fleet.hub), moved.files), NOW)
    assert gone.files == fresh.files


def _states(fleet: Fleet) -> list[bytes]:
    return [d for p, d in fleet.hub.items() if p.startswith("rollouts/")]


def _readme(fleet: Fleet) -> str:
    return fleet.fold().files["README.md"].decode()


def test_readme_lists_rollouts_in_progress_first_urgent_on_top() -> None:
    """The section comes before Problems; Halted and RollingBack rows lead; Succeeded is absent."""
    fleet = Fleet()
    phases = {
        "a": "Progressing",
        "b": "Succeeded",
        "c": "RollingBack",
        "d": "Paused",
        "e": "Halted",
    }
    for name, phase in phases.items():
        fleet.hub[f"rollouts/apps/{name}.yaml"] = rollout_file(
            rollout_state(name=name, phase=phase)
        )
    text = _readme(fleet)
    assert text.index("## Rollouts in progress") < text.index("## Problems")
    assert text.index("# Fleet status") < text.index("## Rollouts in progress")
    rows = [line for line in text.splitlines() if line.startswith("| [apps/")]
    names = [row.split("]")[0].removeprefix("| [apps/") for row in rows[:4]]
    assert names == ["c", "e", "a", "d"]
    assert "apps/b" not in text.split("## Problems")[0]
    assert rows[0] == (
        "| [apps/c](manifestworkreplicasets/apps/c.yaml) | RollingBack | `1a2b3c4d5e6f` | "
        "1 / 3 | 0 | 0 | 2024-05-01T11:00:00Z | WhyRollingBack: RollingBack message |"
    )


def test_readme_without_rollouts_in_progress_has_no_section() -> None:
    """Only Succeeded rollouts (or none): no section."""
    fleet = Fleet()
    assert "Rollouts in progress" not in _readme(fleet)
    fleet.hub[STATE] = rollout_file(rollout_state(phase="Succeeded"))
    assert "Rollouts in progress" not in _readme(fleet)


def test_readme_rollout_row_is_escaped() -> None:
    """Untrusted text of a state file is flattened, escaped and shortened; revisions quoted."""
    fleet = Fleet()
    hostile = rollout_state(
        phase="Halted",
        reason="Bad|Reason",
        message="two\nlines | <script>alert(1)</script> [x](http://evil) " + "y" * 500,
        revision="`rev|",
        target="0a0b0c0d0e0f",
        since="<b>",
    )
    fleet.hub[STATE] = rollout_file(hostile)
    row = next(line for line in _readme(fleet).splitlines() if line.startswith("| [apps/web]"))
    assert "<script>" not in row and "[x](http" not in row
    assert "\\[x\\](http://evil)" in row
    assert "Bad\\|Reason: two lines \\| \\<script\\>" in row
    assert "| `'rev/` (`0a0b0c0d0e0f`) |" in row
    assert "| \\<b\\> |" in row
    assert len(row) < 2 * readme.MAX_MESSAGE + 300
    assert row.count(" | ") == 7  # no extra cells


def test_readme_rollout_rows_are_bounded() -> None:
    """Past MAX_ROLLOUT_ROWS rows the section says how many are shown."""
    fleet = Fleet()
    for i in range(readme.MAX_ROLLOUT_ROWS + 3):
        fleet.hub[f"rollouts/apps/s{i:03d}.yaml"] = rollout_file(rollout_state(name=f"s{i:03d}"))
    section = _readme(fleet).split("## Problems")[0]
    assert section.count("| [apps/s") == readme.MAX_ROLLOUT_ROWS
    shown = f"Showing {readme.MAX_ROLLOUT_ROWS} of {readme.MAX_ROLLOUT_ROWS + 3} rollouts"
    assert shown in section
