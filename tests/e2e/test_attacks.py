"""End to end over git daemon: one cluster's stolen credentials cannot touch another cluster.

Two clusters join by the double opt-in (their agents' requests, ``gitops-ocm
accept`` in a checkout, a push to main). Then an attacker holding c1's Git
credentials and c1's key pushes, through the same git daemon, each attack of
issue 15: a forged ``ocm/hub`` tip, an unsigned report for c2, a report for c2
signed by c1's key, a lease dated 2099 signed by a fresh key, c2's report branch
rewound, deleted, and replaced by a D/F-conflicting ref. After each, nothing is
applied on either cluster, c2's works stay published and its folded state stays
as it was, the problem is listed with its code, and stock ``git verify-commit``
accepts the legitimate tips while it rejects the forged ones.
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
from gitops_ocm.gitstore import reader, remote, repository, servers, writer
from gitops_ocm.hub import controller
from gitops_ocm.localkube import memory
from gitops_ocm.model import yamlout
from gitops_ocm.trust import keyfile, sshsig

pytestmark = pytest.mark.slow

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SIG = pygit2.Signature("mallory", "m@example.com", 1_700_000_000, 0)
CLUSTERS = ("c1", "c2")
SET = "cluster.open-cluster-management.io"


def _cluster(name: str) -> str:
    return (
        f"apiVersion: {SET}/v1\nkind: ManagedCluster\nmetadata:\n  name: {name}\n"
        "spec:\n  hubAcceptsClient: true\n"
    )


def _work(cluster: str) -> str:
    return (
        "apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\n"
        f"metadata: {{name: hello, namespace: {cluster}}}\nspec:\n  workload:\n    manifests:\n"
        "    - apiVersion: v1\n      kind: ConfigMap\n"
        "      metadata: {name: hello, namespace: default}\n      data: {v: '1'}\n"
    )


EVIL_WORK = b"""apiVersion: work.open-cluster-management.io/v1
kind: ManifestWork
metadata: {name: evil, namespace: c1}
spec:
  workload:
    manifests:
    - apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRoleBinding
      metadata: {name: evil}
      roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
      subjects: [{kind: User, name: mallory}]
"""


def _git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


class World:
    """The server, the controller, two agents on in-memory clusters, and the attacker's tools."""

    def __init__(self, tmp_path: Path, url: str, bare: Path) -> None:
        self.tmp, self.url, self.bare = tmp_path, url, bare
        self.ctl = controller.Controller(
            remote.open_store(url, tmp_path / "hub-cache"),
            clock=lambda: NOW,
            signer=keykit.signer(),
        )
        self.kube = {c: memory.MemoryCluster() for c in CLUSTERS}
        self.agents = {
            c: reconciler.Agent(
                reconciler.Settings(repo=url, cluster=c, state_dir=tmp_path / "state" / c),
                self.kube[c],
            )
            for c in CLUSTERS
        }

    def agents_pass(self) -> None:
        for agent in self.agents.values():
            agent.run_once(NOW)

    def cycle(self) -> None:
        """Controller, agents, controller: one round trip of the loop."""
        self.ctl.reconcile()
        self.agents_pass()
        self.ctl.reconcile()

    def repo(self) -> pygit2.Repository:
        return pygit2.Repository(str(self.bare))

    def tip(self, branch: str) -> str:
        return str(self.repo().references[f"refs/heads/{branch}"].target)

    def status_file(self, path: str) -> bytes | None:
        files = reader.read_tree_files(repository.open(self.bare), self.tip("ocm/status"))
        return files.get(path)

    def status_yaml(self, path: str) -> dict[str, object]:
        return yamlout.load_mapping(self.status_file(path))

    def codes(self) -> str:
        """Every problem code of controller.yaml, with what it got."""
        body = self.status_yaml("controller.yaml")
        found = [*body["status"].get("problems", []), *body["status"].get("reportProblems", [])]  # type: ignore[union-attr]
        return " ".join(f"{p['code']}:{p.get('got', '')}" for p in found)

    def push_forged(
        self,
        branch: str,
        parent: str | None,
        files: dict[str, bytes],
        signer: sshsig.Signer | None,
    ) -> str:
        """Build a commit as the attacker (signed by ``signer`` or unsigned) and push it."""
        attacker = self.tmp / "attacker.git"
        if not attacker.exists():
            _git("clone", "-q", "--mirror", self.url, str(attacker))
        _git("--git-dir", str(attacker), "fetch", "-q", "--prune", self.url,
             "+refs/heads/*:refs/heads/*")  # fmt: skip
        repo = repository.open(attacker)
        author = writer.Author(name="mallory", signer=signer)
        if parent is None:
            commit = writer.publish_tree(repo, f"forged/{branch}", files, "forged", author=author)
        else:
            raw = pygit2.Repository(str(attacker))
            raw.references.create(f"refs/heads/forged/{branch}", parent, force=True)
            commit = writer.publish_changes(
                repo, f"forged/{branch}", files, "forged", author=author
            )
        _git("--git-dir", str(attacker), "push", "-q", "-f", self.url,
             f"{commit.commit}:refs/heads/{branch}")  # fmt: skip
        return commit.commit


def _accept(world: World) -> None:
    """The person's half: accept both pending requests in a checkout of main and push."""
    checkout = world.tmp / "checkout"
    _git("clone", "-q", world.url, str(checkout))
    for cluster in CLUSTERS:
        assert main.main(["accept", cluster, str(checkout), "--repo", str(world.bare)]) == 0
    _git("add", "-A", cwd=checkout)
    _git("commit", "-q", "-m", "accept c1 and c2", cwd=checkout)
    _git("push", "-q", "origin", "HEAD:main", cwd=checkout)


def _allowed(world: World) -> str:
    files = reader.read_tree_files(repository.open(world.bare), world.tip("ocm/hub"))
    return files["allowed_signers"].decode()


def test_one_clusters_credentials_cannot_touch_another(tmp_path: Path) -> None:
    """Every attack of issue 15 over git daemon changes nothing that was verified."""
    root = tmp_path / "srv"
    bare = root / "fleet.git"
    pygit2.init_repository(str(bare), bare=True, initial_head="main")
    seed = tmp_path / "seed"
    seed.mkdir()
    for c in CLUSTERS:
        (seed / f"{c}.yaml").write_text(_cluster(c) + "---\n" + _work(c))
    _git("init", "-q", "-b", "main", cwd=seed)
    _git("add", "-A", cwd=seed)
    _git("commit", "-q", "-m", "fleet", cwd=seed)
    _git("push", "-q", str(bare), "main", cwd=seed)
    with servers.git_daemon(root) as base:
        world = World(tmp_path, f"{base}/fleet.git", bare)

        # The double opt-in: nothing is sent before acceptance.
        world.cycle()
        assert "clusters/c1/manifestworks/hello.yaml" not in reader.read_tree_files(
            repository.open(bare), world.tip("ocm/hub")
        )
        _accept(world)
        world.cycle()
        world.agents_pass()
        world.ctl.reconcile()
        for c in CLUSTERS:
            assert world.kube[c].get("v1", "ConfigMap", "hello", "default") is not None
        c2_cluster = world.status_file("clusters/c2/cluster.yaml")
        c2_lease = world.status_file("clusters/c2/lease.yaml")
        assert c2_cluster is not None and c2_lease is not None
        allowed = _allowed(world)
        for branch in ("ocm/hub", "ocm/status", "ocm/reports/c1", "ocm/reports/c2"):
            judged = keykit.verify_commit(bare, world.tip(branch), allowed)
            assert judged.returncode == 0, (branch, judged.stderr)
        c1_key = keyfile.load(tmp_path / "state" / "c1" / "agent.key")  # the attacker holds it

        # 1. A forged ocm/hub tip: c1's agent applies none of it; the controller restores its tree.
        forged_hub = world.push_forged(
            "ocm/hub",
            world.tip("ocm/hub"),
            {"clusters/c1/manifestworks/evil.yaml": EVIL_WORK},
            None,
        )
        assert keykit.verify_commit(bare, forged_hub, allowed).returncode != 0
        world.agents["c1"].run_once(NOW)
        assert (
            world.kube["c1"].get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "evil")
            is None
        )
        world.ctl.reconcile()
        assert "T627" in world.codes() and forged_hub in world.codes()
        assert "clusters/c1/manifestworks/evil.yaml" not in reader.read_tree_files(
            repository.open(bare), world.tip("ocm/hub")
        )
        world.agents["c1"].run_once(NOW)
        assert (
            world.kube["c1"].get("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "evil")
            is None
        )

        unavailable = c2_cluster.replace(b"True", b"False") + b"# forged\n"

        # 2. An unsigned report for c2 saying it is unavailable.
        unsigned = world.push_forged(
            "ocm/reports/c2", world.tip("ocm/reports/c2"), {"cluster.yaml": unavailable}, None
        )
        world.ctl.reconcile()
        assert "T621" in world.codes() and unsigned in world.codes()
        assert world.status_file("clusters/c2/cluster.yaml") == c2_cluster

        # 3. The same, signed by c1's key.
        by_c1 = {"cluster.yaml": unavailable + b"# by c1\n"}
        raw_signed = world.push_forged("ocm/reports/c2", world.tip("ocm/reports/c2"), by_c1, c1_key)
        world.ctl.reconcile()
        assert "T622" in world.codes() and raw_signed in world.codes()
        assert world.status_file("clusters/c2/cluster.yaml") == c2_cluster
        judged = keykit.verify_commit(bare, raw_signed, allowed)  # git names the signer: c1
        assert "signature for c1 " in judged.stderr and "for c2 " not in judged.stderr

        # 4. A lease dated 2099 under a fresh key: a registration request at most, never a lease.
        lease_2099 = c2_lease.replace(b"2026", b"2099")
        fresh = keykit.signer(keykit.OTHER_SEED)
        request = {"lease.yaml": lease_2099, "registration.yaml": _registration("c2", fresh)}
        world.push_forged("ocm/reports/c2", world.tip("ocm/reports/c2"), request, fresh)
        world.ctl.reconcile()
        assert world.status_file("clusters/c2/lease.yaml") == c2_lease

        # 5. Rewound to an old signed commit of c2: refused (T624).
        first_c2 = _first_parent_root(world, "ocm/reports/c2")
        _git("--git-dir", str(tmp_path / "attacker.git"), "push", "-q", "-f", world.url,
             f"{first_c2}:refs/heads/ocm/reports/c2")  # fmt: skip
        world.ctl.reconcile()
        assert "T624" in world.codes()
        assert world.status_file("clusters/c2/cluster.yaml") == c2_cluster

        # 6. Deleted, then replaced by a D/F-conflicting ref: the last verified state is kept.
        _git("--git-dir", str(tmp_path / "attacker.git"), "push", "-q", world.url,
             ":refs/heads/ocm/reports/c2")  # fmt: skip
        world.push_forged("ocm/reports/c2/x", None, {"cluster.yaml": unavailable}, None)
        world.ctl.reconcile()
        assert "T625" in world.codes() and "R501" in world.codes()
        assert world.status_file("clusters/c2/cluster.yaml") == c2_cluster
        hub_files = reader.read_tree_files(repository.open(bare), world.tip("ocm/hub"))
        assert "clusters/c2/manifestworks/hello.yaml" in hub_files  # nothing withdrawn
        world.agents["c2"].run_once(NOW)
        assert world.kube["c2"].get("v1", "ConfigMap", "hello", "default") is not None

        # The legitimate tips still verify with stock git.
        for branch in ("ocm/hub", "ocm/status", "ocm/reports/c1"):
            judged = keykit.verify_commit(bare, world.tip(branch), _allowed(world))
            assert judged.returncode == 0, (branch, judged.stderr)


def _registration(cluster: str, signer: sshsig.Signer) -> bytes:
    """The registration.yaml an agent holding ``signer`` would present for ``cluster``."""
    key = signer.public_key
    return yamlout.dump(
        {
            "apiVersion": f"{SET}/v1",
            "kind": "ManagedCluster",
            "metadata": {
                "name": cluster,
                "annotations": {
                    "gitops-ocm.io/agent-key": key.fingerprint,
                    "gitops-ocm.io/agent-public-key": key.to_line(),
                },
            },
            "spec": {"hubAcceptsClient": False},
        }
    )


def _first_parent_root(world: World, branch: str) -> str:
    """The oldest commit of ``branch`` along first parents (a signed commit of its agent)."""
    ids = reader.first_parents(repository.open(world.bare), world.tip(branch), 1000)
    return ids[-1]
