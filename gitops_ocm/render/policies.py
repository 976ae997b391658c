"""Replicated policies: root Policies propagated to clusters through bindings.

Pure. Follows OCM's propagator: a policy's clusters are the union, over every
non-restricted PlacementBinding whose subjects name it (directly or through a
PolicySet), of that binding's decisions; a binding that places the policy only
through PolicySets first drops the clusters those sets exclude for it, while a
binding naming the policy itself drops none. So a PolicySet's exclusions apply
only through that PolicySet. A disabled policy goes nowhere.

The replica for cluster ``c`` is published at
``clusters/<c>/policies/<ns>.<name>.yaml`` with the root's spec and the label
``policy.open-cluster-management.io/root-policy=<ns>.<name>``. OCM also labels
the replica with the cluster's name; here the path says it, so that identical
replicas share one blob. ``bindingOverrides.remediationAction: enforce`` on any
binding that covers a cluster (restricted ones included, as ``subFilter:
restricted`` only stops a binding from adding clusters; its own PolicySet
exclusions apply) upgrades that replica from inform to enforce.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitops_ocm.model import rendercache
from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.render import common

ROOT_LABEL = "policy.open-cluster-management.io/root-policy"
_PREFIX = "policy.open-cluster-management.io/"


@dataclasses.dataclass(frozen=True)
class Coverage:
    """Which clusters a policy reaches, and which of them get enforce by override."""

    clusters: frozenset[str]
    enforced: frozenset[str]


Reach = dict[str, frozenset[str]]


def _reach(binding: Obj, sets: dict[tuple[str, str], Obj]) -> Reach:
    """Return the policies a binding places, each with the clusters excluded on this path.

    A policy named directly by the binding has no exclusions here; one placed only
    through PolicySets loses the clusters any of those sets excludes for it. So a
    PolicySet's exclusions never stop another binding from placing the policy.
    """
    direct: set[str] = set()
    through: dict[str, set[str]] = {}
    for subject in binding.body.get("subjects") or []:
        if not isinstance(subject, dict):
            continue
        if subject.get("kind") == "Policy":
            direct.add(str(subject.get("name")))
        elif subject.get("kind") == "PolicySet":
            member = sets.get((binding.namespace, str(subject.get("name"))))
            if member is not None:
                for policy in member.spec.get("policies") or []:
                    out = through.setdefault(str(policy), set())
                    out.update(_exclusions(member, str(policy)))
    reach = {policy: frozenset(excluded) for policy, excluded in through.items()}
    reach.update((policy, frozenset()) for policy in direct)
    return reach


def _exclusions(policyset: Obj, policy: str) -> set[str]:
    """Return the clusters a PolicySet excludes for one of its policies."""
    out: set[str] = set()
    for rule in policyset.spec.get("exclusions") or []:
        if isinstance(rule, dict) and rule.get("policyName") == policy:
            out.update(str(c) for c in rule.get("clusterNames") or [])
    return out


Route = tuple[tuple[str, str], frozenset[str]]


@dataclasses.dataclass(frozen=True)
class _Paths:
    """Per root policy: the (placement, excluded clusters) paths that place and that enforce."""

    placing: dict[tuple[str, str], list[Route]]
    enforcing: dict[tuple[str, str], list[Route]]
    used: frozenset[tuple[str, str]]


def _paths(snapshot: Snapshot) -> _Paths:
    """Read every PlacementBinding into the paths by which it places or enforces policies."""
    sets = {(o.namespace, o.name): o for o in snapshot.of_kind("PolicySet")}
    placing: dict[tuple[str, str], list[Route]] = {}
    enforcing: dict[tuple[str, str], list[Route]] = {}
    used: set[tuple[str, str]] = set()
    for binding in snapshot.of_kind("PlacementBinding"):
        ref = binding.body.get("placementRef") or {}
        target = (binding.namespace, str(ref.get("name")))
        used.add(target)
        restricted = binding.body.get("subFilter") == "restricted"
        enforce = (binding.body.get("bindingOverrides") or {}).get("remediationAction")
        for policy, excluded in sorted(_reach(binding, sets).items()):
            key = (binding.namespace, policy)
            if not restricted:
                placing.setdefault(key, []).append((target, excluded))
            if str(enforce).lower() == "enforce":
                enforcing.setdefault(key, []).append((target, excluded))
    return _Paths(placing, enforcing, frozenset(used))


def _over(paths: Sequence[Route], decisions: common.Decisions, accepted: set[str]) -> set[str]:
    """Return the accepted clusters the paths reach: decisions less the path's exclusions."""
    out: set[str] = set()
    for target, excluded in paths:
        out.update(c for c in decisions.get(target, ()) if c in accepted and c not in excluded)
    return out


def coverage(
    snapshot: Snapshot, decisions: common.Decisions, accepted: set[str]
) -> dict[tuple[str, str], Coverage]:
    """Return the clusters each root policy reaches, by (namespace, name)."""
    paths = _paths(snapshot)
    out: dict[tuple[str, str], Coverage] = {}
    for root in snapshot.of_kind("Policy"):
        key = (root.namespace, root.name)
        if root.spec.get("disabled") is True:
            continue
        clusters = _over(paths.placing.get(key, ()), decisions, accepted)
        enforced = _over(paths.enforcing.get(key, ()), decisions, accepted) & clusters
        out[key] = Coverage(frozenset(clusters), frozenset(enforced))
    return out


def _replica(policy: Obj, enforce: bool) -> dict[str, Any]:
    spec = dict(policy.spec)
    if enforce and str(spec.get("remediationAction", "")).lower() != "enforce":
        spec["remediationAction"] = "enforce"
    copy_all = policy.spec.get("copyPolicyMetadata", True) is not False
    labels = {k: v for k, v in policy.labels.items() if copy_all or k.startswith(_PREFIX)}
    labels[ROOT_LABEL] = f"{policy.namespace}.{policy.name}"
    annotations = policy.metadata.get("annotations") or {}
    if not copy_all:
        annotations = {k: v for k, v in annotations.items() if k.startswith(_PREFIX)}
    metadata: dict[str, Any] = {"name": f"{policy.namespace}.{policy.name}", "labels": labels}
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": policy.api_version,
        "kind": "Policy",
        "metadata": metadata,
        "spec": spec,
    }


def _rendered(
    snapshot: Snapshot,
    decisions: common.Decisions,
    accepted: set[str],
    cache: rendercache.RenderCache | None = None,
) -> Iterator[tuple[str, Coverage, bytes, bytes]]:
    """Yield (replica name, coverage, inform bytes, enforce bytes) for each placed policy."""
    reach = coverage(snapshot, decisions, accepted)
    for policy in snapshot.of_kind("Policy"):
        cover = reach.get((policy.namespace, policy.name))
        if cover is None or not cover.clusters:
            continue
        plain = rendercache.dump_with(cache, _replica(policy, False))
        upgraded = rendercache.dump_with(cache, _replica(policy, True)) if cover.enforced else plain
        yield f"{policy.namespace}.{policy.name}", cover, plain, upgraded


Folders = dict[str, Mapping[str, bytes]]


def folders(
    snapshot: Snapshot,
    decisions: common.Decisions,
    accepted: set[str],
    cache: rendercache.RenderCache | None = None,
) -> Folders:
    """Return each cluster's ``policies/`` folder as ``{"<ns>.<name>.yaml": bytes}``.

    Clusters that receive the same replicas share one read-only dict, so the
    publisher hashes each distinct folder once (a few hundred at fleet scale,
    for about a million files). With a ``cache``, the result is reused while
    every policy's coverage and bytes are unchanged.
    """
    rendered = tuple(_rendered(snapshot, decisions, accepted, cache))
    if cache is None:
        return _grouped(rendered)
    key = tuple((name, c.clusters, c.enforced, plain, up) for name, c, plain, up in rendered)
    return cache.memo("policy-folders", key, lambda: _grouped(rendered))


def _grouped(rendered: Sequence[tuple[str, Coverage, bytes, bytes]]) -> Folders:
    """Group clusters by the replicas they receive; one dict per distinct group."""
    signatures: dict[str, list[int]] = {}
    for index, (_, cover, _, _) in enumerate(rendered):
        for cluster in cover.clusters - cover.enforced:
            signatures.setdefault(cluster, []).append(2 * index)
        for cluster in cover.enforced:
            signatures.setdefault(cluster, []).append(2 * index + 1)
    choices = [(f"{name}.yaml", (plain, upgraded)) for name, _, plain, upgraded in rendered]
    shared: dict[tuple[int, ...], dict[str, bytes]] = {}
    out: Folders = {}
    for cluster, signature in signatures.items():
        key = tuple(signature)
        folder = shared.get(key)
        if folder is None:
            folder = shared[key] = {}
            for code in key:
                rel, variants = choices[code >> 1]
                folder[rel] = variants[code & 1]
        out[cluster] = folder
    return out


def by_cluster(
    snapshot: Snapshot, decisions: common.Decisions, accepted: set[str]
) -> dict[str, dict[str, bytes]]:
    """Return each cluster's replica files (``policies/<ns>.<name>.yaml``)."""
    out: dict[str, dict[str, bytes]] = {}
    for name, cover, plain, upgraded in _rendered(snapshot, decisions, accepted):
        rel = f"policies/{name}.yaml"
        enforced = cover.enforced
        for cluster in cover.clusters:
            out.setdefault(cluster, {})[rel] = upgraded if cluster in enforced else plain
    return out


@dataclasses.dataclass(frozen=True)
class Entry:
    """How one root policy reaches clusters, read off bindings: for per-cluster updates.

    ``placing`` and ``enforcing`` hold (placement, clusters excluded on that path).
    """

    replica: str
    placing: tuple[Route, ...]
    enforcing: tuple[Route, ...]
    plain: bytes
    upgraded: bytes


@dataclasses.dataclass(frozen=True)
class Plan:
    """Every enabled root policy's :class:`Entry`, in snapshot order, and the placements used."""

    entries: tuple[Entry, ...]
    placements: frozenset[tuple[str, str]]


def plan(snapshot: Snapshot, cache: rendercache.RenderCache | None = None) -> Plan:
    """Return what :func:`folders` needs besides decisions, so one cluster can be redone alone."""
    paths = _paths(snapshot)
    entries = []
    for root in snapshot.of_kind("Policy"):
        key = (root.namespace, root.name)
        if root.spec.get("disabled") is True:
            continue
        enforcing = tuple(paths.enforcing.get(key, ()))
        plain = rendercache.dump_with(cache, _replica(root, False))
        upgraded = rendercache.dump_with(cache, _replica(root, True)) if enforcing else plain
        entries.append(
            Entry(
                f"{root.namespace}.{root.name}",
                tuple(paths.placing.get(key, ())),
                enforcing,
                plain,
                upgraded,
            )
        )
    return Plan(tuple(entries), paths.used)


def _on(
    paths: Sequence[Route], chosen: Mapping[tuple[str, str], frozenset[str]], cluster: str
) -> bool:
    """Return whether any path reaches ``cluster``: chosen by its placement, not excluded."""
    empty: frozenset[str] = frozenset()
    return any(cluster in chosen.get(k, empty) and cluster not in ex for k, ex in paths)


def signature(
    entries: Sequence[Entry], chosen: Mapping[tuple[str, str], frozenset[str]], cluster: str
) -> tuple[int, ...]:
    """Return which replicas an accepted ``cluster`` gets: ``2 * entry index (+1 if enforced)``.

    ``chosen`` holds each placement's decisions as a set.
    """
    out = []
    for index, entry in enumerate(entries):
        if _on(entry.placing, chosen, cluster):
            out.append(2 * index + _on(entry.enforcing, chosen, cluster))
    return tuple(out)


def folder_of(entries: Sequence[Entry], code: tuple[int, ...]) -> dict[str, bytes]:
    """Return the ``policies/`` folder a :func:`signature` stands for."""
    folder: dict[str, bytes] = {}
    for value in code:
        entry = entries[value >> 1]
        folder[f"{entry.replica}.yaml"] = entry.upgraded if value & 1 else entry.plain
    return folder
