"""The status fold, kept between passes: each item is recomputed only when its inputs changed.

Pure (no Git, no clock); the caller passes the inputs of each pass. At fleet
scale (10,000 clusters, 1,000 placements and ManifestWorkReplicaSets, 100,000
works) re-deriving every rollup takes seconds, while a pass usually follows a
handful of changes. A :class:`Folder` therefore keeps, between passes:

* per cluster: the inputs its state was computed from (report tree id and
  commit time, accepted or not, the hub works of its ``manifestworks/``
  folder, whether the lease had expired) and the state; a cluster whose inputs
  are unchanged keeps its state object;
* the hub works of each cluster and each placement, by the folder's key (its
  tree id), so only changed hub folders are read;
* per placement: which clusters it decided, and its rollup and file, redone
  only when the placement or a decided cluster's shown availability changed
  (from the set of available clusters and the shown availability of the
  others: set operations, then work per decided cluster that is not
  available; the available names are joined as lines, not dumped one by one);
* per ManifestWorkReplicaSet: the counts of its works per placement, kept as a
  sum of per-cluster contributions (a changed cluster subtracts its old ones
  and adds its new ones), and its status and file, redone only when its counts,
  placements or declared placementRefs changed, or when the previous status
  file is not the one this folder wrote;
* per ``rollouts/<namespace>/`` folder of the hub tree: the blob id and parsed
  state of each set's rollout state file, read again only for a changed blob
  (a changed state marks only its set's status to be redone).

Every loop over all clusters does constant work per cluster; nothing loops
over all works on the way. The output is the same as a fresh folder's for the
same inputs (``tests/status/test_fold_incremental.py`` checks it after random
changes).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet

from gitops_ocm.model import timefmt, yamlout
from gitops_ocm.status import (
    availability,
    hubindex,
    mwrs,
    placements,
    readme,
    rollouts,
    scan,
    views,
)
from gitops_ocm.status.cache import FoldCache
from gitops_ocm.work import rolloutstate

PlacementKey = tuple[str, str]
SetKey = tuple[str, str]
Part = tuple[SetKey, str]  # (replica set, placement name)
Tally = tuple[int, ...]  # mwrs.Counts.fields()


@dataclasses.dataclass(frozen=True)
class Hub:
    """What the fold reads of the hub tree, folder by folder."""

    works: Mapping[str, hubindex.Listing]
    """Each accepted cluster's ``manifestworks/`` folder (absent: no works)."""
    placements: Mapping[PlacementKey, hubindex.Listing]
    """Each ``placements/<ns>/<name>/`` folder."""
    read: hubindex.Reader
    """A hub blob's content by id (only blobs not seen before are read)."""
    rollouts: Mapping[str, hubindex.Listing] = dataclasses.field(default_factory=dict)
    """Each ``rollouts/<namespace>/`` folder (the sets rolled out in steps)."""


@dataclasses.dataclass(frozen=True)
class Inputs:
    """One pass's inputs: reports, accepted clusters, the hub, and the previous status files."""

    reports: Mapping[str, views.Report]
    accepted: AbstractSet[str]
    hub: Hub
    controller_yaml: bytes | None
    repo_url: str | None = None
    replica_sets: Mapping[SetKey, Sequence[str]] = dataclasses.field(default_factory=dict)
    previous: Mapping[str, bytes] | None = None
    """The current status tree's files (ManifestWorkReplicaSets keep transition times)."""
    previous_blobs: Mapping[str, str] | None = None
    """Blob ids of ``previous`` (spares reading it to see that it is unchanged)."""


@dataclasses.dataclass
class _Cluster:
    """A cluster's state and what it was computed from."""

    key: tuple[str, datetime.datetime | None] | None  # report tree id and commit time
    accepted: bool
    works: tuple[hubindex.HubWork, ...]
    expired: bool  # whether now >= the lease expiry when the state was computed
    state: views.ClusterState
    parts: dict[Part, Tally]  # this cluster's works' counts per replica set part


@dataclasses.dataclass
class _SetFile:
    """A ManifestWorkReplicaSet's last status and file, and the file's blob id."""

    status: mwrs.ReplicaSetStatus
    data: bytes
    blob: str
    conditions: mwrs.Conditions  # as written (what parsing the file would give back)


class Folder:
    """Folds reports and the hub tree into the status tree, reusing what did not change."""

    def __init__(self, cache: FoldCache | None = None) -> None:
        self.cache = cache if cache is not None else FoldCache()
        self._works: dict[str, tuple[Hashable, tuple[hubindex.HubWork, ...]]] = {}
        self._placements: dict[PlacementKey, tuple[Hashable, hubindex.HubPlacement]] = {}
        self._clusters: dict[str, _Cluster] = {}
        self._deciding: dict[str, set[PlacementKey]] = {}
        self._rollups: dict[PlacementKey, tuple[placements.Rollup, bytes]] = {}
        self._decided: dict[PlacementKey, frozenset[str]] = {}
        self._available: set[str] = set()  # clusters whose Available is True
        self._unwell: dict[str, tuple[str, str]] = {}  # the others with a state: shown
        self._renderer = placements.Renderer()
        self._parts: dict[SetKey, dict[str, list[int]]] = {}  # running Counts.fields()
        self._declared: dict[SetKey, tuple[str, ...]] = {}
        self._sets: dict[SetKey, _SetFile] = {}
        self._dirty: set[SetKey] = set()  # replica sets whose counts changed
        self._grafts: dict[str, str] = {}  # report folders grafted whole: path -> tree id
        self._files: dict[str, dict[str, bytes]] = {}  # report folders rewritten, by cluster
        self._works_from: Mapping[str, hubindex.Listing] | None = None
        self._works_out: dict[str, tuple[hubindex.HubWork, ...]] = {}
        self._placements_from: Mapping[PlacementKey, hubindex.Listing] | None = None
        self._rollout_folders: dict[str, tuple[Hashable, dict[str, str]]] = {}
        self._rollouts: dict[SetKey, rolloutstate.RolloutState] = {}
        self._rollouts_from: Mapping[str, hubindex.Listing] | None = None

    def fold(self, inputs: Inputs, now: datetime.datetime) -> views.Folded:
        """Fold one pass's inputs at ``now``."""
        self.cache.begin()
        works = self._index_works(inputs.hub)
        moved = self._index_placements(inputs.hub)
        self._dirty.update(self._index_rollouts(inputs.hub))
        states, shown, changed = self._fold_clusters(inputs, works, now)
        out = views.Folded({}, {}, _next_check(states.values(), now))
        self._place_reports(inputs.reports, states, changed, out)
        rollups = self._fold_rollups(states, shown, moved)
        for item, data in rollups:
            out.files[item.path] = data
        sets = self._fold_sets(inputs, moved, now)
        for status in sets:
            out.files[status.path] = self._sets[(status.namespace, status.name)].data
        controller = _controller(inputs.controller_yaml, self.cache)
        if inputs.controller_yaml is not None:
            out.files["controller.yaml"] = inputs.controller_yaml
        page = readme.Page(
            list(states.values()), sets, [r for r, _ in rollups], controller, inputs.repo_url
        )
        out.files["README.md"] = readme.render(page)
        return out

    def _place_reports(
        self,
        reports: Mapping[str, views.Report],
        states: Mapping[str, views.ClusterState],
        changed: set[str],
        out: views.Folded,
    ) -> None:
        """Grafts and rewritten files of the report folders, redone for changed clusters."""
        for name in changed:
            self._grafts.pop(f"clusters/{name}", None)
            self._files.pop(name, None)
            report = reports.get(name)
            if report is None or name not in states:
                continue
            placed = views.Folded({}, {}, None)
            _place_report(placed, report, states[name].availability, self.cache)
            if placed.files:
                self._files[name] = placed.files
            else:
                self._grafts.update(placed.subtrees)
        out.subtrees.update(self._grafts)
        for files in self._files.values():
            out.files.update(files)

    def _index_works(self, hub: Hub) -> dict[str, tuple[hubindex.HubWork, ...]]:
        """Each cluster's hub works, reading only folders whose key changed."""
        if hub.works is self._works_from:
            return self._works_out
        self._works_from = hub.works
        known = self._works
        self._works = {}
        out = {}
        for cluster, folder in hub.works.items():
            found = known.get(cluster)
            if found is None or found[0] != folder.key:
                found = (folder.key, hubindex.works_of(folder, hub.read, self.cache))
            self._works[cluster] = found
            out[cluster] = found[1]
        self._works_out = out
        return out

    def _index_placements(self, hub: Hub) -> set[PlacementKey]:
        """Read changed placement folders; return the placements added, changed or removed."""
        moved: set[PlacementKey] = set()
        if hub.placements is self._placements_from:
            return moved
        self._placements_from = hub.placements
        for key in self._placements.keys() - hub.placements.keys():
            self._decide(key, self._placements.pop(key)[1].clusters, ())
            moved.add(key)
        for key, folder in hub.placements.items():
            found = self._placements.get(key)
            if found is not None and found[0] == folder.key:
                continue
            placement = hubindex.placement_of(key, folder, hub.read, self.cache)
            self._placements[key] = (folder.key, placement)
            if found is not None and found[1] == placement:
                continue
            self._decide(key, found[1].clusters if found else (), placement.clusters)
            moved.add(key)
        return moved

    def _index_rollouts(self, hub: Hub) -> set[SetKey]:
        """Read the changed state files of changed rollout folders; return their sets."""
        moved: set[SetKey] = set()
        if hub.rollouts is self._rollouts_from:
            return moved
        self._rollouts_from = hub.rollouts
        empty: tuple[Hashable, dict[str, str]] = ((), {})
        for namespace in self._rollout_folders.keys() | hub.rollouts.keys():
            old = self._rollout_folders.get(namespace, empty)
            folder = hub.rollouts.get(namespace)
            if folder is not None and folder.key == old[0]:
                continue
            new = rollouts.names(folder) if folder is not None else {}
            for name in old[1].keys() | new.keys():
                if old[1].get(name) != new.get(name):
                    moved.add((namespace, name))
                    self._read_rollout((namespace, name), new.get(name), hub.read)
            if folder is None:
                del self._rollout_folders[namespace]
            else:
                self._rollout_folders[namespace] = (folder.key, new)
        return moved

    def _read_rollout(self, key: SetKey, blob: str | None, read: hubindex.Reader) -> None:
        """Keep the state of set ``key`` from its file's blob (None: no file)."""
        state = rollouts.read(read(blob), key) if blob is not None else None
        if state is None:
            self._rollouts.pop(key, None)
        else:
            self._rollouts[key] = state

    def _decide(self, key: PlacementKey, old: Sequence[str], new: Sequence[str]) -> None:
        """Keep ``cluster -> placements that decided it`` up to date."""
        before, after = set(old), set(new)
        for cluster in before - after:
            self._deciding[cluster].discard(key)
        for cluster in after - before:
            self._deciding.setdefault(cluster, set()).add(key)

    def _fold_clusters(
        self,
        inputs: Inputs,
        works: Mapping[str, tuple[hubindex.HubWork, ...]],
        now: datetime.datetime,
    ) -> tuple[dict[str, views.ClusterState], set[str], set[str]]:
        """Each accepted or reporting cluster's state (sorted), and the names whose state
        changed, and of those, whose shown availability changed (both with removed ones)."""
        names = sorted(inputs.accepted | inputs.reports.keys())
        states: dict[str, views.ClusterState] = {}
        shown: set[str] = set()
        changed: set[str] = set()
        for name in self._clusters.keys() - set(names):
            gone = self._clusters.pop(name)
            self._count(gone.parts, {})
            self._available.discard(name)
            self._unwell.pop(name, None)
            shown.add(name)
            changed.add(name)
        empty: tuple[hubindex.HubWork, ...] = ()
        for name in names:
            report = inputs.reports.get(name)
            key = (report.tree_id, report.commit_time) if report is not None else None
            accepted = name in inputs.accepted
            ws = works.get(name, empty)
            old = self._clusters.get(name)
            if old is not None and _same(old, key, accepted, ws, now):
                states[name] = old.state
                continue
            digest = old.state.report if old is not None and old.key == key else None
            new = self._cluster(name, report, key, accepted, ws, now, digest)
            self._clusters[name] = new
            self._count(old.parts if old else {}, new.parts)
            before = placements.shown(old.state.availability) if old else placements.NOT_REPORTED
            after = placements.shown(new.state.availability)
            if after != before:
                shown.add(name)
                if after[0] == "True":
                    self._available.add(name)
                    self._unwell.pop(name, None)
                else:
                    self._available.discard(name)
                    self._unwell[name] = after
            changed.add(name)
            states[name] = new.state
        return states, shown, changed

    def _cluster(
        self,
        name: str,
        report: views.Report | None,
        key: tuple[str, datetime.datetime | None] | None,
        accepted: bool,
        works: tuple[hubindex.HubWork, ...],
        now: datetime.datetime,
        digest: views.ReportDigest | None = None,
    ) -> _Cluster:
        """A cluster's state (``digest``: its report's, when already read)."""
        found = digest
        if found is None and report is not None:
            found = availability.digest(report, self.cache)
        if report is None or found is None:
            state = availability.no_report()
        else:
            state = availability.of_digest(found, report.commit_time, now, report.observed)

        expires = state.expires_at
        cluster = views.ClusterState(
            name, accepted, found, state, tuple(_work(name, w, found) for w in works)
        )
        expired = expires is not None and now >= expires
        return _Cluster(key, accepted, works, expired, cluster, _parts(cluster))

    def _count(self, old: Mapping[Part, Tally], new: Mapping[Part, Tally]) -> None:
        """Replace one cluster's contributions to the replica set counts."""
        if old == new:
            return
        for (key, placement), tally in old.items():
            by_placement = self._parts[key]
            left = by_placement[placement]
            for i, n in enumerate(tally):
                left[i] -= n
            if not left[0]:  # no work left: the placement is no longer one of the set's
                del by_placement[placement]
                if not by_placement:
                    del self._parts[key]
            self._dirty.add(key)
        for (key, placement), tally in new.items():
            total = self._parts.setdefault(key, {}).setdefault(placement, [0] * len(tally))
            for i, n in enumerate(tally):
                total[i] += n
            self._dirty.add(key)

    def _fold_rollups(
        self,
        states: Mapping[str, views.ClusterState],
        shown: set[str],
        moved: set[PlacementKey],
    ) -> list[tuple[placements.Rollup, bytes]]:
        """Every placement's rollup and file (sorted), redoing those whose inputs moved."""
        dirty = set(moved)
        for name in shown:
            dirty.update(self._deciding.get(name, ()))
        for key in dirty:
            found = self._placements.get(key)
            if found is None:
                self._rollups.pop(key, None)
                self._decided.pop(key, None)
                continue
            placement = found[1]
            decided = self._decided.get(key)
            if decided is None or key in moved:
                decided = self._decided[key] = frozenset(placement.clusters)
            item = placements.rollup_of(placement, decided, self._available, self._unwell)
            self._rollups[key] = (item, self._renderer.render(item, self.cache))
        return [self._rollups[key] for key in sorted(self._rollups)]

    def _fold_sets(
        self, inputs: Inputs, moved: set[PlacementKey], now: datetime.datetime
    ) -> list[mwrs.ReplicaSetStatus]:
        """Every ManifestWorkReplicaSet's status (sorted); files redone where needed."""
        dirty = self._dirty
        declared = {k: tuple(v) for k, v in inputs.replica_sets.items()}
        for key in self._declared.keys() | declared.keys():
            if self._declared.get(key) != declared.get(key):
                dirty.add(key)
        self._declared = declared
        hub = {key: found[1] for key, found in self._placements.items()}
        out = []
        for key in sorted(self._parts.keys() | declared.keys() | self._rollouts.keys()):
            parts = self._parts.get(key, {})
            names = list(dict.fromkeys(declared.get(key, ())))
            names += sorted(p for p in parts if p not in names)
            known = self._sets.get(key)
            if known is None or key in dirty or any((key[0], p) in moved for p in names):
                counts = {p: mwrs.Counts(*tally) for p, tally in parts.items()}
                status = mwrs.of_counts(key, names, counts, hub, self._rollouts.get(key))
            else:
                status = known.status
            kept = known is not None and _kept(known, status.path, inputs)
            if known is None or known.status != status or not kept:
                before = inputs.previous.get(status.path) if inputs.previous is not None else None
                conditions = known.conditions if known is not None and kept else None
                body = mwrs.body(status, before, now, before=conditions)
                data = yamlout.dump(body)
                known = _SetFile(status, data, hubindex.blob_id(data), mwrs.conditions_of(body))
            self._sets[key] = known
            out.append(status)
        for key in self._sets.keys() - {(s.namespace, s.name) for s in out}:
            del self._sets[key]
        dirty.clear()
        return out


def _same(
    old: _Cluster,
    key: tuple[str, datetime.datetime | None] | None,
    accepted: bool,
    works: tuple[hubindex.HubWork, ...],
    now: datetime.datetime,
) -> bool:
    """Whether a cluster's state computed from ``old``'s inputs holds for these."""
    if old.key != key or old.accepted != accepted:
        return False
    if old.works is not works and old.works != works:
        return False
    expires = old.state.availability.expires_at
    return expires is None or (now >= expires) == old.expired


def _kept(known: _SetFile, path: str, inputs: Inputs) -> bool:
    """Whether the previous status file is the one this folder wrote (so it would be again)."""
    if inputs.previous_blobs is not None:
        return inputs.previous_blobs.get(path) == known.blob
    return inputs.previous is not None and inputs.previous.get(path) == known.data


def _parts(cluster: views.ClusterState) -> dict[Part, Tally]:
    """A cluster's works from replica sets, counted per (replica set, placement)."""
    out: dict[Part, Tally] = {}
    for work in cluster.works:
        if work.replica_set is not None:
            part = (work.replica_set, work.placement or "")
            tally = mwrs.count_one(work).fields()
            found = out.get(part)
            out[part] = (
                tally if found is None else tuple(a + b for a, b in zip(found, tally, strict=True))
            )
    return out


def _work(
    cluster: str, work: hubindex.HubWork, found: views.ReportDigest | None
) -> views.WorkState:
    reported = found.works.get(work.name) if found is not None else None
    return views.WorkState(
        cluster, work.name, work.blob, work.replica_set, work.placement, reported
    )


def _next_check(
    clusters: Iterable[views.ClusterState], now: datetime.datetime
) -> datetime.datetime | None:
    """The earliest lease expiry still ahead."""
    ahead = [
        c.availability.expires_at
        for c in clusters
        if c.availability.expires_at is not None and c.availability.expires_at > now
    ]
    return min(ahead, default=None)


def _place_report(
    out: views.Folded, report: views.Report, found: views.Availability, memo: FoldCache
) -> None:
    """Graft a report whole, or write its files with cluster.yaml (and lease.yaml) rewritten.

    Rewritten when the lease expired (Available becomes Unknown) or when the
    report holds times after the controller first saw it (they are clamped to
    that moment, so what ``ocm/status`` holds, and the scheduler reads, is
    never ahead of the controller's clock).
    """
    folder = f"clusters/{report.cluster}"
    expires = found.expires_at if found.expired else None
    clamp = _clamp_to(report, memo)
    if expires is None and clamp is None:
        out.subtrees[folder] = report.tree_id
        return
    key = (report.tree_id, expires, clamp)
    files = memo.get("rewritten", key, lambda: _rewritten(report, expires, clamp))
    out.files.update((f"{folder}/{path}", data) for path, data in files.items())


def _clamp_to(report: views.Report, memo: FoldCache) -> datetime.datetime | None:
    """When the report was first seen, if it holds a lease or condition time after that."""
    observed = report.observed
    if observed is None:
        return None
    found = availability.digest(report, memo)
    times = [found.lease.renew_time] if found.lease is not None else []
    if found.cluster is not None:
        times.extend(timefmt.parse(c.last_transition) for c in found.cluster.conditions)
    return observed if any(t is not None and t > observed for t in times) else None


def _rewritten(
    report: views.Report, expires: datetime.datetime | None, clamp: datetime.datetime | None
) -> dict[str, bytes]:
    files = {path: report.files[path] for path in sorted(report.blobs)}
    if clamp is not None:
        for path in ("cluster.yaml", "lease.yaml"):
            if path in files:
                files[path] = availability.clamped(files[path], clamp)
    if expires is not None:
        files["cluster.yaml"] = availability.expired_cluster_yaml(
            report.cluster, files.get("cluster.yaml"), expires
        )
    return files


def _controller(data: bytes | None, memo: FoldCache) -> Mapping[str, object] | None:
    if data is None:
        return None
    return memo.get("controller", data, lambda: scan.body(data))
