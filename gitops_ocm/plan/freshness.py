"""How fresh the status a plan scheduled against is: its age and the leases expired since.

Pure; ``now`` is a parameter. ``plan`` schedules both sides against the last
folded ``ocm/status``. A reviewer needs to know how old that is and which
clusters have stopped renewing their lease since: OCM's hub, and our fold on
its next pass, turns such a cluster Unknown (``now >= renewTime + 5 x
leaseDurationSeconds``, the rule of :mod:`gitops_ocm.status.availability`),
which can move it out of placements after the merge. The plan keeps using the
last reported availability (both sides alike) and lists those clusters.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any

from gitops_ocm.model import timefmt
from gitops_ocm.status import availability, scan

ASSUMED = "none (every accepted cluster assumed available)"


@dataclasses.dataclass(frozen=True)
class ExpiredLease:
    """A cluster whose lease expired before ``now``; ``renewed`` None: no readable renewTime."""

    cluster: str
    renewed: datetime.datetime | None


@dataclasses.dataclass(frozen=True)
class Freshness:
    """Where the status came from, when it was written, and the leases expired by ``now``."""

    source: str | None = None  # "heads/ocm/status" or "remotes/origin/ocm/status"; None: assumed
    commit: str | None = None
    written: datetime.datetime | None = None
    age_seconds: int | None = None
    expired: tuple[ExpiredLease, ...] = ()


def of_status(
    files: Mapping[str, bytes],
    source: str,
    commit: str,
    written: datetime.datetime,
    now: datetime.datetime,
) -> Freshness:
    """Read the ``clusters/<c>/lease.yaml`` files of a status tree written at ``written``."""
    expired = []
    for path in sorted(files):
        parts = path.split("/")
        if len(parts) != 3 or parts[0] != "clusters" or parts[2] != "lease.yaml":
            continue
        lease = scan.lease(files[path])  # unreadable: no renewTime, as the fold reads it
        ends = availability.expiry(lease, written)
        if ends is not None and now >= ends:
            expired.append(ExpiredLease(parts[1], lease.renew_time))
    age = int((now - written).total_seconds())
    return Freshness(source, commit, written, age, tuple(expired))


def lines(fresh: Freshness) -> list[str]:
    """Return the two lines every output form shows: the status read, the expired leases."""
    if fresh.source is None or fresh.written is None or fresh.age_seconds is None:
        return [f"status: {ASSUMED}"]
    age = fresh.age_seconds
    when = f"{span(age)} before now" if age >= 0 else f"{span(-age)} after now"
    status = (
        f"status: {fresh.source} at {(fresh.commit or '')[:12]}, "
        f"written {timefmt.format_seconds(fresh.written)} ({when})"
    )
    leases = ", ".join(f"{e.cluster} ({_renewed(e.renewed)})" for e in fresh.expired)
    return [status, f"expired leases: {leases or 'none'}"]


def to_dict(fresh: Freshness) -> dict[str, Any]:
    """Return the JSON form (docs/plan.md)."""
    return {
        "source": fresh.source,
        "commit": fresh.commit,
        "written": timefmt.format_seconds(fresh.written) if fresh.written else None,
        "ageSeconds": fresh.age_seconds,
        "expiredLeases": [
            {
                "cluster": e.cluster,
                "renewed": timefmt.format_seconds(e.renewed) if e.renewed else None,
            }
            for e in fresh.expired
        ],
    }


def span(seconds: int) -> str:
    """Return a duration in its two largest units: ``2d3h``, ``1h30m``, ``5m20s``, ``40s``."""
    units = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
    for index, (name, size) in enumerate(units[:-1]):
        if seconds >= size:
            small, small_size = units[index + 1]
            rest = (seconds % size) // small_size
            return f"{seconds // size}{name}{rest}{small}" if rest else f"{seconds // size}{name}"
    return f"{seconds}s"


def _renewed(value: datetime.datetime | None) -> str:
    return f"renewed {timefmt.format_seconds(value)}" if value else "no renewTime"
