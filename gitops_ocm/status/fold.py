"""Folding the agents' report branches and the hub tree into the ``ocm/status`` tree.

Pure: no Git, no clock. The caller passes each report branch tip (a lazy
mapping of its files plus their blob ids), the hub tree, the accepted clusters,
``controller.yaml`` and ``now``; it gets back what to graft and what to write.

* Each cluster's report tree is grafted whole under ``clusters/<cluster>/`` (its
  blobs are never read by the writer). The Git writer cannot put a file inside a
  grafted folder, so a cluster whose lease expired (no renewal for
  5 x leaseDurationSeconds) is not grafted: all its files are returned instead,
  with ``cluster.yaml``'s Available condition set to Unknown
  (``ManagedClusterLeaseUpdateStopped``, as of the expiry time). A report is a
  handful of small files, and the result is cached by tree id.
* Rollups: ``placements/<ns>/<name>.yaml``, ``manifestworkreplicasets/<ns>/<name>.yaml``,
  ``controller.yaml`` (passed through) and ``README.md``.
* ``next_check`` is the earliest future lease expiry: folding again then is what
  turns a silent cluster Unknown.

Parsing goes through a :class:`~gitops_ocm.status.cache.FoldCache` keyed by
blob and tree ids, so a fold after one report changed reads only that report.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Iterable, Mapping, Sequence

from gitops_ocm.status import availability as availability_mod
from gitops_ocm.status import hubindex, mwrs, placements, readme, scan, views
from gitops_ocm.status.cache import FoldCache

Report = views.Report
Availability = views.Availability
availability = availability_mod.availability
ReplicaSetKey = tuple[str, str]


@dataclasses.dataclass
class Folded:
    """The status tree: folders grafted from report trees, and every other file."""

    subtrees: dict[str, str]
    files: dict[str, bytes]
    next_check: datetime.datetime | None


def fold(
    reports: Mapping[str, views.Report],
    hub: Mapping[str, bytes],
    accepted_clusters: Sequence[str],
    controller_yaml: bytes | None,
    now: datetime.datetime,
    cache: FoldCache | None = None,
    repo_url: str | None = None,
    *,
    hub_blobs: Mapping[str, str] | None = None,
    replica_sets: Mapping[ReplicaSetKey, Sequence[str]] | None = None,
    previous: Mapping[str, bytes] | None = None,
    hub_tree: str | None = None,
) -> Folded:
    """Fold reports and the hub tree into the status tree.

    ``hub_blobs`` (path -> blob id of the hub tree) spares reading and hashing hub
    files; ``replica_sets`` ({(ns, name): placementRefs} from the desired state)
    adds sets that have no work yet; ``previous`` (the current status tree) keeps
    condition transition times of unchanged statuses; ``hub_tree`` (the hub tree's
    id) lets the cache keep the hub index while the hub is unchanged.
    """
    memo = cache if cache is not None else FoldCache()
    memo.begin()
    index = (
        memo.get("hub-index", hub_tree, lambda: hubindex.index(hub, hub_blobs, memo))
        if hub_tree
        else hubindex.index(hub, hub_blobs, memo)
    )
    clusters = _clusters(reports, index, set(accepted_clusters), now, memo)
    out = Folded({}, {}, _next_check(clusters.values(), now))
    for name in sorted(reports):
        _place_report(out, reports[name], clusters[name].availability, memo)
    rollups = [placements.rollup(p, clusters) for _key, p in sorted(index.placements.items())]
    for item in rollups:
        out.files[item.path] = placements.render(item, memo)
    sets = _replica_sets(clusters.values(), index, replica_sets or {})
    for status in sets:
        before = previous.get(status.path) if previous is not None else None
        out.files[status.path] = mwrs.render(status, before, now)
    controller = _controller(controller_yaml, memo)
    if controller_yaml is not None:
        out.files["controller.yaml"] = controller_yaml
    page = readme.Page(list(clusters.values()), sets, rollups, controller, repo_url)
    out.files["README.md"] = readme.render(page)
    return out


def _clusters(
    reports: Mapping[str, views.Report],
    index: hubindex.HubIndex,
    accepted: set[str],
    now: datetime.datetime,
    memo: FoldCache,
) -> dict[str, views.ClusterState]:
    """Every accepted or reporting cluster, by name (sorted)."""
    out: dict[str, views.ClusterState] = {}
    for name in sorted(accepted | set(reports)):
        report = reports.get(name)
        works = index.works.get(name, ())
        if report is None:
            state = availability_mod.no_report()
            out[name] = _state(name, name in accepted, None, state, works)
            continue
        found = availability_mod.digest(report, memo)
        state = availability_mod.of_digest(found, report.commit_time, now)
        key = (name, report.tree_id, name in accepted, state, works)
        make = functools.partial(_state, name, name in accepted, found, state, works)
        out[name] = memo.get("cluster-state", key, make)
    return out


def _state(
    name: str,
    accepted: bool,
    found: views.ReportDigest | None,
    state: views.Availability,
    works: Sequence[hubindex.HubWork],
) -> views.ClusterState:
    return views.ClusterState(
        name, accepted, found, state, tuple(_work(name, w, found) for w in works)
    )


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
    out: Folded, report: views.Report, found: views.Availability, memo: FoldCache
) -> None:
    """Graft a report whole, or write its files with cluster.yaml rewritten (lease expired)."""
    folder = f"clusters/{report.cluster}"
    if not found.expired or found.expires_at is None:
        out.subtrees[folder] = report.tree_id
        return
    expires = found.expires_at
    files = memo.get("expired", (report.tree_id, expires), lambda: _expired(report, expires))
    out.files.update((f"{folder}/{path}", data) for path, data in files.items())


def _expired(report: views.Report, expires: datetime.datetime) -> dict[str, bytes]:
    files = {path: report.files[path] for path in sorted(report.blobs)}
    files["cluster.yaml"] = availability_mod.expired_cluster_yaml(
        report.cluster, files.get("cluster.yaml"), expires
    )
    return files


def _replica_sets(
    clusters: Iterable[views.ClusterState],
    index: hubindex.HubIndex,
    declared: Mapping[ReplicaSetKey, Sequence[str]],
) -> list[mwrs.ReplicaSetStatus]:
    """Status of each replica set named by a work label or by ``declared``."""
    grouped: dict[ReplicaSetKey, dict[str, list[views.WorkState]]] = {}
    for cluster in clusters:
        for work in cluster.works:
            if work.replica_set is not None:
                by_placement = grouped.setdefault(work.replica_set, {})
                by_placement.setdefault(work.placement or "", []).append(work)
    out = []
    for key in sorted(set(grouped) | set(declared)):
        found = grouped.get(key, {})
        names = list(dict.fromkeys(declared.get(key, ())))
        names += sorted(p for p in found if p not in names)
        out.append(mwrs.compute(key, names, found, index.placements))
    return out


def _controller(data: bytes | None, memo: FoldCache) -> Mapping[str, object] | None:
    if data is None:
        return None
    return memo.get("controller", data, lambda: scan.body(data))
