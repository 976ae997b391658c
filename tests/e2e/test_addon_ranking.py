"""AddOnPlacementScores end to end: a score on a cluster -> report -> ocm/status -> decisions.

Two agents on their own local API servers report the AddOnPlacementScore objects
they find; the controller folds the reports into ``ocm/status``, and its next
pass ranks a placement with an AddOn prioritizer by those scores. An expired
score counts as 0.
"""

from __future__ import annotations

import contextlib
import datetime
import subprocess
import sys
from pathlib import Path
from typing import Any

import pygit2
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "governance"))

import keykit
from govkit import localkube

from gitops_ocm.agent import reconciler
from gitops_ocm.gitstore import remote
from gitops_ocm.hub import controller
from gitops_ocm.kube import client

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SET = "cluster.open-cluster-management.io"
CLUSTERS = ("c1", "c2")


def fleet() -> str:
    """Two clusters and a placement of one ranked only by the ``gpu/free`` add-on score."""
    docs = [
        {"apiVersion": f"{SET}/v1", "kind": "ManagedCluster", "metadata": {"name": c},
         "spec": {"hubAcceptsClient": True}}
        for c in CLUSTERS
    ] + [
        {"apiVersion": f"{SET}/v1beta2", "kind": "ManagedClusterSetBinding",
         "metadata": {"name": "global", "namespace": "apps"}, "spec": {"clusterSet": "global"}},
        {"apiVersion": f"{SET}/v1beta1", "kind": "Placement",
         "metadata": {"name": "gpu", "namespace": "apps"},
         "spec": {"numberOfClusters": 1, "prioritizerPolicy": {"mode": "Exact", "configurations": [
             {"scoreCoordinate": {"type": "AddOn",
                                  "addOn": {"resourceName": "gpu", "scoreName": "free"}},
              "weight": 1}]}}},
    ]  # fmt: skip
    return yaml.safe_dump_all(docs)


def show(repo: Path, rev: str, path: str) -> Any:
    """Parse a file of a branch."""
    out = subprocess.run(["git", "--git-dir", str(repo), "show", f"{rev}:{path}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return yaml.safe_load(out)


def chosen(repo: Path) -> list[str]:
    """The clusters of the placement's published PlacementDecision."""
    page = show(repo, "ocm/hub", "placements/apps/gpu/gpu-decision-1.yaml")
    return [d["clusterName"] for d in page["status"]["decisions"]]


def put_score(cluster: client.KubernetesCluster, free: int, valid_until: str) -> None:
    """Create or update the ``gpu`` AddOnPlacementScore on a cluster (an add-on's job)."""
    if cluster.get("v1", "Namespace", "addons") is None:
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "addons"}})
    body = {"apiVersion": f"{SET}/v1alpha1", "kind": "AddOnPlacementScore",
            "metadata": {"name": "gpu", "namespace": "addons"}}  # fmt: skip
    live = cluster.get(f"{SET}/v1alpha1", "AddOnPlacementScore", "gpu", "addons")
    live = live if live is not None else cluster.create(body)
    status = {"scores": [{"name": "free", "value": free}], "validUntil": valid_until}
    cluster.update_status({**live, "status": status})


def test_addon_scores_rank_the_placement_through_ocm_status(tmp_path: Path) -> None:
    """The higher reported score wins the placement; once it expires it counts as 0."""
    repo_path = tmp_path / "fleet.git"
    repo = pygit2.init_repository(str(repo_path), bare=True, initial_head="main")
    builder = repo.TreeBuilder()
    builder.insert("fleet.yaml", repo.create_blob(fleet().encode()), pygit2.enums.FileMode.BLOB)
    config = repo.create_blob(b"registration: open\n")  # the agents here have no keys
    builder.insert(".gitops-ocm.yaml", config, pygit2.enums.FileMode.BLOB)
    sig = pygit2.Signature("t", "t@example.com", 1_700_000_000, 0)
    repo.create_commit("refs/heads/main", sig, sig, "fleet", builder.write(), [])
    clock = [NOW]
    ctl = controller.Controller(
        remote.open_store(str(repo_path)), clock=lambda: clock[0], signer=keykit.signer()
    )
    assert ctl.reconcile().valid
    with contextlib.ExitStack() as stack:
        kubes = {}
        agents = {}
        for name in CLUSTERS:
            (tmp_path / name).mkdir()
            _store, kubes[name] = stack.enter_context(localkube(tmp_path / name))
            settings = reconciler.Settings(
                repo=f"file://{repo_path}", cluster=name, state_dir=tmp_path / name / "state"
            )
            agents[name] = reconciler.Agent(settings, kubes[name])

        def step(seconds: int) -> None:
            clock[0] = NOW + datetime.timedelta(seconds=seconds)
            for one in agents.values():
                assert not one.run_once(clock[0]).held
            ctl.reconcile()  # folds the reports into ocm/status at the end of the pass
            ctl.reconcile()  # schedules against them

        step(0)
        assert chosen(repo_path) == ["c1"]  # no scores: a tie, broken by name
        put_score(kubes["c1"], 20, "2026-11-21T13:00:00Z")
        put_score(kubes["c2"], 80, "2026-11-21T12:00:30Z")
        step(10)
        folded = show(repo_path, "ocm/status", "clusters/c2/addonplacementscores/gpu.yaml")
        assert folded["status"]["scores"] == [{"name": "free", "value": 80}]
        assert chosen(repo_path) == ["c2"]
        step(45)  # nothing reported changed, but c2's score expired: 0 against c1's 20
        assert chosen(repo_path) == ["c1"]
