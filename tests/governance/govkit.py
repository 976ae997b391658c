"""Helpers for the governance tests: replicated policies on a bare hub, agents, runners."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import keykit

from gitops_ocm.agent import reconciler
from gitops_ocm.gitstore import reader, repository, writer
from gitops_ocm.governance import runner
from gitops_ocm.kube import client
from gitops_ocm.localkube import kubeconfig, memory, server, store
from gitops_ocm.model import yamlout
from gitops_ocm.model.body import Body
from gitops_ocm.trust import signers

HUB_SIGNER = keykit.signer()  # the test controller's key: ocm/hub is signed with it
AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000, signer=HUB_SIGNER)
ALLOWED_SIGNERS = signers.render({"hub": [HUB_SIGNER.public_key]}).encode()
T0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
POLICY_API = "policy.open-cluster-management.io/v1"


def at(seconds: float) -> datetime.datetime:
    """The test clock: ``T0`` plus ``seconds``."""
    return T0 + datetime.timedelta(seconds=seconds)


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


def config_policy(name: str, *objects: Body, compliance: str = "musthave", **spec: Any) -> Body:
    """A ConfigurationPolicy with one object template per object."""
    templates = [{"complianceType": compliance, "objectDefinition": o} for o in objects]
    return {
        "apiVersion": POLICY_API,
        "kind": "ConfigurationPolicy",
        "metadata": {"name": name},
        "spec": {"severity": "low", "object-templates": templates, **spec},
    }


def replicated(
    root: str,
    remediation: str,
    *templates: Body,
    dependencies: list[Body] | None = None,
    **template_fields: Any,
) -> Body:
    """A replicated Policy ``default.<root>`` with ConfigurationPolicy templates."""
    spec: Body = {
        "disabled": False,
        "remediationAction": remediation,
        "policy-templates": [{"objectDefinition": t, **template_fields} for t in templates],
    }
    if dependencies:
        spec["dependencies"] = dependencies
    return {
        "apiVersion": POLICY_API,
        "kind": "Policy",
        "metadata": {
            "name": f"default.{root}",
            "labels": {"policy.open-cluster-management.io/root-policy": f"default.{root}"},
        },
        "spec": spec,
    }


def depends_on(name: str, compliance: str = "Compliant") -> Body:
    """A dependency on root policy ``default/<name>``."""
    return {
        "apiVersion": POLICY_API,
        "kind": "Policy",
        "name": name,
        "namespace": "default",
        "compliance": compliance,
    }


@dataclasses.dataclass
class Hub:
    """A bare hub repository publishing ``ocm/hub`` with replicated policies."""

    path: Path
    repo: repository.Repository

    def publish(self, cluster: str, policies: Mapping[str, Body]) -> str:
        """Publish an accepted ``cluster`` with ``{replicated name: Policy}``."""
        body = {
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": cluster},
            "spec": {"hubAcceptsClient": True},
        }
        files = {
            f"clusters/{cluster}/cluster.yaml": yamlout.dump(body),
            "allowed_signers": ALLOWED_SIGNERS,
        }
        for name, policy in policies.items():
            files[f"clusters/{cluster}/policies/{name}.yaml"] = yamlout.dump(dict(policy))
        source = {"Source-Commit": "a" * 40}
        return writer.publish_tree(self.repo, "ocm/hub", files, "hub", source, author=AUTHOR).commit

    def report(self, cluster: str) -> dict[str, Body]:
        """The files of ``ocm/reports/<cluster>``, parsed."""
        files = reader.read_tree_files(self.repo, f"ocm/reports/{cluster}")
        return {path: yamlout.load(data) for path, data in files.items()}


def new_hub(tmp_path: Path) -> Hub:
    """An empty bare hub repository."""
    path = tmp_path / "hub.git"
    return Hub(path, repository.init(path))


def agent(hub: Hub, tmp_path: Path, kube: Any, cluster: str = "c1") -> reconciler.Agent:
    """An agent for ``cluster`` on ``kube`` (any Cluster) against the hub (by path)."""
    settings = reconciler.Settings(
        repo=str(hub.path), cluster=cluster, state_dir=tmp_path / "state"
    )
    return reconciler.Agent(settings, kube)


@dataclasses.dataclass
class Spoke:
    """A runner on an in-memory cluster that feeds each pass the previous pass's files."""

    kube: memory.MemoryCluster = dataclasses.field(default_factory=memory.MemoryCluster)
    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    last: runner.Outcome | None = None

    def run(self, policies: Mapping[str, Body], seconds: float = 0) -> dict[str, Body]:
        """Run one governance pass at ``at(seconds)``; return the report files, parsed."""
        self.last = runner.Runner(self.kube, "c1", at(seconds)).run(policies, self.files)
        assert self.last.failures == []
        self.files = self.last.files
        return {path: yamlout.load(data) for path, data in self.files.items()}


def history(report: Body, template: str) -> list[Body]:
    """The history of ``template`` in a Policy report."""
    for entry in report["status"]["details"]:
        if entry["templateMeta"]["name"] == template:
            return list(entry["history"])
    raise KeyError(template)


@contextlib.contextmanager
def localkube(tmp_path: Path) -> Iterator[tuple[store.Store, client.KubernetesCluster]]:
    """Serve a fresh store on 127.0.0.1 and return it with a Cluster over the official client."""
    backing = store.Store()
    with server.ApiServer(backing) as api:
        path = kubeconfig.write(tmp_path / "kubeconfig", api.url)
        cache = str(tmp_path / "discovery.json")
        yield backing, client.KubernetesCluster.from_kubeconfig(str(path), cache_file=cache)
