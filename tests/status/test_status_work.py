"""`gitops-ocm status --work`: a ManifestWorkReplicaSet's rollout read from ocm/status.

A real bare repository holds ``ocm/hub`` (with rollout state files) and the
report branches; the controller's :class:`StatusFolder` folds them into
``ocm/status``, which the command then reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pygit2
import pytest
from statuskit import (
    NOW,
    applied,
    cluster_yaml,
    hub_work,
    lease_yaml,
    placement,
    rollout_file,
    rollout_state,
    work_report,
)

from gitops_ocm.cli import main as cli
from gitops_ocm.gitstore import remote, writer
from gitops_ocm.hub import folding
from gitops_ocm.model import yamlout
from gitops_ocm.render import works
from gitops_ocm.status import hubindex, rolloutview
from gitops_ocm.work import rolloutstate

CLUSTERS = ("c1", "c2", "c3")
AUTHOR = writer.Author(when=1_700_000_000)


def _commit(repo: pygit2.Repository, ref: str, files: dict[str, bytes]) -> None:
    index = pygit2.Index()
    for path, content in files.items():
        index.add(pygit2.IndexEntry(path, repo.create_blob(content), pygit2.enums.FileMode.BLOB))
    sig = pygit2.Signature("t", "t@example.com", 1_700_000_000, 0)
    parents = [repo.references[ref].target] if ref in repo.references else []
    repo.create_commit(ref, sig, sig, "step", index.write_tree(repo), parents)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """ocm/status folded from a hub with sets apps/web (Halted), apps/plain (All), ops/web."""
    path = tmp_path / "fleet.git"
    repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
    hub = placement("apps", "all", CLUSTERS)
    reports: dict[str, dict[str, bytes]] = {c: {} for c in CLUSTERS}
    for name in ("web", "plain"):
        work = works.mwrs_work_name("apps", name)
        body = hub_work(work, f"apps.{name}", "all")
        for cluster in CLUSTERS:
            hub[f"clusters/{cluster}/manifestworks/{work}.yaml"] = body
            report = work_report(work, hubindex.blob_id(body), applied())
            reports[cluster][f"manifestworks/{work}.yaml"] = report
    halted = rollout_state(
        phase="Halted",
        reason="MaxFailuresExceeded",
        message="1 of 3 clusters failed (maxFailures 0): c2",
        failed_revision="1a2b3c4d5e6f",
        placements=(
            rolloutstate.PlacementState(
                "all", "Progressive", total=3, updated=2, succeeded=1, failed=1,
                failed_clusters=("c2",), recheck_at="2024-05-01T12:05:00Z",
            ),
        ),
        steps=(
            rolloutstate.Step(
                "2024-05-01T10:00:00Z", "Progressing", "1a2b3c4d5e6f", 1, ("c1",), "first"
            ),
            rolloutstate.Step(
                "2024-05-01T11:00:00Z", "Halted", "1a2b3c4d5e6f", 1, ("c2",), "c2 failed"
            ),
        ),
    )  # fmt: skip
    hub[rolloutstate.path("apps", "web")] = rollout_file(halted)
    hub[rolloutstate.path("ops", "web")] = rollout_file(rollout_state(namespace="ops"))
    _commit(repo, "refs/heads/ocm/hub", hub)
    for cluster, files in reports.items():
        files["cluster.yaml"] = cluster_yaml(cluster)
        files["lease.yaml"] = lease_yaml(NOW)
        _commit(repo, f"refs/heads/ocm/reports/{cluster}", files)
    folder = folding.StatusFolder(remote.open_store(str(path)), AUTHOR)
    assert folder.fold(folding.Pass(NOW)) is not None
    return path


def _run(fleet: Path, *args: str) -> int:
    return cli.main(["status", "--repo", str(fleet), *args])


def _json(fleet: Path, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert _run(fleet, *args, "-o", "json") == 0
    return json.loads(capsys.readouterr().out)


def test_status_branch_holds_the_rollout(fleet: Path) -> None:
    """The controller's fold writes the state into the set's status file on ocm/status."""
    repo = pygit2.Repository(str(fleet))
    commit = repo.revparse_single("ocm/status")
    assert isinstance(commit, pygit2.Commit)
    blob = commit.tree / "manifestworkreplicasets" / "apps" / "web.yaml"
    status = yamlout.load(blob.data)["status"]
    assert status["rollout"]["phase"] == "Halted"
    assert "template" not in status["rollout"]["stable"]
    readme = (commit.tree / "README.md").data.decode()
    assert readme.index("## Rollouts in progress") < readme.index("## Problems")


def test_work_json_gives_the_rollout(fleet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--work NS/NAME -o json`: phase, revisions, placements, steps, next recheck, works."""
    found = _json(fleet, capsys, "--work", "apps/web")
    assert found["manifestWorkReplicaSet"] == "apps/web"
    rollout = found["rollout"]
    assert (rollout["phase"], rollout["reason"]) == ("Halted", "MaxFailuresExceeded")
    revisions = {k: rollout[k] for k in ("revision", "target", "stable", "failedRevision")}
    assert revisions == {
        "revision": "1a2b3c4d5e6f",
        "target": "1a2b3c4d5e6f",
        "stable": "0a0b0c0d0e0f",
        "failedRevision": "1a2b3c4d5e6f",
    }
    assert rollout["nextRecheck"] == "2024-05-01T12:05:00Z"
    assert rollout["placements"][0]["failedClusters"] == ["c2"]
    assert [s["message"] for s in rollout["steps"]] == ["first", "c2 failed"]
    assert found["summary"]["total"] == 3
    assert {row["CLUSTER"] for row in found["works"]} == set(CLUSTERS)
    assert {row["WORK"] for row in found["works"]} == {works.mwrs_work_name("apps", "web")}
    assert "strategy" not in found


def test_work_text_shows_steps(fleet: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The text form: phase line, revisions, the placement table, failed clusters, steps."""
    assert _run(fleet, "--work", "apps/web") == 0
    out = capsys.readouterr().out
    assert "rollout: Halted (MaxFailuresExceeded) since 2024-05-01T11:00:00Z" in out
    assert "revision: 1a2b3c4d5e6f  target: 1a2b3c4d5e6f  stable: 0a0b0c0d0e0f" in out
    assert "next recheck: 2024-05-01T12:05:00Z" in out
    assert "all failed: c2" in out
    steps = out.split("steps:\n", 1)[1]
    assert steps.startswith("TIME ")
    assert "2024-05-01T11:00:00Z  Halted" in steps and "c2 failed" in steps
    assert "PlacementRolledOut: False Halted" in out


def test_work_without_rollout_says_all_at_once(
    fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A set without a rollout: it rolls out all at once, with its summary counts."""
    found = _json(fleet, capsys, "--work", "plain")
    assert found["rollout"] is None
    assert found["strategy"] == rolloutview.ALL_AT_ONCE
    assert found["summary"] == {
        "total": 3, "applied": 3, "available": 3, "degraded": 0, "progressing": 0,
    }  # fmt: skip
    assert _run(fleet, "--work", "apps/plain") == 0
    out = capsys.readouterr().out
    assert rolloutview.ALL_AT_ONCE in out
    assert "summary: total 3, applied 3, available 3" in out


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nosuch", "no work or ManifestWorkReplicaSet 'nosuch'"),
        ("apps/nosuch", "no work or ManifestWorkReplicaSet 'apps/nosuch'"),
        ("web", "several namespaces (apps/web, ops/web)"),
    ],
    ids=["unknown", "unknown-namespaced", "ambiguous"],
)
def test_work_naming_nothing_or_two_exits_one(
    fleet: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    """An unknown or ambiguous NAME exits 1 with one clear line."""
    assert _run(fleet, "--work", name) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_rollout_text_is_one_line_per_value() -> None:
    """Control characters and newlines of untrusted values do not reach the terminal."""
    rollout = rollout_state(message="a\nb\x1b[2J").status_dict(with_template=False)
    tree = {"manifestworkreplicasets/apps/x.yaml": yamlout.dump({"status": {"rollout": rollout}})}
    text = rolloutview.describe(rolloutview.detail(tree, "apps", "x", []))
    assert "message: a b [2J" in text and "\x1b" not in text


def test_damaged_rollout_in_the_status_file_is_shown_without_error() -> None:
    """Odd shapes in status.rollout (a hand-edited status branch) print, never raise."""
    odd = {"phase": ["x"], "placements": [{"failedClusters": 5, "total": {}}, 3], "steps": "s"}
    tree = {"manifestworkreplicasets/apps/x.yaml": yamlout.dump({"status": {"rollout": odd}})}
    found = rolloutview.detail(tree, "apps", "x", [])
    assert found["rollout"]["steps"] == [] and len(found["rollout"]["placements"]) == 1
    assert "rollout: ['x']" in rolloutview.describe(found)
