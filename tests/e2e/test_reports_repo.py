"""End to end over git daemon: report branches in a repository of their own (``--reports-repo``).

One ``git daemon`` serves two bare repositories: the fleet (main, ``ocm/hub``,
the per-cluster refs, ``ocm/status``) and the reports. The agents push their
report branches to the second; the controller copies them in and folds them
into ``ocm/status`` of the first, which never holds a report branch.
"""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import keykit
import pygit2
import pytest

from gitops_ocm.agent import reconciler
from gitops_ocm.cli import main
from gitops_ocm.gitstore import reader, remote, repository, servers
from gitops_ocm.hub import controller
from gitops_ocm.localkube import memory
from gitops_ocm.model import yamlout

pytestmark = pytest.mark.slow

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
CLUSTERS = ("c1", "c2")
SET = "cluster.open-cluster-management.io"


def _fleet(cluster: str) -> str:
    return (
        f"apiVersion: {SET}/v1\nkind: ManagedCluster\nmetadata:\n  name: {cluster}\n"
        "spec:\n  hubAcceptsClient: true\n---\n"
        "apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\n"
        f"metadata: {{name: hello, namespace: {cluster}}}\nspec:\n  workload:\n    manifests:\n"
        "    - apiVersion: v1\n      kind: ConfigMap\n"
        "      metadata: {name: hello, namespace: default}\n      data: {v: '1'}\n"
    )


def _git(*args: str, cwd: Path | None = None) -> None:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def _refs(bare: Path, prefix: str) -> set[str]:
    return {r for r in pygit2.Repository(str(bare)).references if r.startswith(prefix)}


def test_reports_pushed_to_a_second_repository_are_folded(tmp_path: Path) -> None:
    """Agents report to the reports repository; ocm/status of the fleet repository folds them."""
    root = tmp_path / "srv"
    fleet, reports = root / "fleet.git", root / "reports.git"
    for bare in (fleet, reports):
        pygit2.init_repository(str(bare), bare=True, initial_head="main")
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / ".gitops-ocm.yaml").write_text("registration: open\n")
    for c in CLUSTERS:
        (seed / f"{c}.yaml").write_text(_fleet(c))
    _git("init", "-q", "-b", "main", cwd=seed)
    _git("add", "-A", cwd=seed)
    _git("commit", "-q", "-m", "fleet", cwd=seed)
    _git("push", "-q", str(fleet), "main", cwd=seed)
    with servers.git_daemon(root) as base:
        url, reports_url = f"{base}/fleet.git", f"{base}/reports.git"
        ctl = controller.Controller(
            remote.open_store(url, tmp_path / "cache"),
            clock=lambda: NOW,
            signer=keykit.signer(),
            reports_store=remote.open_store(reports_url, tmp_path / "cache"),
        )
        kube = {c: memory.MemoryCluster() for c in CLUSTERS}
        agents = [
            reconciler.Agent(
                reconciler.Settings(
                    repo=url,
                    cluster=c,
                    state_dir=tmp_path / "state" / c,
                    reports_repo=reports_url,
                ),
                kube[c],
            )
            for c in CLUSTERS
        ]
        ctl.reconcile()
        for agent in agents:
            done = agent.run_once(NOW)
            assert done.pushed, done.failures
        ctl.reconcile()

    assert _refs(reports, "refs/heads/ocm/reports/") == {
        f"refs/heads/ocm/reports/{c}" for c in CLUSTERS
    }
    assert not _refs(fleet, "refs/heads/ocm/reports/")
    status = reader.read_tree_files(repository.open(fleet), "ocm/status")
    for c in CLUSTERS:
        body = yamlout.load_mapping(status[f"clusters/{c}/cluster.yaml"])
        conditions = {x["type"]: x["status"] for x in body["status"]["conditions"]}
        assert conditions["ManagedClusterConditionAvailable"] == "True"
        assert f"clusters/{c}/manifestworks/hello.yaml" in status
        assert kube[c].get("v1", "ConfigMap", "hello", "default") is not None


def test_the_cli_takes_reports_repo(tmp_path: Path) -> None:
    """``controller --reports-repo`` with a path that is no repository is a clear error (exit 2)."""
    fleet = tmp_path / "fleet.git"
    pygit2.init_repository(str(fleet), bare=True, initial_head="main")
    missing = tmp_path / "nowhere"
    code = main.main(["controller", "--repo", str(fleet), "--once", "--reports-repo", str(missing)])
    assert code == 2
    agent_code = main.main(
        ["agent", "--repo", str(fleet), "--cluster", "c1", "--local", str(tmp_path / "k"),
         "--state", str(tmp_path / "s"), "--once", "--reports-repo", str(missing)]
    )  # fmt: skip
    assert agent_code == 2
