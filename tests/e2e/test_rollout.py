"""End to end over git daemon: a staged rollout, halted by a Degraded cluster, rolled back, fixed.

Four agents (in-memory clusters) and the controller share one bare repository
served by ``git daemon``. A ManifestWorkReplicaSet rolls a ConfigMap out with
``Progressive``, ``maxConcurrency: 1``, and a CEL condition rule that makes the
work Degraded when the ConfigMap says ``mode: broken`` (issue 16, point 6):

1. a template change reaches the clusters one at a time, in name order;
2. a broken revision makes its first cluster Degraded and halts the rollout: the
   other three clusters keep the previous revision;
3. with ``gitops-ocm.io/on-failure: rollback`` the degraded cluster gets the
   previous revision back;
4. a fixed template then completes the rollout on every cluster.
"""

from __future__ import annotations

import datetime
import itertools
import subprocess
from collections.abc import Callable
from pathlib import Path

import fleetyaml
import keykit
import pygit2
import pytest
import yaml

from gitops_ocm.agent import reconciler
from gitops_ocm.gitstore import remote, servers
from gitops_ocm.hub import controller
from gitops_ocm.localkube import memory

pytestmark = pytest.mark.slow

NOW = datetime.datetime(2026, 12, 8, 3, 0, tzinfo=datetime.UTC)
CLUSTERS = ("c1", "c2", "c3", "c4")


def _replica_set(version: str, mode: str, rollback: bool) -> str:
    notes = {"gitops-ocm.io/on-failure": "rollback"} if rollback else {}
    config = {"apiVersion": "v1", "kind": "ConfigMap"}
    config |= {"metadata": {"name": "web", "namespace": "default"}}
    config |= {"data": {"version": version, "mode": mode}}
    rule = {"condition": "Degraded", "type": "CEL"}
    rule |= {"celExpressions": ["object.data.mode == 'broken'"]}
    ident = {"group": "", "resource": "configmaps", "name": "web", "namespace": "default"}
    body = {
        "apiVersion": "work.open-cluster-management.io/v1alpha1",
        "kind": "ManifestWorkReplicaSet",
        "metadata": {"name": "web", "namespace": "apps", "annotations": notes},
        "spec": {
            "placementRefs": [
                {
                    "name": "all",
                    "rolloutStrategy": {
                        "type": "Progressive",
                        "progressive": {"maxConcurrency": 1},
                    },
                }
            ],
            "manifestWorkTemplate": {
                "workload": {"manifests": [config]},
                "manifestConfigs": [{"resourceIdentifier": ident, "conditionRules": [rule]}],
            },
        },
    }
    return yaml.safe_dump(body, sort_keys=False)


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


class Loop:
    """The controller, four agents and a checkout of main, over one git daemon URL."""

    def __init__(self, tmp_path: Path, url: str, checkout: Path) -> None:
        self.url, self.checkout, self.bare = url, checkout, tmp_path / "srv" / "fleet.git"
        self.ctl = controller.Controller(
            remote.open_store(url, tmp_path / "hub-cache"),
            clock=lambda: NOW,
            signer=keykit.signer(),
        )
        self.kube = {c: memory.MemoryCluster() for c in CLUSTERS}
        self.agents = [
            reconciler.Agent(
                reconciler.Settings(repo=url, cluster=c, state_dir=tmp_path / "state" / c),
                self.kube[c],
            )
            for c in CLUSTERS
        ]

    def push(self, version: str, mode: str = "ok", rollback: bool = False) -> None:
        """Commit a new template on main and push it through the daemon."""
        (self.checkout / "web.yaml").write_text(_replica_set(version, mode, rollback))
        _git("add", "-A", cwd=self.checkout)
        _git("commit", "-q", "-m", f"web {version} {mode}", cwd=self.checkout)
        _git("push", "-q", "origin", "HEAD:main", cwd=self.checkout)

    def cycle(self) -> None:
        """One round: the controller publishes, every agent applies and reports, the fold."""
        self.ctl.reconcile()
        for agent in self.agents:
            agent.run_once(NOW)
        self.ctl.reconcile()

    def versions(self) -> dict[str, str | None]:
        """The ConfigMap's version on each cluster (None: not there)."""
        out: dict[str, str | None] = {}
        for c in CLUSTERS:
            live = self.kube[c].get("v1", "ConfigMap", "web", "default")
            out[c] = live["data"]["version"] if live else None
        return out

    def phase(self) -> str:
        """The rollout's phase on ocm/hub."""
        data = subprocess.run(
            ["git", "--git-dir", str(self.bare), "show", "ocm/hub:rollouts/apps/web.yaml"],
            check=True,
            capture_output=True,
        ).stdout
        return str(yaml.safe_load(data)["status"]["phase"])

    def until(self, done: Callable[[], bool], limit: int = 12) -> list[dict[str, str | None]]:
        """Run cycles until ``done``; return the versions seen after each cycle."""
        seen = []
        for _ in range(limit):
            self.cycle()
            seen.append(self.versions())
            if done():
                return seen
        raise AssertionError(f"not done after {limit} cycles: {seen}, phase {self.phase()}")


def test_staged_rollout_halts_rolls_back_and_completes(tmp_path: Path) -> None:
    """One cluster at a time; a Degraded revision halts; rollback restores it; a fix completes."""
    root = tmp_path / "srv"
    bare = root / "fleet.git"
    pygit2.init_repository(str(bare), bare=True, initial_head="main")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "fleet.yaml").write_text(fleetyaml.FLEET)
    (checkout / ".gitops-ocm.yaml").write_text("registration: open\n")
    for c in CLUSTERS:
        (checkout / f"{c}.yaml").write_text(fleetyaml.cluster(c))
    _git("init", "-q", "-b", "main", cwd=checkout)
    _git("remote", "add", "origin", str(bare), cwd=checkout)
    with servers.git_daemon(root) as base:
        loop = Loop(tmp_path, f"{base}/fleet.git", checkout)
        loop.push("v1")
        seen = loop.until(lambda: loop.phase() == "Succeeded")
        # 1. one cluster at a time, in name order
        firsts = [next((c for c in CLUSTERS if v[c] == "v1"), None) for v in seen]
        counts = [sum(1 for c in CLUSTERS if v[c] == "v1") for v in seen]
        assert counts == sorted(counts) and counts[-1] == 4
        assert all(b - a <= 1 for a, b in itertools.pairwise(counts))
        assert firsts[0] == "c1"

        # 2. a broken revision degrades its first cluster and halts: the others keep v1
        loop.push("v2", mode="broken")
        loop.until(lambda: loop.phase() == "Halted")
        for _ in range(2):
            loop.cycle()
        assert loop.versions() == {"c1": "v2", "c2": "v1", "c3": "v1", "c4": "v1"}
        assert loop.phase() == "Halted"

        # 3. with the rollback annotation, c1 gets v1 back
        loop.push("v2", mode="broken", rollback=True)
        loop.until(lambda: loop.phase() == "RolledBack")
        assert loop.versions() == {c: "v1" for c in CLUSTERS}

        # 4. a fixed template completes the rollout everywhere
        loop.push("v3", rollback=True)
        seen = loop.until(lambda: loop.phase() == "Succeeded")
        assert loop.versions() == {c: "v3" for c in CLUSTERS}
        counts = [sum(1 for c in CLUSTERS if v[c] == "v3") for v in seen]
        assert all(b - a <= 1 for a, b in itertools.pairwise(counts))
