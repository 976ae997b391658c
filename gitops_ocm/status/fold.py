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
This is the one-shot form; the controller keeps an
:class:`~gitops_ocm.status.incremental.Folder` between passes, which gives the
same output and recomputes only what changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from gitops_ocm.status import availability as availability_mod
from gitops_ocm.status import hubindex, incremental, rollouts, views
from gitops_ocm.status.cache import FoldCache

Report = views.Report
Availability = views.Availability
Folded = views.Folded
availability = availability_mod.availability
ReplicaSetKey = tuple[str, str]


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
    condition transition times of unchanged statuses. ``hub_tree`` is accepted
    for callers of earlier versions (the cache is keyed by blob ids).
    """
    del hub_tree
    works, placements, read = hubindex.split(hub, hub_blobs)
    inputs = incremental.Inputs(
        reports,
        frozenset(accepted_clusters),
        incremental.Hub(works, placements, read, rollouts.listings(hub, hub_blobs)),
        controller_yaml,
        repo_url,
        replica_sets or {},
        previous,
    )
    return incremental.Folder(cache).fold(inputs, now)
