"""Cluster availability from a report: the lease grace period and the Available condition.

Pure; ``now`` is a parameter. OCM's hub sets ``ManagedClusterConditionAvailable``
to Unknown (reason ``ManagedClusterLeaseUpdateStopped``) when
``now >= renewTime + 5 x leaseDurationSeconds`` (0 or absent: 60 s). A report
without ``lease.yaml`` is never "expired"; a lease whose renewTime cannot be
read counts from the report's commit time. A renewTime later than when the
controller first saw the report is taken as that moment (a report is
untrusted: a lease dated 2099 must not keep a cluster available). Otherwise the cluster's own
condition stands. The built-in taints the scheduler uses
(``cluster.open-cluster-management.io/unreachable`` for missing or Unknown,
``.../unavailable`` for False) are derived from this condition by
``placement.inventory``; :func:`taint` names the one that applies.
"""

from __future__ import annotations

import datetime
from typing import Any

from gitops_ocm.model import timefmt, yamlout
from gitops_ocm.placement import inventory
from gitops_ocm.status import scan, views
from gitops_ocm.status.cache import FoldCache

GRACE_FACTOR = 5
LEASE_MESSAGE = "Registration agent stopped updating its lease."


def availability(
    report: views.Report, now: datetime.datetime, cache: FoldCache | None = None
) -> views.Availability:
    """Return (status, reason, expires_at) for one report at ``now``."""
    return of_digest(digest(report, cache), report.commit_time, now, report.observed)


def of_digest(
    found: views.ReportDigest,
    commit_time: datetime.datetime | None,
    now: datetime.datetime,
    observed: datetime.datetime | None = None,
) -> views.Availability:
    """Availability from an already-read report (first seen by the controller at ``observed``)."""
    expires = expiry(found.lease, commit_time, observed)
    if expires is not None and now >= expires:
        return views.Availability("Unknown", views.LEASE_STOPPED, expires)
    cond = found.cluster.get(inventory.AVAILABLE) if found.cluster else None
    if cond is None:
        return views.Availability("Unknown", "NotReported", expires)
    return views.Availability(cond.status or "Unknown", cond.reason, expires)


def no_report() -> views.Availability:
    """Availability of an accepted cluster that has not reported yet (OCM: not joined)."""
    return views.Availability("Unknown", views.NO_REPORT, None)


def expiry(
    lease: scan.LeaseDigest | None,
    commit_time: datetime.datetime | None,
    observed: datetime.datetime | None = None,
) -> datetime.datetime | None:
    """When the lease expires: renewTime (or the commit time) + 5 x leaseDurationSeconds.

    The renewal counts no later than ``observed``, when the controller first saw it.
    """
    if lease is None:
        return None
    renewed = lease.renew_time or commit_time
    if renewed is None:
        return None
    if observed is not None and renewed > observed:
        renewed = observed
    return renewed + datetime.timedelta(seconds=GRACE_FACTOR * lease.seconds)


def taint(status: str) -> str | None:
    """The built-in taint OCM keeps on a cluster with this Available status."""
    if status == "True":
        return None
    return inventory.UNAVAILABLE if status == "False" else inventory.UNREACHABLE


def digest(report: views.Report, cache: FoldCache | None = None) -> views.ReportDigest:
    """Read a report's lease, cluster and work files (through the cache, by blob id)."""
    memo = cache if cache is not None else FoldCache()  # an empty cache is falsy
    return memo.get("report", report.tree_id, lambda: _read(report, memo))


def _read(report: views.Report, cache: FoldCache) -> views.ReportDigest:
    blobs = report.blobs

    def read(path: str, kind: str, parse: Any) -> Any:
        return cache.get(kind, blobs[path], lambda: parse(report.files[path]))

    works = {
        path[len("manifestworks/") : -len(".yaml")]: read(path, "work", scan.work)
        for path in sorted(blobs)
        if path.startswith("manifestworks/") and path.endswith(".yaml") and path.count("/") == 1
    }
    return views.ReportDigest(
        lease=read("lease.yaml", "lease", scan.lease) if "lease.yaml" in blobs else None,
        cluster=read("cluster.yaml", "cluster", scan.cluster) if "cluster.yaml" in blobs else None,
        works=works,
    )


def clamped(data: bytes, clamp: datetime.datetime) -> bytes:
    """A report's cluster.yaml or lease.yaml with every time after ``clamp`` set to it."""
    body = scan.body(data)
    spec = body.get("spec")
    if isinstance(spec, dict) and _after(spec.get("renewTime"), clamp):
        spec["renewTime"] = timefmt.format_micro(clamp)
    status = body.get("status")
    for cond in (status.get("conditions") or []) if isinstance(status, dict) else []:
        if isinstance(cond, dict) and _after(cond.get("lastTransitionTime"), clamp):
            cond["lastTransitionTime"] = timefmt.format_seconds(clamp)
    return yamlout.dump(body)


def _after(value: object, clamp: datetime.datetime) -> bool:
    when = timefmt.parse(value)
    return when is not None and when > clamp


def expired_cluster_yaml(cluster: str, data: bytes | None, expires: datetime.datetime) -> bytes:
    """The report's cluster.yaml with Available set to Unknown as of the lease expiry."""
    body = scan.body(data) if data else {}
    body.setdefault("apiVersion", "cluster.open-cluster-management.io/v1")
    body.setdefault("kind", "ManagedCluster")
    body.setdefault("metadata", {"name": cluster})
    status = body.setdefault("status", {})
    if not isinstance(status, dict):
        status = body["status"] = {}
    old = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    unknown = {
        "type": inventory.AVAILABLE,
        "status": "Unknown",
        "reason": views.LEASE_STOPPED,
        "message": LEASE_MESSAGE,
        "lastTransitionTime": timefmt.format_seconds(expires),
    }
    replaced = [unknown if c.get("type") == inventory.AVAILABLE else c for c in old]
    status["conditions"] = replaced if unknown in replaced else [*old, unknown]
    return yamlout.dump(body)
