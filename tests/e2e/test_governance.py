"""Governance end to end: main -> controller -> agent on a local API server -> ocm/status.

An enforce policy creates a missing object on the cluster, an inform policy
reports NonCompliant without changing anything, and both show in ocm/status:
the cluster's replicated policy reports, the root policy rollups and README.
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pygit2
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "governance"))

import keykit
from govkit import localkube

from gitops_ocm.agent import reconciler
from gitops_ocm.gitstore import remote
from gitops_ocm.hub import controller

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SET = "cluster.open-cluster-management.io"
POLICY = "policy.open-cluster-management.io"


def policy(name: str, action: str, compliance: str, obj: dict[str, object]) -> dict[str, object]:
    """A Policy with one ConfigurationPolicy template."""
    return {
        "apiVersion": f"{POLICY}/v1", "kind": "Policy",
        "metadata": {"name": name, "namespace": "gov"},
        "spec": {"disabled": False, "remediationAction": action, "policy-templates": [
            {"objectDefinition": {
                "apiVersion": f"{POLICY}/v1", "kind": "ConfigurationPolicy",
                "metadata": {"name": f"{name}-check"},
                "spec": {"remediationAction": "inform", "severity": "high",
                         "object-templates": [{"complianceType": compliance,
                                               "objectDefinition": obj}]}}}]},
    }  # fmt: skip


def fleet() -> str:
    """One cluster, a placement for it, and two policies bound to it."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    default_ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
    docs = [
        {"apiVersion": f"{SET}/v1", "kind": "ManagedCluster", "metadata": {"name": "c1"},
         "spec": {"hubAcceptsClient": True}},
        {"apiVersion": f"{SET}/v1beta2", "kind": "ManagedClusterSetBinding",
         "metadata": {"name": "global", "namespace": "gov"}, "spec": {"clusterSet": "global"}},
        {"apiVersion": f"{SET}/v1beta1", "kind": "Placement",
         "metadata": {"name": "everywhere", "namespace": "gov"},
         "spec": {"tolerations": [{"key": f"{SET}/unreachable", "operator": "Exists"}]}},
        policy("ns-team-a", "enforce", "musthave", namespace),
        policy("no-default-ns", "inform", "mustnothave", default_ns),
        {"apiVersion": f"{POLICY}/v1", "kind": "PlacementBinding",
         "metadata": {"name": "bind", "namespace": "gov"},
         "placementRef": {"apiGroup": SET, "kind": "Placement", "name": "everywhere"},
         "subjects": [{"apiGroup": POLICY, "kind": "Policy", "name": "ns-team-a"},
                      {"apiGroup": POLICY, "kind": "Policy", "name": "no-default-ns"}]},
        {"apiVersion": f"{POLICY}/v1beta1", "kind": "PolicySet",
         "metadata": {"name": "baseline", "namespace": "gov"},
         "spec": {"policies": ["ns-team-a", "no-default-ns"]}},
    ]  # fmt: skip
    return yaml.safe_dump_all(docs)


def show(repo: Path, path: str) -> dict[str, object]:
    """Parse a file of ocm/status."""
    out = subprocess.run(["git", "--git-dir", str(repo), "show", f"ocm/status:{path}"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    return yaml.safe_load(out)


def test_enforce_and_inform_reach_the_cluster_and_ocm_status(tmp_path: Path) -> None:
    """Enforce creates the Namespace, inform only reports, and ocm/status rolls both up."""
    repo_path = tmp_path / "fleet.git"
    repo = pygit2.init_repository(str(repo_path), bare=True, initial_head="main")
    blob = repo.create_blob(fleet().encode())
    builder = repo.TreeBuilder()
    builder.insert("fleet.yaml", blob, pygit2.enums.FileMode.BLOB)
    config = repo.create_blob(b"registration: open\n")  # the agents here have no keys
    builder.insert(".gitops-ocm.yaml", config, pygit2.enums.FileMode.BLOB)
    sig = pygit2.Signature("t", "t@example.com", 1_700_000_000, 0)
    repo.create_commit("refs/heads/main", sig, sig, "fleet", builder.write(), [])
    ctl = controller.Controller(
        remote.open_store(str(repo_path)), clock=lambda: NOW, signer=keykit.signer()
    )
    assert ctl.reconcile().valid
    with localkube(tmp_path) as (_store, cluster):
        assert cluster.get("v1", "Namespace", "default") is not None  # as on a real cluster
        settings = reconciler.Settings(
            repo=str(repo_path), cluster="c1", state_dir=tmp_path / "state"
        )
        reconciler.Agent(settings, cluster).run_once(NOW)
        assert cluster.get("v1", "Namespace", "team-a") is not None
        assert cluster.get("v1", "Namespace", "default") is not None
    ctl.reconcile()
    enforce = show(repo_path, "clusters/c1/policies/gov.ns-team-a.yaml")
    inform = show(repo_path, "clusters/c1/policies/gov.no-default-ns.yaml")
    assert enforce["status"]["compliant"] == "Compliant"  # type: ignore[index]
    assert inform["status"]["compliant"] == "NonCompliant"  # type: ignore[index]
    root = show(repo_path, "policies/gov/no-default-ns.yaml")["status"]
    assert root == {
        "compliant": "NonCompliant",
        "status": [  # type: ignore[comparison-overlap]
            {"clustername": "c1", "clusternamespace": "c1", "compliant": "NonCompliant"}
        ],
    }
    policyset = show(repo_path, "policysets/gov/baseline.yaml")["status"]
    assert policyset["compliant"] == "NonCompliant"  # type: ignore[index]
    readme = subprocess.run(["git", "--git-dir", str(repo_path), "show", "ocm/status:README.md"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "## Compliance" in readme and "gov/no-default-ns" in readme
