"""In an ordinary clone ``status`` and ``explain`` read origin/ocm/status, as ``plan`` does."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from repokit import commit_files
from test_plan_inventory import commit_branch

from gitops_ocm.cli.main import main

FLEET = """\
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata: {name: default, namespace: apps}
spec: {clusterSet: default}
---
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata: {name: web, namespace: apps}
spec: {numberOfClusters: 2}
"""
CLUSTER = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {{name: {name}}}
spec: {{hubAcceptsClient: true}}
"""
REPORT = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {{name: {name}}}
status:
  conditions:
  - type: ManagedClusterConditionAvailable
    status: "{status}"
    reason: {reason}
    lastTransitionTime: "2024-01-01T00:00:00Z"
"""
WORK = """\
apiVersion: work.open-cluster-management.io/v1alpha1
kind: ManifestWorkReplicaSet
metadata: {name: hello, namespace: apps}
spec:
  placementRefs: [{name: web}]
  manifestWorkTemplate:
    workload:
      manifests:
      - {apiVersion: v1, kind: ConfigMap, metadata: {name: hello, namespace: default}}
"""
SCORE = """\
apiVersion: cluster.open-cluster-management.io/v1alpha1
kind: AddOnPlacementScore
metadata: {name: gpu}
status:
  scores: [{name: free, value: 40}]
  validUntil: "2024-01-01T13:00:00Z"
"""
NOW = "2024-01-01T12:00:00Z"
WHEN = 1_704_100_000  # 2024-01-01T09:06:40Z


@pytest.fixture
def origin(bare_repo: Path) -> Path:
    """A fleet of two clusters whose ocm/status reports a Available and b unavailable."""
    files = {"fleet.yaml": FLEET, **{f"{c}.yaml": CLUSTER.format(name=c) for c in "ab"}}
    commit_files(bare_repo, files, "fleet")
    status = {
        "clusters/a/cluster.yaml": REPORT.format(name="a", status="True", reason="Available"),
        "clusters/b/cluster.yaml": REPORT.format(name="b", status="False", reason="Broken"),
        "clusters/a/addonplacementscores/gpu.yaml": SCORE,
    }
    encoded = {path: text.encode() for path, text in status.items()}
    commit_branch(bare_repo, "ocm/status", encoded, "status", WHEN)
    return bare_repo


def clone(origin: Path, target: Path) -> Path:
    """``git clone``: main checked out, ocm/status only as origin/ocm/status."""
    subprocess.run(["git", "clone", "-q", str(origin), str(target)], check=True)
    return target


def explain(path: Path, *extra: str) -> list[str]:
    """The explain arguments for apps/web at NOW, in JSON."""
    return ["explain", "placement", "apps/web", str(path), "--now", NOW, "--output", "json", *extra]


def test_explain_reads_origin_status_in_a_clone(
    origin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --status, explain schedules against origin/ocm/status and says so on stderr."""
    work = clone(origin, tmp_path / "work")
    assert main(explain(work)) == 0
    captured = capsys.readouterr()
    rows = {r["cluster"]: r for r in json.loads(captured.out)["clusters"]}
    assert rows["b"]["dropped_by"] == "TaintToleration"
    assert "unavailable:NoSelect not tolerated" in rows["b"]["reason"]
    assert "dropped_by" not in rows["a"] or not rows["a"]["dropped_by"]
    assert "remotes/origin/ocm/status at" in captured.err
    assert "written 2024-01-01T09:06:40Z (2h53m before now)" in captured.err


def test_explain_uses_the_same_inventory_as_plan(
    origin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain selects the clusters a plan puts a new work of that placement on."""
    work = clone(origin, tmp_path / "work")
    assert main(explain(work)) == 0
    explained = json.loads(capsys.readouterr().out)["selected"]
    (work / "work.yaml").write_text(WORK)
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "work.yaml"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "work"], check=True)
    args = ["plan", str(work), "--base", "HEAD~1", "--head", "HEAD", "--now", NOW, "-o", "json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"]["source"] == "remotes/origin/ocm/status"
    [added] = out["changes"]
    assert added["action"] == "added"
    assert added["clusters"] == explained == ["a"]


def test_explain_without_a_status_branch_assumes_clusters_available(
    bare_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As plan, explain in a repository without ocm/status assumes every cluster available."""
    files = {"fleet.yaml": FLEET, **{f"{c}.yaml": CLUSTER.format(name=c) for c in "ab"}}
    commit_files(bare_repo, files, "fleet")
    work = clone(bare_repo, tmp_path / "work")
    assert main(explain(work)) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["selected"] == ["a", "b"]
    assert "no ocm/status branch: every accepted cluster assumed available" in captured.err


def test_status_reads_origin_status_in_a_clone(
    origin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """gitops-ocm status in a clone shows origin/ocm/status's clusters."""
    work = clone(origin, tmp_path / "work")
    assert main(["status", "--repo", str(work), "-o", "json"]) == 0
    rows = {r["CLUSTER"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["a"]["AVAILABLE"] == "True"
    assert rows["b"]["AVAILABLE"] == "False"


def test_status_cluster_detail_shows_addon_scores(
    origin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """status --cluster lists the AddOnPlacementScores that reached ocm/status."""
    work = clone(origin, tmp_path / "work")
    assert main(["status", "--repo", str(work), "--cluster", "a", "-o", "json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["addOnPlacementScores"] == {
        "gpu": {"scores": {"free": 40}, "validUntil": "2024-01-01T13:00:00Z"}
    }
