"""The cluster inventory the scheduler sees: desired ManagedClusters joined with their reports.

Pure. Labels and taints come from the ManagedCluster objects of the desired
state; conditions, clusterClaims, allocatable, capacity, version and
AddOnPlacementScores come from the status tree (``ocm/status``), given as
``{path: bytes}``. As OCM's webhook does, a cluster without the clusterset
label gets ``cluster.open-cluster-management.io/clusterset=default``. The two
built-in taints are derived here from the ``ManagedClusterConditionAvailable``
condition, as OCM's taint controller does:
missing or Unknown gives ``unreachable``, False gives ``unavailable``, True none.

``timeAdded`` of a derived taint is the condition's ``lastTransitionTime``; a
cluster with no report has no such time and its derived taint counts as added
long ago, so a ``tolerationSeconds`` toleration never keeps it (docs/placement.md).
A user taint without ``timeAdded`` takes the time recorded for the same taint in
the previous hub tree's ``clusters/<c>/cluster.yaml``, else ``now`` (what OCM's
webhook stamps when the taint first reaches the hub).

A cluster *awaiting its agent* (accepted on main, but the hub does not know its
agent's key yet: :mod:`gitops_ocm.render.admissions`) is joined with no report
at all, as a cluster that never registered: whatever ``ocm/status`` still holds
for it (a revoked key's last report) does not make it schedulable.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gitops_ocm.model import filetree, quantity, timefmt, yamlout
from gitops_ocm.model import snapshot as snapshot_mod

UNREACHABLE = "cluster.open-cluster-management.io/unreachable"
UNAVAILABLE = "cluster.open-cluster-management.io/unavailable"
BUILT_IN_TAINTS = (UNREACHABLE, UNAVAILABLE)
AVAILABLE = "ManagedClusterConditionAvailable"
CLUSTERSET_LABEL = "cluster.open-cluster-management.io/clusterset"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclasses.dataclass(frozen=True)
class Taint:
    """One taint on a cluster; ``time_added`` None means "long ago" (derived, unreported)."""

    key: str
    value: str
    effect: str
    time_added: datetime.datetime | None

    def describe(self) -> str:
        """Return ``key[=value]:Effect`` for messages."""
        value = f"={self.value}" if self.value else ""
        return f"{self.key}{value}:{self.effect}"


@dataclasses.dataclass(frozen=True)
class AddOnScore:
    """One AddOnPlacementScore object: its scores by name and when they expire."""

    scores: Mapping[str, int]
    valid_until: datetime.datetime | None


@dataclasses.dataclass(frozen=True)
class ClusterInfo:
    """Everything scheduling needs to know about one ManagedCluster."""

    name: str
    labels: Mapping[str, str]
    taints: tuple[Taint, ...] = ()
    claims: Mapping[str, str] = dataclasses.field(default_factory=dict)
    allocatable: Mapping[str, float] = dataclasses.field(default_factory=dict)
    capacity: Mapping[str, float] = dataclasses.field(default_factory=dict)
    available: str = ""
    scores: Mapping[str, AddOnScore] = dataclasses.field(default_factory=dict)
    reported: bool = False
    body: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def build(
    snap: snapshot_mod.Snapshot,
    status_tree: Mapping[str, bytes],
    now: datetime.datetime,
    previous_hub: Mapping[str, bytes] | None = None,
    awaiting: frozenset[str] = frozenset(),
) -> tuple[ClusterInfo, ...]:
    """Return the inventory, sorted by cluster name (first object wins on duplicates).

    Clusters ``awaiting`` their agent are joined with no report.
    """
    seen: dict[str, ClusterInfo] = {}
    scores = _score_paths(status_tree)
    previous = previous_hub or {}
    for obj in snap.of_kind("ManagedCluster"):
        if obj.name and obj.name not in seen:
            seen[obj.name] = _join(obj.body, status_tree, now, previous, scores, awaiting)
    return tuple(seen[name] for name in sorted(seen))


def _join(
    desired: Mapping[str, Any],
    status_tree: Mapping[str, bytes],
    now: datetime.datetime,
    previous: Mapping[str, bytes],
    scores: Mapping[str, Sequence[str]],
    awaiting: frozenset[str],
) -> ClusterInfo:
    """Join one cluster, with no report when it is awaiting its agent."""
    name = str(_mapping(desired.get("metadata")).get("name", ""))
    if name in awaiting:
        return from_objects(desired, {}, now, previous, ())
    return from_objects(desired, status_tree, now, previous, scores.get(name, ()))


@dataclasses.dataclass(frozen=True)
class _Built:
    """One inventory and what it was built from."""

    objects: Sequence[snapshot_mod.Obj]
    status: tuple[str, Mapping[str, object]]
    previous: tuple[str, Mapping[str, object]]
    now: datetime.datetime
    infos: tuple[ClusterInfo, ...]
    index: Mapping[str, int]  # position of each cluster in ``infos``
    stamped: frozenset[str]  # clusters whose taints read ``now`` and the previous hub tree
    awaiting: frozenset[str]


class Inventory:
    """The inventory kept across passes (one per hub controller).

    :meth:`build` equals :func:`build`, but joins again only the clusters whose
    inputs changed since the last call: their desired object (a new parsed
    body), their files in the status tree, and, for a cluster with a user
    taint lacking ``timeAdded``, the previous hub file and ``now``. Finding
    them costs a comparison per object and a diff of the status tree's blob
    ids, so a pass where one cluster changed does not visit the other 10,000.
    Anything else (clusters added, removed, renamed or duplicated) builds
    afresh.
    """

    def __init__(self) -> None:
        self._last: _Built | None = None

    def build(
        self,
        snap: snapshot_mod.Snapshot,
        status_tree: Mapping[str, bytes],
        now: datetime.datetime,
        previous_hub: Mapping[str, bytes] | None = None,
        awaiting: frozenset[str] = frozenset(),
    ) -> tuple[ClusterInfo, ...]:
        """Return :func:`build` of these inputs."""
        objects = snap.of_kind("ManagedCluster")
        previous = previous_hub or {}
        status, before = _contents(status_tree), _contents(previous)
        last = self._last
        changed = None
        if last is not None and last.awaiting == awaiting:
            changed = _changed(last, objects, status, before, now)
        index: Mapping[str, int]
        if last is None or changed is None:
            infos = build(snap, status_tree, now, previous, awaiting)
            index = {info.name: i for i, info in enumerate(infos)}
            stamped = frozenset(o.name for o in objects if _stamps_now(o.body))
        else:
            index = last.index
            fresh = list(last.infos)
            scores = _score_paths(status_tree) if changed else {}
            bodies = {o.name: o.body for o in objects} if changed else {}
            for name in changed:
                fresh[index[name]] = _join(
                    bodies[name], status_tree, now, previous, scores, awaiting
                )
            stamped = last.stamped | {n for n in changed if _stamps_now(bodies[n])}
            infos = tuple(fresh)
        self._last = _Built(objects, status, before, now, infos, index, stamped, awaiting)
        return infos


def _contents(tree: Mapping[str, bytes]) -> tuple[str, Mapping[str, object]]:
    """Name a tree's file contents: blob ids of a lazy Git tree, else the bytes."""
    blobs = filetree.blob_ids(tree)
    return ("bytes", tree) if blobs is None else ("blob", blobs)


def _changed(
    last: _Built,
    objects: Sequence[snapshot_mod.Obj],
    status: tuple[str, Mapping[str, object]],
    previous: tuple[str, Mapping[str, object]],
    now: datetime.datetime,
) -> set[str] | None:
    """Return the clusters whose inputs changed since ``last`` (None: build afresh)."""
    if len(objects) != len(last.objects) or len(objects) != len(last.infos):
        return None  # added, removed or duplicated clusters
    names: set[str] = set()
    for obj, old in zip(objects, last.objects, strict=True):
        if obj is not old:
            if obj.name != old.name or obj.name not in last.index:
                return None
            names.add(obj.name)
    if status[0] != last.status[0]:
        return None
    if status[1] is not last.status[1]:
        for path in _differing(status[1], last.status[1]):
            parts = path.split("/", 2)
            if len(parts) == 3 and parts[0] == "clusters" and parts[1] in last.index:
                names.add(parts[1])
    for name in last.stamped:
        if now != last.now:
            names.add(name)
        elif previous[0] != last.previous[0]:
            return None
        else:
            report = f"clusters/{name}/cluster.yaml"
            if previous[1].get(report) != last.previous[1].get(report):
                names.add(name)
    return names


def _differing(new: Mapping[str, object], old: Mapping[str, object]) -> set[str]:
    """Return the paths added, removed or changed between two {path: content} maps."""
    return {path for path, _ in new.items() ^ old.items()}


def _score_paths(status_tree: Mapping[str, bytes]) -> dict[str, list[str]]:
    """Index the AddOnPlacementScore files of a status tree by cluster, in one scan."""
    out: dict[str, list[str]] = {}
    for path in status_tree:
        if "/addonplacementscores/" not in path:
            continue
        parts = path.split("/")
        if (
            len(parts) == 4
            and parts[0] == "clusters"
            and parts[2] == "addonplacementscores"
            and parts[3].endswith(".yaml")
        ):
            out.setdefault(parts[1], []).append(path)
    return out


def from_objects(
    desired: Mapping[str, Any],
    status_tree: Mapping[str, bytes],
    now: datetime.datetime,
    previous_hub: Mapping[str, bytes],
    score_paths: Sequence[str] | None = None,
) -> ClusterInfo:
    """Join one desired ManagedCluster with its report and AddOnPlacementScores."""
    metadata = _mapping(desired.get("metadata"))
    name = str(metadata.get("name", ""))
    report = _load(status_tree.get(f"clusters/{name}/cluster.yaml"))
    status = _mapping(report.get("status")) if report else {}
    condition = _condition(status, AVAILABLE)
    available = str(condition.get("status", "")) if condition else ""
    spec = _mapping(desired.get("spec"))
    known = _known_taint_times(_load(previous_hub.get(f"clusters/{name}/cluster.yaml")))
    taints = _user_taints(spec.get("taints"), known, now) + _derived_taints(available, condition)
    labels = {str(k): v for k, v in _mapping(metadata.get("labels")).items() if isinstance(v, str)}
    if not labels.get(CLUSTERSET_LABEL):
        labels[CLUSTERSET_LABEL] = "default"
    return ClusterInfo(
        name=name,
        labels=labels,
        taints=taints,
        claims=_claims(status.get("clusterClaims")),
        allocatable=_quantities(status.get("allocatable")),
        capacity=_quantities(status.get("capacity")),
        available=available,
        scores=_scores(status_tree, name, score_paths),
        reported=report is not None,
        body=_cel_body(desired, labels, status, taints),
    )


def _stamps_now(desired: Mapping[str, Any]) -> bool:
    """Return whether a user taint lacks ``timeAdded`` (then ``now`` may end up in it)."""
    spec = desired.get("spec")
    taints = spec.get("taints") if isinstance(spec, dict) else None
    return isinstance(taints, list) and any(
        isinstance(t, dict) and not t.get("timeAdded") for t in taints
    )


def _load(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        body = yamlout.load(data)
    except Exception:  # a malformed report counts as no report
        return None
    return body if isinstance(body, dict) else None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _condition(status: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in _list(status.get("conditions")):
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def _known_taint_times(previous: Mapping[str, Any] | None) -> dict[tuple[str, str, str], Any]:
    spec = _mapping(previous.get("spec")) if previous else {}
    known: dict[tuple[str, str, str], Any] = {}
    for taint in _list(spec.get("taints")):
        if isinstance(taint, dict) and taint.get("timeAdded"):
            key = (str(taint.get("key", "")), str(taint.get("value", "")), str(taint.get("effect")))
            known[key] = taint["timeAdded"]
    return known


def _user_taints(
    raw: object, known: Mapping[tuple[str, str, str], Any], now: datetime.datetime
) -> tuple[Taint, ...]:
    out: list[Taint] = []
    for taint in _list(raw):
        if not isinstance(taint, dict) or taint.get("key") in BUILT_IN_TAINTS:
            continue
        key, value, effect = (
            str(taint.get("key", "")),
            str(taint.get("value", "")),
            str(taint.get("effect", "")),
        )
        added = timefmt.parse(taint.get("timeAdded")) or timefmt.parse(
            known.get((key, value, effect))
        )
        out.append(Taint(key, value, effect, added or now))
    return tuple(out)


def _derived_taints(available: str, condition: Mapping[str, Any] | None) -> tuple[Taint, ...]:
    if available == "True":
        return ()
    key = UNAVAILABLE if available == "False" else UNREACHABLE
    added = timefmt.parse(condition.get("lastTransitionTime")) if condition else None
    return (Taint(key, "", "NoSelect", added),)


def _claims(raw: object) -> dict[str, str]:
    out: dict[str, str] = {}
    for claim in _list(raw):
        if isinstance(claim, dict) and isinstance(claim.get("name"), str):
            out.setdefault(claim["name"], str(claim.get("value", "")))
    return out


def _quantities(raw: object) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in _mapping(raw).items():
        parsed = quantity.approximate(value)
        if parsed is not None:
            out[str(key)] = parsed
    return out


def _scores(
    status_tree: Mapping[str, bytes], name: str, paths: Sequence[str] | None = None
) -> dict[str, AddOnScore]:
    prefix = f"clusters/{name}/addonplacementscores/"
    out: dict[str, AddOnScore] = {}
    if paths is None:
        paths = [p for p in status_tree if p.startswith(prefix) and p.endswith(".yaml")]
    for path in sorted(paths):
        body = _load(status_tree[path]) or {}
        resource = str(_mapping(body.get("metadata")).get("name") or path[len(prefix) : -5])
        status = _mapping(body.get("status"))
        values = {
            str(s["name"]): int(s["value"])
            for s in _list(status.get("scores"))
            if isinstance(s, dict) and "name" in s and isinstance(s.get("value"), int)
        }
        out[resource] = AddOnScore(values, timefmt.parse(status.get("validUntil")))
    return out


def _cel_body(
    desired: Mapping[str, Any],
    labels: Mapping[str, str],
    status: Mapping[str, Any],
    taints: Iterable[Taint],
) -> dict[str, Any]:
    metadata = dict(_mapping(desired.get("metadata")))
    metadata["labels"] = dict(labels)
    spec = dict(_mapping(desired.get("spec")))
    spec["taints"] = [
        {"key": t.key, "value": t.value, "effect": t.effect}
        | ({"timeAdded": timefmt.format_seconds(t.time_added)} if t.time_added else {})
        for t in taints
    ]
    return {
        "apiVersion": desired.get("apiVersion", ""),
        "kind": "ManagedCluster",
        "metadata": {k: metadata[k] for k in ("name", "labels", "annotations") if k in metadata},
        "spec": spec,
        "status": dict(status),
    }
