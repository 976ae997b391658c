"""The agent's channel: its own ref ``refs/ocm/hub/<cluster>``, or ``ocm/hub`` without one.

Over a file:// mirror (fetch with explicit refspecs, pruned). Without its ref
the agent reads ``ocm/hub`` and says so once in its log; moving to its ref (a
controller upgraded) and back does not trip the descent check, which is kept
per ref: a ref rewound to an older signed commit is still refused.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pygit2
import pytest
from kubekit import AUTHOR, Hub, agent, configmap, namespace, new_hub, work

from gitops_ocm.agent import results
from gitops_ocm.gitstore import clusterrefs, reader, refs, writer
from gitops_ocm.localkube import memory

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)


def test_without_its_ref_the_agent_reads_ocm_hub_and_says_so_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hub of a controller without per-cluster refs is read through ocm/hub, logged once."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="1")])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    for _ in range(2):
        done = one.run_once(NOW)
        assert done.hub_commit is not None
    assert kube.get("v1", "ConfigMap", "a", "demo") is not None
    said = capsys.readouterr().err
    assert said.count("refs/ocm/hub/c1 is absent") == 1
    assert "reading refs/heads/ocm/hub" in said


def _cut(hub: Hub, hub_commit: str, cluster: str = "c1") -> str:
    """Cut ``cluster``'s commit from ``hub_commit`` on its ref, as the controller does."""
    repo = hub.repo
    ref = clusterrefs.ref_of(cluster)
    folder = reader.subtree_id(repo, hub_commit, f"clusters/{cluster}")
    assert folder is not None
    content = clusterrefs.Content(folder, reader.blob_at(repo, hub_commit, "allowed_signers"))
    tree = clusterrefs.write_tree(repo, cluster, content)
    trailers = {"Source-Commit": "a" * 40, clusterrefs.HUB_TRAILER: hub_commit}
    tip = refs.read_tip(repo, ref)
    return writer.commit_tree(repo, tip, tree, f"hub {cluster}", trailers, author=AUTHOR).commit


def test_the_agent_moves_to_its_own_ref_and_back_without_a_refusal(tmp_path: Path) -> None:
    """ocm/hub, then the cluster's ref (an upgraded controller), then ocm/hub: each one applies."""
    hub = new_hub(tmp_path)
    first = hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="1")])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    assert one.run_once(NOW).hub_commit == first
    second = hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="2")])}})
    own = _cut(hub, second)
    done = one.run_once(NOW)
    assert not [f for f in done.failures if isinstance(f, results.HubRefused)]
    assert done.hub_commit == second  # the Hub-Commit trailer, not the ref's own commit
    assert kube.get("v1", "ConfigMap", "a", "demo")["data"] == {"x": "2"}
    saved = json.loads((tmp_path / "state-c1" / "prescriptions.json").read_text())
    assert saved["ref"] == "refs/ocm/hub/c1" and saved["commit"] == own
    third = hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="3")])}})
    pygit2.Repository(str(hub.path)).references.delete(clusterrefs.ref_of("c1"))
    back = one.run_once(NOW)
    assert not [f for f in back.failures if isinstance(f, results.HubRefused)]
    assert back.hub_commit == third
    assert kube.get("v1", "ConfigMap", "a", "demo")["data"] == {"x": "3"}


def test_a_rewound_own_ref_is_refused(tmp_path: Path) -> None:
    """The cluster's ref moved back to an older signed commit of its own is refused (T633)."""
    hub = new_hub(tmp_path)
    first = hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="1")])}})
    old = _cut(hub, first)
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(NOW)
    second = hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a", x="2")])}})
    _cut(hub, second)
    one.run_once(NOW)
    pygit2.Repository(str(hub.path)).references[clusterrefs.ref_of("c1")].set_target(old)
    done = one.run_once(NOW)
    assert [f.code for f in done.failures if isinstance(f, results.HubRefused)] == ["T633"]
    assert kube.get("v1", "ConfigMap", "a", "demo")["data"] == {"x": "2"}
