"""End to end: git daemon, the controller and three agents on their own API servers.

A pushed work reaches the clusters and its status reaches ocm/status; removing
it prunes it; an agent that stops turns its cluster Unknown after the lease
grace period (1 s leases here), and a placement that does not tolerate that
moves the work to another cluster. Clusters are read through the official
``kubernetes`` client.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from gitops_ocm.gitstore import servers

pytestmark = pytest.mark.slow

CLUSTERS = ("c1", "c2", "c3")
SET = "cluster.open-cluster-management.io"


def fleet(with_work: bool) -> dict[str, str]:
    """Three clusters with 1 s leases, one set, a placement of two, and (maybe) a work set."""
    docs = [
        {"apiVersion": f"{SET}/v1", "kind": "ManagedCluster",
         "metadata": {"name": c, "labels": {f"{SET}/clusterset": "edge"}},
         "spec": {"hubAcceptsClient": True, "leaseDurationSeconds": 1}}
        for c in CLUSTERS
    ] + [
        {"apiVersion": f"{SET}/v1beta2", "kind": "ManagedClusterSet", "metadata": {"name": "edge"},
         "spec": {"clusterSelector": {"selectorType": "ExclusiveClusterSetLabel"}}},
        {"apiVersion": f"{SET}/v1beta2", "kind": "ManagedClusterSetBinding",
         "metadata": {"name": "edge", "namespace": "apps"}, "spec": {"clusterSet": "edge"}},
        {"apiVersion": f"{SET}/v1beta1", "kind": "Placement",
         "metadata": {"name": "two", "namespace": "apps"}, "spec": {"numberOfClusters": 2}},
    ]  # fmt: skip
    files = {"fleet.yaml": yaml.safe_dump_all(docs), ".gitops-ocm.yaml": "registration: open\n"}
    if with_work:
        work = {
            "apiVersion": "work.open-cluster-management.io/v1alpha1",
            "kind": "ManifestWorkReplicaSet",
            "metadata": {"name": "hello", "namespace": "apps"},
            "spec": {
                "placementRefs": [{"name": "two"}],
                "manifestWorkTemplate": {"workload": {"manifests": [
                    {"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "hello", "namespace": "default"},
                     "data": {"greeting": "hi"}},
                ]}},
            },
        }  # fmt: skip
        files["work.yaml"] = yaml.safe_dump(work)
    return files


def git(cwd: Path, *args: str) -> None:
    """Run git quietly, failing the test on error."""
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, check=True, capture_output=True,
    )  # fmt: skip


def push(checkout: Path, url: str, files: dict[str, str], message: str) -> None:
    """Make the checkout hold exactly ``files`` and push it to main."""
    for old in checkout.glob("*.yaml"):
        old.unlink()
    for name, text in files.items():
        (checkout / name).write_text(text)
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", message)
    git(checkout, "push", "-q", url, "HEAD:main")


def wait(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    """Poll ``check`` until it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def has_configmap(api: client.CoreV1Api) -> bool:
    """Whether the work's ConfigMap exists on a cluster."""
    try:
        api.read_namespaced_config_map("hello", "default")
        return True
    except client.ApiException as exc:
        if exc.status == 404:
            return False
        raise


def status_file(repo: Path, path: str) -> str:
    """Return a file of ocm/status, or "" when absent."""
    done = subprocess.run(["git", "--git-dir", str(repo), "show", f"ocm/status:{path}"],
                          capture_output=True, text=True)  # fmt: skip
    return done.stdout if done.returncode == 0 else ""


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, object]]:
    """Start the server, three API servers, the controller and three agents."""
    root = tmp_path / "srv"
    root.mkdir()
    repo = root / "fleet.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(repo)], check=True)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    git(checkout, "init", "-q", "-b", "main")
    procs: dict[str, subprocess.Popen[bytes]] = {}
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def spawn(name: str, *args: str) -> None:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        procs[name] = subprocess.Popen([sys.executable, "-m", "gitops_ocm", *args],
                                       stdout=log, stderr=subprocess.STDOUT, env=env)  # fmt: skip

    with servers.git_daemon(root) as base:
        url = f"{base}/fleet.git"
        push(checkout, url, fleet(with_work=True), "fleet with a work")
        apis: dict[str, client.CoreV1Api] = {}
        for c in CLUSTERS:
            spawn(f"kube-{c}", "localkube", "--kubeconfig", str(tmp_path / f"{c}.kubeconfig"))
        wait("API servers", lambda: all((tmp_path / f"{c}.kubeconfig").exists() for c in CLUSTERS))
        for c in CLUSTERS:
            api_client = config.new_client_from_config(str(tmp_path / f"{c}.kubeconfig"))
            apis[c] = client.CoreV1Api(api_client)
        spawn("controller", "controller", "--repo", url, "--interval", "0.3",
              "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
        for c in CLUSTERS:
            spawn(f"agent-{c}", "agent", "--repo", url, "--cluster", c, "--kubeconfig",
                  str(tmp_path / f"{c}.kubeconfig"), "--interval", "0.3",
                  "--state", str(tmp_path / "state" / c))  # fmt: skip
        try:
            yield {"repo": repo, "url": url, "checkout": checkout, "apis": apis, "procs": procs}
        finally:
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                proc.wait(10)


def test_push_prune_and_failover(world: dict[str, object]) -> None:
    """A work lands on two clusters and in ocm/status, is pruned, and fails over on lease loss."""
    repo, url, checkout = world["repo"], world["url"], world["checkout"]
    apis: dict[str, client.CoreV1Api] = world["apis"]  # type: ignore[assignment]
    procs: dict[str, subprocess.Popen[bytes]] = world["procs"]  # type: ignore[assignment]
    assert isinstance(repo, Path) and isinstance(checkout, Path) and isinstance(url, str)

    def placed() -> set[str]:
        return {c for c, api in apis.items() if has_configmap(api)}

    wait("the work on two clusters", lambda: len(placed()) == 2)
    chosen = sorted(placed())

    def reported() -> bool:
        return all(
            _works(repo, c)
            and all(
                "AppliedManifestWorkComplete"
                in status_file(repo, f"clusters/{c}/manifestworks/{w}")
                for w in _works(repo, c)
            )
            for c in chosen
        )

    wait("work status in ocm/status", reported)

    push(checkout, url, fleet(with_work=False), "remove the work")
    wait("the work pruned from every cluster", lambda: placed() == set())

    push(checkout, url, fleet(with_work=True), "bring the work back")
    wait("the work back on two clusters", lambda: len(placed()) == 2)
    first = sorted(placed())
    spare = (set(CLUSTERS) - set(first)).pop()
    victim = first[0]
    procs[f"agent-{victim}"].terminate()
    procs[f"agent-{victim}"].wait(10)
    wait(f"{victim} Unknown in ocm/status", lambda: "ManagedClusterLeaseUpdateStopped"
         in status_file(repo, f"clusters/{victim}/cluster.yaml"))  # fmt: skip
    wait(f"the work moved to {spare}", lambda: has_configmap(apis[spare]))


def _works(repo: Path, cluster: str) -> list[str]:
    done = subprocess.run(
        ["git", "--git-dir", str(repo), "ls-tree", "--name-only",
         f"ocm/status:clusters/{cluster}/manifestworks/"],
        capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.split() if done.returncode == 0 else []
