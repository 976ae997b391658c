"""The demo as a user runs it, and `gitops-ocm status` on the fleet it leaves behind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gitops_ocm.cli.main import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Run the demo once; return its bare repository and what it printed."""
    root = tmp_path_factory.mktemp("demo") / "run"
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["demo", "--dir", str(root)])
    assert code == 0, out.getvalue()
    return root / "fleet.git", out.getvalue()


def test_demo_converges_and_lands_a_change(demo_repo: tuple[Path, str]) -> None:
    """The demo converges, pushes a change that reaches every cluster, and says where to look."""
    repo, printed = demo_repo
    assert "[5/5] change applied everywhere" in printed
    assert "kubectl --kubeconfig" in printed and "show ocm/status:README.md" in printed
    readme = subprocess.run(
        ["git", "--git-dir", str(repo), "show", "ocm/status:README.md"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "## Problems" in readme and "## Clusters" in readme
    assert "[eu-prod-1](clusters/eu-prod-1/cluster.yaml) | `AVAILABLE`" in readme


def test_demo_stops_everything(demo_repo: tuple[Path, str]) -> None:
    """No controller, agent or API server of the demo is left running."""
    repo, _ = demo_repo
    running = subprocess.run(["pgrep", "-af", str(repo.parent)], capture_output=True, text=True)
    assert running.stdout.strip() == ""


def test_status_table(demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    """`status` lists every reported cluster with availability, works and policies."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("source ")
    assert "eu-prod-1  True" in out and "us-dev-1" in out


def test_status_cluster_detail_json(
    demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --cluster` shows conditions, claims and the works of one cluster."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo), "--cluster", "us-dev-1", "-o", "json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["works"]["sandbox"]["Applied"] == "True"
    assert "kubeversion.open-cluster-management.io" in detail["clusterClaims"]


def test_status_work_across_clusters(
    demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --work` follows one ManifestWorkReplicaSet's works across clusters."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo), "--work", "guestbook", "-o", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["CLUSTER"] for r in rows} == {"eu-prod-1", "us-prod-1", "us-dev-1"}
    assert all(r["Available"] == "True" for r in rows)


def test_status_placement_and_policy(
    demo_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --placement` and `--policy` show the folded rollups."""
    repo, _ = demo_repo
    assert main(["status", "--repo", str(repo), "--placement", "platform/nonprod-all"]) == 0
    assert "us-dev-1" in capsys.readouterr().out
    assert main(["status", "--repo", str(repo), "--policy",
                 "policies/policy-baseline-namespaces", "-o", "json"]) == 0  # fmt: skip
    status = json.loads(capsys.readouterr().out)["status"]
    assert {s["clustername"] for s in status["status"]} >= {"eu-prod-1", "us-prod-1", "us-dev-1"}


@pytest.mark.parametrize(
    "argv",
    [["status", "--placement", "no-slash"], ["status", "--policy", "/x"]],
    ids=["placement", "policy"],
)
def test_status_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed NAMESPACE/NAME is a usage error (exit 2)."""
    assert main(argv) == 2
    assert "NAMESPACE/NAME" in capsys.readouterr().err
