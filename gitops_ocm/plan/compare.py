"""Comparing two rendered hub trees: what changes on which cluster, and why.

Pure. A pull request changes the desired state; what a reviewer needs is what
that does *after placement*: which clusters gain, lose or see a changed
ManifestWork or Policy, and which clusters join or leave each Placement, with
the scheduler's reason. Identical changes are grouped across clusters (one
template change on 300 clusters is one group naming 300 clusters), so the plan
of a large fleet stays readable. Diffs are unified diffs of the rendered YAML,
limited to :data:`DIFF_LINES` lines; a removed object shows no body.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Mapping

Key = tuple[str, str]
Why = Callable[[Key], Mapping[str, str]]

DIFF_LINES = 80
KINDS = {"manifestworks": "ManifestWork", "policies": "Policy"}
NOT_IN_FLEET = "not in the fleet"


@dataclasses.dataclass(frozen=True)
class Side:
    """One rendered state: its hub tree files, its decisions, and the reasons behind them.

    ``why(key)`` returns, for one placement, a reason per cluster of the fleet
    (``selected #1: ...``, ``dropped by Predicate: ...``); it is only called for
    placements whose clusters change, since explaining costs a full scoring.
    """

    files: Mapping[str, bytes]
    decisions: Mapping[Key, tuple[str, ...]]
    why: Why = dataclasses.field(default=lambda key: {})


@dataclasses.dataclass(frozen=True)
class Move:
    """One cluster joining or leaving a placement, with the reason on each side."""

    cluster: str
    before: str
    after: str


@dataclasses.dataclass(frozen=True)
class PlacementChange:
    """The clusters that join or leave one placement."""

    namespace: str
    name: str
    state: str  # "added", "removed" or "changed"
    before: int
    after: int
    joined: tuple[Move, ...]
    left: tuple[Move, ...]


@dataclasses.dataclass(frozen=True)
class Change:
    """One change, identical on every cluster listed (a change group)."""

    kind: str  # "ManifestWork", "Policy" or "ManagedCluster"
    name: str  # "" for ManagedCluster (the cluster is the name)
    action: str  # "added", "removed" or "changed"
    clusters: tuple[str, ...]
    diff: tuple[str, ...]
    omitted: int  # diff lines left out


@dataclasses.dataclass(frozen=True)
class ClusterChange:
    """Everything that changes on one cluster: ``{action: names}`` per kind."""

    cluster: str
    works: Mapping[str, tuple[str, ...]]
    policies: Mapping[str, tuple[str, ...]]
    registration: str | None  # the ManagedCluster itself: added, removed, changed or None


@dataclasses.dataclass(frozen=True)
class Totals:
    """The counts shown first."""

    clusters_affected: int = 0
    clusters_added: int = 0
    clusters_removed: int = 0
    works_added: int = 0
    works_removed: int = 0
    works_changed: int = 0
    policies_added: int = 0
    policies_removed: int = 0
    policies_changed: int = 0
    placements_changed: int = 0


@dataclasses.dataclass(frozen=True)
class Plan:
    """The comparison of a base and a head hub tree."""

    totals: Totals
    placements: tuple[PlacementChange, ...]
    changes: tuple[Change, ...]
    clusters: tuple[ClusterChange, ...]


def compare(base: Side, head: Side) -> Plan:
    """Compare two rendered states."""
    items = list(_changed_items(base.files, head.files))
    changes = _groups(items, base.files, head.files)
    clusters = _per_cluster(items)
    moved = placements(base, head)
    return Plan(_totals(clusters, moved), moved, changes, clusters)


# An item is (kind, cluster, name, action, path).
Item = tuple[str, str, str, str, str]


def classify(path: str) -> tuple[str, str, str] | None:
    """Return (kind, cluster, name) for a per-cluster file of the hub tree, else None."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "clusters" and parts[2] == "cluster.yaml":
        return "ManagedCluster", parts[1], parts[1]
    is_object = len(parts) == 4 and parts[0] == "clusters" and parts[2] in KINDS
    if is_object and parts[3].endswith(".yaml"):
        return KINDS[parts[2]], parts[1], parts[3][: -len(".yaml")]
    return None


def _changed_items(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> Iterable[Item]:
    for path in sorted({p for p in old if p.startswith("clusters/")} | set(_clusters(new))):
        found = classify(path)
        if found is None:
            continue
        if path not in old:
            action = "added"
        elif path not in new:
            action = "removed"
        elif old[path] != new[path]:
            action = "changed"
        else:
            continue
        yield (*found, action, path)


def _clusters(files: Mapping[str, bytes]) -> Iterable[str]:
    return (p for p in files if p.startswith("clusters/"))


def _groups(
    items: list[Item], old: Mapping[str, bytes], new: Mapping[str, bytes]
) -> tuple[Change, ...]:
    """Group identical changes; the first cluster's diff stands for the group."""
    diffs: dict[tuple[bytes, bytes], tuple[str, ...]] = {}
    groups: dict[tuple[str, str, str, tuple[str, ...]], list[str]] = {}
    shown: dict[tuple[str, str, str, tuple[str, ...]], tuple[str, ...]] = {}
    for kind, cluster, name, action, path in items:
        pair = (old.get(path, b""), new.get(path, b""))
        lines = diffs.get(pair)
        if lines is None:
            lines = diffs[pair] = unified(*pair)
        label = "" if kind == "ManagedCluster" else name
        signature = tuple(line for line in lines if line[:1] in "+-")
        if kind == "ManagedCluster" and action != "changed":
            signature = ()  # clusters added or removed: one group, no body
        key = (kind, label, action, signature)
        groups.setdefault(key, []).append(cluster)
        shown.setdefault(key, () if action == "removed" else lines)
    out = []
    for key, members in groups.items():
        kind, label, action, _ = key
        lines = shown[key]
        out.append(
            Change(
                kind,
                label,
                action,
                tuple(members),
                lines[:DIFF_LINES],
                max(0, len(lines) - DIFF_LINES),
            )
        )
    return tuple(sorted(out, key=lambda c: (-len(c.clusters), c.kind, c.name, c.action)))


def unified(old: bytes, new: bytes) -> tuple[str, ...]:
    """Return the hunks of a unified diff (2 lines of context, no file headers)."""
    lines = difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(),
        new.decode("utf-8", "replace").splitlines(),
        n=2,
        lineterm="",
    )
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


def _per_cluster(items: list[Item]) -> tuple[ClusterChange, ...]:
    found: dict[str, dict[str, dict[str, list[str]]]] = {}
    registration: dict[str, str] = {}
    for kind, cluster, name, action, _ in items:
        entry = found.setdefault(cluster, {"ManifestWork": {}, "Policy": {}})
        if kind == "ManagedCluster":
            registration[cluster] = action
        else:
            entry[kind].setdefault(action, []).append(name)
    return tuple(
        ClusterChange(
            cluster,
            {a: tuple(n) for a, n in sorted(entry["ManifestWork"].items())},
            {a: tuple(n) for a, n in sorted(entry["Policy"].items())},
            registration.get(cluster),
        )
        for cluster, entry in sorted(found.items())
    )


def placements(base: Side, head: Side) -> tuple[PlacementChange, ...]:
    """Return the placements whose selected clusters differ, with the reasons."""
    out = []
    for key in sorted(set(base.decisions) | set(head.decisions)):
        before = set(base.decisions.get(key, ()))
        after = set(head.decisions.get(key, ()))
        state = "added" if key not in base.decisions else "changed"
        state = "removed" if key not in head.decisions else state
        if before == after and state == "changed":
            continue
        was, now = _reasons(base, key), _reasons(head, key)
        joined = tuple(Move(c, was(c), now(c)) for c in sorted(after - before))
        left = tuple(Move(c, was(c), now(c)) for c in sorted(before - after))
        out.append(PlacementChange(*key, state, len(before), len(after), joined, left))
    return tuple(out)


def _reasons(side: Side, key: Key) -> Callable[[str], str]:
    if key not in side.decisions:
        return lambda cluster: "no such placement"
    cache: list[Mapping[str, str]] = []

    def reason(cluster: str) -> str:
        if not cache:
            cache.append(side.why(key))
        return cache[0].get(cluster, NOT_IN_FLEET)

    return reason


def _totals(clusters: tuple[ClusterChange, ...], moved: tuple[PlacementChange, ...]) -> Totals:
    counts: dict[str, int] = {}
    for change in clusters:
        for kind, actions in (("works", change.works), ("policies", change.policies)):
            for action, names in actions.items():
                counts[f"{kind}_{action}"] = counts.get(f"{kind}_{action}", 0) + len(names)
        if change.registration in ("added", "removed"):
            key = f"clusters_{change.registration}"
            counts[key] = counts.get(key, 0) + 1
    return Totals(clusters_affected=len(clusters), placements_changed=len(moved), **counts)
