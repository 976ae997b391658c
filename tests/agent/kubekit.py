"""Helpers for the agent tests: a hub repository with prescriptions, agents, a local API server."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import keykit
import pygit2

from gitops_ocm.agent import reconciler
from gitops_ocm.gitstore import reader, repository, writer
from gitops_ocm.kube import client
from gitops_ocm.localkube import kubeconfig, memory, server, store
from gitops_ocm.model import yamlout
from gitops_ocm.model.body import Body
from gitops_ocm.trust import signers

HUB_SIGNER = keykit.signer()  # the test controller's key
AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000, signer=HUB_SIGNER)
ALLOWED_SIGNERS = signers.render({"hub": [HUB_SIGNER.public_key]}).encode()
T0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def at(seconds: float) -> datetime.datetime:
    """The test clock: ``T0`` plus ``seconds``."""
    return T0 + datetime.timedelta(seconds=seconds)


def deployment(name: str = "web", namespace: str = "demo", replicas: int = 2) -> Body:
    """A small Deployment manifest."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def configmap(name: str, namespace: str = "demo", **data: str) -> Body:
    """A ConfigMap manifest."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": dict(data),
    }


def namespace(name: str = "demo") -> Body:
    """A Namespace manifest."""
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def work(name: str, manifests: list[Body], **spec: Any) -> Body:
    """A ManifestWork as the hub publishes it (no namespace)."""
    return {
        "apiVersion": "work.open-cluster-management.io/v1",
        "kind": "ManifestWork",
        "metadata": {"name": name},
        "spec": {"workload": {"manifests": manifests}, **spec},
    }


@dataclasses.dataclass
class Hub:
    """A bare hub repository and the prescriptions published on ``ocm/hub``."""

    path: Path
    repo: repository.Repository

    @property
    def url(self) -> str:
        """The repository as a file:// URL (so agents use a mirror, fetch and push)."""
        return f"file://{self.path}"

    def publish(
        self,
        works: Mapping[str, Mapping[str, Body]],
        *,
        accepted: tuple[str, ...] | None = None,
        lease_seconds: int | None = None,
        source: str = "a" * 40,
        author: writer.Author = AUTHOR,
        allowed_signers: bytes = ALLOWED_SIGNERS,
    ) -> str:
        """Publish ``{cluster: {work: body}}`` signed by the test hub key (``author``'s).

        Every cluster in it is accepted by default; ``allowed_signers`` lands at the root.
        """
        files: dict[str, bytes] = {"allowed_signers": allowed_signers}
        for cluster in accepted if accepted is not None else tuple(works):
            spec: Body = {"hubAcceptsClient": True}
            if lease_seconds is not None:
                spec["leaseDurationSeconds"] = lease_seconds
            body = {
                "apiVersion": "cluster.open-cluster-management.io/v1",
                "kind": "ManagedCluster",
                "metadata": {"name": cluster},
                "spec": spec,
            }
            files[f"clusters/{cluster}/cluster.yaml"] = yamlout.dump(body)
        for cluster, bodies in works.items():
            for name, body in bodies.items():
                files[f"clusters/{cluster}/manifestworks/{name}.yaml"] = yamlout.dump(dict(body))
        result = writer.publish_tree(
            self.repo, "ocm/hub", files, "hub", {"Source-Commit": source}, author=author
        )
        return result.commit

    def report(self, cluster: str) -> dict[str, Body]:
        """The files of ``ocm/reports/<cluster>`` on the hub repository, parsed."""
        files = reader.read_tree_files(self.repo, f"ocm/reports/{cluster}")
        return {path: yamlout.load(data) for path, data in files.items()}

    def report_commits(self, cluster: str) -> int:
        """How many commits the report branch has."""
        git = pygit2.Repository(self.repo.path)
        ref = git.references.get(f"refs/heads/ocm/reports/{cluster}")
        return 0 if ref is None else sum(1 for _ in git.walk(ref.target))


def new_hub(tmp_path: Path) -> Hub:
    """An empty bare hub repository."""
    path = tmp_path / "hub.git"
    return Hub(path, repository.init(path))


def agent(
    hub: Hub, tmp_path: Path, cluster: str = "c1", kube: Any = None, **settings: Any
) -> reconciler.Agent:
    """An agent for ``cluster`` on an in-memory cluster (or ``kube``) against ``hub.url``."""
    config = reconciler.Settings(
        repo=settings.pop("repo", hub.url),
        cluster=cluster,
        state_dir=tmp_path / f"state-{cluster}",
        **settings,
    )
    return reconciler.Agent(config, kube if kube is not None else memory.MemoryCluster())


def manifest_conditions(report: Body, ordinal: int) -> dict[str, Body]:
    """The conditions of manifest ``ordinal`` in a work report, by type."""
    for entry in report["status"]["resourceStatus"]["manifests"]:
        if entry["resourceMeta"]["ordinal"] == ordinal:
            return {c["type"]: c for c in entry["conditions"]}
    raise KeyError(ordinal)


def work_conditions(report: Body) -> dict[str, Body]:
    """The work-level conditions of a work report, by type."""
    return {c["type"]: c for c in report["status"]["conditions"]}


@contextlib.contextmanager
def localkube(tmp_path: Path) -> Iterator[tuple[store.Store, client.KubernetesCluster]]:
    """Serve a fresh store on 127.0.0.1 and return it with a Cluster over the official client."""
    backing = store.Store()
    with server.ApiServer(backing) as api:
        path = kubeconfig.write(tmp_path / "kubeconfig", api.url)
        yield (
            backing,
            client.KubernetesCluster.from_kubeconfig(
                str(path), cache_file=str(tmp_path / "discovery.json")
            ),
        )
