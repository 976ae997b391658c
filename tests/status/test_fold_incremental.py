"""The incremental fold writes exactly what a fresh fold writes, after any sequence of changes.

A small fleet lives in a real bare repository (``ocm/hub``, ``ocm/reports/*``);
random steps change reports, hub folders, placements, policies, declared sets
and the clock. After every step the long-lived :class:`StatusFolder` folds,
then a fresh one (no caches) folds the same inputs from the same status tip;
both commits must have the same tree and message.
"""

from __future__ import annotations

import datetime
import random
import sys
from pathlib import Path
from typing import Any

import pygit2
import pytest
from statuskit import (
    NOW,
    cluster_yaml,
    cond,
    controller_yaml,
    hub_work,
    lease_yaml,
    placement,
    work_report,
)

from gitops_ocm.gitstore import remote, repository, writer
from gitops_ocm.hub import folding
from gitops_ocm.model import yamlout
from gitops_ocm.status import compliance, hubindex
from gitops_ocm.work import rolloutstate

S = datetime.timedelta(seconds=1)
AUTHOR = writer.Author(when=1_700_000_000)
NAMESPACES = ("apps", "ops")
SETS = (("apps", "web"), ("apps", "api"), ("ops", "agent"))
POLICIES = ("policies.limits", "policies.quota", "security.pods")
STEPS = (
    *("report", "report", "report", "lease", "template", "decide", "status", "policy"),
    *("join", "leave", "declare", "clock", "direct", "controller", "nothing", "rollout"),
)
PHASES = ("Progressing", "Succeeded", "Halted", "RollingBack", "Paused", "hostile", "none")
CONDITIONS = {
    "ok": [cond("Applied", "True"), cond("Available", "True")],
    "degraded": [cond("Applied", "True"), cond("Available", "True"), cond("Degraded", "True")],
    "progressing": [cond("Applied", "True"), cond("Progressing", "True")],
    "failed": [cond("Applied", "False")],
    "old": [cond("Applied", "True", generation=0), cond("Available", "True", generation=0)],
}


class World:
    """The fleet's inputs, written to Git as hub and report commits."""

    def __init__(self, path: Path, rng: random.Random) -> None:
        self.rng = rng
        self.repo = pygit2.init_repository(str(path), bare=True, initial_head="main")
        self.store = repository.open(path)
        self.now = NOW
        self.tick = 0
        self.accepted = {f"c{i}" for i in range(6)}
        self.template = {key: 0 for key in SETS}
        self.placements: dict[tuple[str, str], tuple[set[str], str]] = {
            (ns, p): (set(rng.sample(sorted(self.accepted), 3)), "True")
            for ns in NAMESPACES
            for p in ("all", "some")
        }
        self.uses = {key: [("all" if i % 2 else "some")] for i, key in enumerate(SETS)}
        self.direct = {c: rng.random() < 0.3 for c in self.accepted}
        self.policies = {c: set(rng.sample(POLICIES, 2)) for c in self.accepted}
        self.reports: dict[str, dict[str, Any]] = {c: self.fresh_report() for c in self.accepted}
        self.replica_sets = {key: ["all", "some"] for key in SETS[:2]}
        self.policy_sets = {("policies", "base"): ["limits", "quota", "missing"]}
        self.rollouts = {SETS[0]: "Progressing", SETS[2]: "hostile"}

    def fresh_report(self) -> dict[str, Any]:
        """A healthy report of every prescribed work."""
        return {
            "available": "True",
            "renewed": self.now,
            "lease": True,
            "works": {},
            "stale": set(),
            "compliance": {},
        }

    def work_names(self, cluster: str) -> dict[str, bytes]:
        """The hub works of ``cluster``: one per set whose placements decided it."""
        out = {}
        for key, placements in self.uses.items():
            for name in placements:
                if cluster in self.placements.get((key[0], name), (set(), ""))[0]:
                    work = f"{key[1]}-{name}"
                    body = hub_work(work, f"{key[0]}.{key[1]}", name)
                    out[work] = body + f"# template {self.template[key]}\n".encode()
        if self.direct.get(cluster):
            out["direct"] = hub_work("direct")
        return out

    def hub_files(self) -> dict[str, bytes]:
        """The whole hub tree."""
        files: dict[str, bytes] = {}
        for (ns, name), (clusters, satisfied) in self.placements.items():
            files.update(placement(ns, name, sorted(clusters), satisfied))
        for cluster in self.accepted:
            files[f"clusters/{cluster}/cluster.yaml"] = cluster_yaml(cluster)
            for work, data in self.work_names(cluster).items():
                files[f"clusters/{cluster}/manifestworks/{work}.yaml"] = data
            for policy in self.policies.get(cluster, ()):
                body = {"apiVersion": "policy.open-cluster-management.io/v1", "kind": "Policy"}
                files[f"clusters/{cluster}/policies/{policy}.yaml"] = yamlout.dump(
                    {**body, "metadata": {"name": policy}}
                )
        for (ns, name), phase in self.rollouts.items():
            files[rolloutstate.path(ns, name)] = _rollout_file(ns, name, phase)
        return files

    def report_files(self, cluster: str) -> dict[str, bytes]:
        """One cluster's report tree."""
        state = self.reports[cluster]
        files = {"cluster.yaml": cluster_yaml(cluster, state["available"])}
        if state["lease"]:
            files["lease.yaml"] = lease_yaml(state["renewed"])
        for work, data in self.work_names(cluster).items():
            blob = hubindex.blob_id(data)
            if work in state["stale"]:
                blob = "0" * 40
            kind = state["works"].get(work, "ok")
            files[f"manifestworks/{work}.yaml"] = work_report(work, blob, CONDITIONS[kind])
        for policy, compliant in state["compliance"].items():
            status = {"compliant": compliant} if compliant else {}
            body = {"apiVersion": "policy.open-cluster-management.io/v1", "kind": "Policy"}
            files[f"policies/{policy}.yaml"] = yamlout.dump({**body, "status": status})
        return files

    def commit(self, ref: str, files: dict[str, bytes]) -> None:
        """Point ``ref`` at a new commit of ``files`` (a new tip even when the tree is equal)."""
        index = pygit2.Index()
        for path, data in files.items():
            blob = self.repo.create_blob(data)
            index.add(pygit2.IndexEntry(path, blob, pygit2.enums.FileMode.BLOB))
        tree = index.write_tree(self.repo)
        when = 1_700_000_000 + self.tick
        sig = pygit2.Signature("t", "t@example.com", when, 0)
        parents = [self.repo.references[ref].target] if ref in self.repo.references else []
        self.repo.create_commit(ref, sig, sig, "step", tree, parents)

    def publish(self, hub: bool = True, clusters: set[str] | None = None) -> None:
        """Write the hub and the reports of ``clusters`` (all by default)."""
        if hub:
            self.commit("refs/heads/ocm/hub", self.hub_files())
        for cluster in sorted(self.reports if clusters is None else clusters):
            self.commit(f"refs/heads/ocm/reports/{cluster}", self.report_files(cluster))

    def step(self) -> None:
        """One random change."""
        self.tick += 1
        rng = self.rng
        kind = rng.choice(STEPS)
        clusters = sorted(self.reports)
        cluster = rng.choice(clusters) if clusters else None
        if kind == "report" and cluster:
            state = self.reports[cluster]
            works = list(self.work_names(cluster))
            what = rng.choice(["available", "work", "stale", "compliance", "nolease"])
            if what == "available":
                state["available"] = rng.choice(["True", "False", None])
            elif what == "work" and works:
                state["works"][rng.choice(works)] = rng.choice(sorted(CONDITIONS))
            elif what == "stale" and works:
                state["stale"] ^= {rng.choice(works)}
            elif what == "compliance":
                value = rng.choice(["Compliant", "NonCompliant", "Pending", ""])
                state["compliance"][rng.choice(POLICIES)] = value
            else:
                state["lease"] = not state["lease"]
            self.publish(hub=False, clusters={cluster})
        elif kind == "lease" and cluster:
            self.reports[cluster]["renewed"] = self.now - rng.choice([0, 200, 400]) * S
            self.publish(hub=False, clusters={cluster})
        elif kind == "template":
            self.template[rng.choice(SETS)] += 1
            self.publish()
        elif kind == "decide":
            key = rng.choice(sorted(self.placements))
            chosen, satisfied = self.placements[key]
            pool = sorted(self.accepted | {"ghost"})
            self.placements[key] = (chosen ^ {rng.choice(pool)}, satisfied)
            self.publish()
        elif kind == "status":
            key = rng.choice(sorted(self.placements))
            chosen, satisfied = self.placements[key]
            self.placements[key] = (chosen, "False" if satisfied == "True" else "True")
            self.publish(hub=True, clusters=set())
        elif kind == "policy" and cluster:
            self.policies.setdefault(cluster, set()).symmetric_difference_update(
                {rng.choice(POLICIES)}
            )
            self.publish(hub=True, clusters=set())
        elif kind == "join":
            name = f"c{rng.randrange(9)}"
            self.accepted.add(name)
            if rng.random() < 0.7:
                self.reports[name] = self.fresh_report()
                self.publish(hub=True, clusters={name})
            else:
                self.publish(hub=True, clusters=set())
        elif kind == "leave" and cluster:
            if rng.random() < 0.5:
                self.accepted.discard(cluster)
                self.publish(hub=True, clusters=set())
            else:
                del self.reports[cluster]
                self.repo.references.delete(f"refs/heads/ocm/reports/{cluster}")
        elif kind == "declare":
            key = rng.choice(SETS)
            if key in self.replica_sets:
                del self.replica_sets[key]
            else:
                self.replica_sets[key] = rng.sample(["all", "some", "none"], 2)
            members = rng.sample(["limits", "quota", "pods", "missing"], 2)
            self.policy_sets = {("policies", "base"): members}
        elif kind == "clock":
            self.now += rng.choice([30, 120, 400]) * S
        elif kind == "controller":  # the controller commits controller.yaml on ocm/status
            data = controller_yaml(valid=rng.random() < 0.7)
            writer.publish_changes(
                self.store, "ocm/status", {"controller.yaml": data}, "controller", author=AUTHOR
            )
        elif kind == "foreign":  # someone else commits on ocm/status, with controller.yaml
            path = rng.choice(["stray.txt", "stray/x.yaml", "policies/policies/limits.yaml"])
            data = None if rng.random() < 0.3 else b"x: %d\n" % rng.randrange(3)
            stamp = b"# %d\n" % rng.randrange(10**9)  # a new controller.yaml: the fold runs
            changes = {path: data, "controller.yaml": controller_yaml() + stamp}
            writer.publish_changes(self.store, "ocm/status", changes, "foreign", author=AUTHOR)
        elif kind == "rollout":
            key = rng.choice(SETS)
            phase = rng.choice(PHASES)
            if phase == "none":
                self.rollouts.pop(key, None)
            else:
                self.rollouts[key] = phase
            self.publish(hub=True, clusters=set())
        elif kind == "direct" and cluster:
            self.direct[cluster] = not self.direct.get(cluster)
            self.publish(hub=True, clusters={cluster})


def _rollout_file(namespace: str, name: str, phase: str) -> bytes:
    """A state file of the set in ``phase`` ("hostile": one the fold must ignore)."""
    if phase == "hostile":
        return b"apiVersion: gitops-ocm.io/v1alpha1\nkind: Rollout\nstatus: [\n"
    placement = rolloutstate.PlacementState("all", "Progressive", total=3, updated=1)
    state = rolloutstate.RolloutState(
        namespace, name, f"{name}-abcde", "1a2b3c4d5e6f", "1a2b3c4d5e6f", phase, "", phase,
        "2024-05-01T11:00:00Z", "2024-05-01T10:00:00Z", placements=(placement,),
    )  # fmt: skip
    return yamlout.dump(state.to_body())


def _fold(folder: folding.StatusFolder, world: World) -> str | None:
    replica_sets = {k: list(v) for k, v in world.replica_sets.items()}
    policy_sets = {k: list(v) for k, v in world.policy_sets.items()}
    given = folding.Pass(world.now, replica_sets=replica_sets, policy_sets=policy_sets)
    return folder.fold(given)


def _tip(repo: pygit2.Repository) -> str | None:
    name = "refs/heads/ocm/status"
    return str(repo.references[name].target) if name in repo.references else None


def _set_tip(repo: pygit2.Repository, commit: str | None) -> None:
    name = "refs/heads/ocm/status"
    if commit is None:
        if name in repo.references:
            repo.references.delete(name)
    else:
        repo.references.create(name, commit, force=True)


def _content(repo: pygit2.Repository, commit: str | None) -> tuple[str, str] | None:
    if commit is None:
        return None
    found = repo[commit]
    assert isinstance(found, pygit2.Commit)
    return str(found.tree_id), found.message


@pytest.mark.parametrize("seed", range(6))
def test_incremental_fold_equals_fresh_fold(tmp_path: Path, seed: int) -> None:
    """After each random change the long-lived folder commits what a fresh folder commits."""
    world = World(tmp_path / "fleet.git", random.Random(seed))
    world.publish()
    store = remote.open_store(str(tmp_path / "fleet.git"))
    folder = folding.StatusFolder(store, AUTHOR)
    repo = pygit2.Repository(store.path)
    for _ in range(40):
        before = _tip(repo)
        _fold(folder, world)
        after = _tip(repo)
        _set_tip(repo, before)
        _fold(folding.StatusFolder(store, AUTHOR), world)
        assert _content(repo, _tip(repo)) == _content(repo, after)
        _set_tip(repo, after)
        world.step()


@pytest.mark.parametrize("seed", range(6, 9))
def test_incremental_policy_rows_equal_fresh_fold(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root policies edited row by row (never rebuilt once built) give a fresh folder's files."""
    monkeypatch.setattr(compliance, "_REBUILD_SHARE", 0)
    test_incremental_fold_equals_fresh_fold(tmp_path, seed)


@pytest.mark.parametrize("seed", range(9, 12))
def test_incremental_fold_after_foreign_commits_equals_fresh_fold(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files or folders committed on ocm/status by others do not make the folders differ."""
    monkeypatch.setattr(sys.modules[__name__], "STEPS", (*STEPS, "foreign", "foreign", "foreign"))
    test_incremental_fold_equals_fresh_fold(tmp_path, seed)
