"""End to end over git daemon: each agent fetches only ``refs/ocm/hub/<its cluster>``.

A controller and three agents (in-memory clusters) share one bare repository
served by ``git daemon``, with the pre-receive guard installed. Each agent's
mirror ends up holding its own prescriptions ref and its report branch only;
a push by c1's agent to c2's ref is refused by the guard (T644, T645); a ref
forged on the server (where no guard runs) is refused by the agent and
written again by the controller, after which the agent applies again. An
agent whose repository has no ref of its own reads ``ocm/hub``, and says so
in its log once.
"""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

import keykit
import pygit2
import pytest

from gitops_ocm.agent import reconciler, results
from gitops_ocm.cli import main
from gitops_ocm.gitstore import clusterrefs, reader, remote, repository, servers, writer
from gitops_ocm.hub import controller
from gitops_ocm.localkube import memory
from gitops_ocm.model import yamlout

pytestmark = pytest.mark.slow

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
CLUSTERS = ("c1", "c2", "c3")
SET = "cluster.open-cluster-management.io"
EVIL = b"""apiVersion: work.open-cluster-management.io/v1
kind: ManifestWork
metadata: {name: evil, namespace: c1}
spec:
  workload:
    manifests:
    - apiVersion: v1
      kind: ConfigMap
      metadata: {name: evil, namespace: default}
"""


def _fleet(cluster: str) -> str:
    return (
        f"apiVersion: {SET}/v1\nkind: ManagedCluster\nmetadata:\n  name: {cluster}\n"
        "spec:\n  hubAcceptsClient: true\n---\n"
        "apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\n"
        f"metadata: {{name: hello, namespace: {cluster}}}\nspec:\n  workload:\n    manifests:\n"
        "    - apiVersion: v1\n      kind: ConfigMap\n"
        "      metadata: {name: hello, namespace: default}\n      data: {v: '1'}\n"
    )


def _git(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert not check or done.returncode == 0, done.stderr
    return done


def _seed(tmp_path: Path, bare: Path) -> None:
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / ".gitops-ocm.yaml").write_text("registration: open\n")
    for c in CLUSTERS:
        (seed / f"{c}.yaml").write_text(_fleet(c))
    _git("init", "-q", "-b", "main", cwd=seed)
    _git("add", "-A", cwd=seed)
    _git("commit", "-q", "-m", "fleet", cwd=seed)
    _git("push", "-q", str(bare), "main", cwd=seed)


def _mirror_refs(state: Path) -> set[str]:
    (mirror,) = (state / "mirror").glob("*.git")
    return set(pygit2.Repository(str(mirror)).references)


def _hello(kube: memory.MemoryCluster, name: str = "hello") -> object:
    return kube.get("v1", "ConfigMap", name, "default")


def test_each_agent_fetches_only_its_own_ref(tmp_path: Path) -> None:
    """Agents apply from their own refs; other refs never reach them; forgeries are refused."""
    root = tmp_path / "srv"
    bare = root / "fleet.git"
    pygit2.init_repository(str(bare), bare=True, initial_head="main")
    assert main.main(["hook", "install", "--repo", str(bare)]) == 0
    _seed(tmp_path, bare)
    with servers.git_daemon(root) as base:
        url = f"{base}/fleet.git"
        ctl = controller.Controller(
            remote.open_store(url, tmp_path / "hub-cache"), clock=lambda: NOW,
            signer=keykit.signer(),
        )  # fmt: skip
        kube = {c: memory.MemoryCluster() for c in CLUSTERS}
        agents = {
            c: reconciler.Agent(
                reconciler.Settings(repo=url, cluster=c, state_dir=tmp_path / "state" / c),
                kube[c],
            )
            for c in CLUSTERS
        }
        ctl.reconcile()
        served = clusterrefs.targets(repository.open(bare))
        assert set(served) == set(CLUSTERS)
        for c, agent in agents.items():
            done = agent.run_once(NOW)
            assert done.hub_commit == str(pygit2.Repository(str(bare)).references[
                "refs/heads/ocm/hub"].target)  # fmt: skip
            assert _hello(kube[c]) is not None
            assert _mirror_refs(tmp_path / "state" / c) == {
                f"refs/ocm/hub/{c}",
                f"refs/heads/ocm/reports/{c}",
                f"refs/remotes/origin/ocm/reports/{c}",
            }

        # c1's credentials and key cannot move, rewind or delete c2's ref.
        attacker = tmp_path / "attacker.git"
        _git("clone", "-q", "--mirror", url, str(attacker))
        _git("--git-dir", str(attacker), "fetch", "-q", url, "+refs/ocm/hub/*:refs/ocm/hub/*")
        c1_key = writer.Author(name="c1", signer=keykit.signer(keykit.seed("c1")))
        raw = repository.open(attacker)
        tip = writer.refs.read_tip(raw, "refs/ocm/hub/c2")
        tree = reader.tree_id(raw, served["c1"])  # c1's own prescriptions, for c2
        forged = writer.commit_tree(raw, tip, tree, "mine now", author=c1_key, also=None).commit
        pushed = _git("--git-dir", str(attacker), "push", url, f"{forged}:refs/ocm/hub/c2",
                      check=False)  # fmt: skip
        assert pushed.returncode != 0 and "refs/ocm/hub/c2: T644" in pushed.stderr
        deleted = _git("--git-dir", str(attacker), "push", url, ":refs/ocm/hub/c2", check=False)
        assert deleted.returncode != 0 and "refs/ocm/hub/c2: T645 deleting" in deleted.stderr
        assert clusterrefs.targets(repository.open(bare))["c2"] == served["c2"]

        # Forged on the server itself (no guard): refused by the agent, then written again.
        repo = repository.open(bare)
        mallory = writer.Author(name="mallory", signer=keykit.signer(keykit.OTHER_SEED))
        evil_tree = writer.publish_tree(
            repo, "scratch", {"clusters/c1/manifestworks/evil.yaml": EVIL}, "x", author=mallory
        ).tree
        own = writer.refs.read_tip(repo, "refs/ocm/hub/c1")
        bad = writer.commit_tree(repo, own, evil_tree, "forged", author=mallory).commit
        refused = agents["c1"].run_once(NOW)
        assert any(isinstance(f, results.HubRefused) and f.commit == bad for f in refused.failures)
        assert _hello(kube["c1"], "evil") is None and _hello(kube["c1"]) is not None
        ctl.reconcile()
        restored = clusterrefs.targets(repository.open(bare))["c1"]
        assert restored != bad and reader.descends_from(repository.open(bare), restored, bad)
        again = agents["c1"].run_once(NOW)
        assert not [f for f in again.failures if isinstance(f, results.HubRefused)]
        assert _hello(kube["c1"], "evil") is None and _hello(kube["c1"]) is not None


def _refs(bare: Path, prefix: str) -> set[str]:
    return {r for r in pygit2.Repository(str(bare)).references if r.startswith(prefix)}


def test_reports_pushed_to_a_second_repository_are_folded(tmp_path: Path) -> None:
    """Agents report to the reports repository; ocm/status of the fleet repository folds them."""
    root = tmp_path / "srv"
    fleet, reports = root / "fleet.git", root / "reports.git"
    for bare in (fleet, reports):
        pygit2.init_repository(str(bare), bare=True, initial_head="main")
    _seed(tmp_path, fleet)
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
