"""The fleet as the fold sees it: reports, availability, and each work's observed state.

Pure data. These frozen records are what the rollup modules (placements,
ManifestWorkReplicaSets, README) are computed from, so none of them reads a
file or parses YAML.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

from gitops_ocm.status import scan

LEASE_STOPPED = "ManagedClusterLeaseUpdateStopped"
NO_REPORT = "NoReport"


@dataclasses.dataclass(frozen=True)
class Report:
    """One cluster's report branch tip.

    ``files`` is a lazy mapping of the tree (paths relative to the report root),
    read only where needed; ``blobs`` maps the same paths to blob ids, which key
    the parse cache; ``tree_id`` is grafted whole when nothing needs rewriting.
    """

    cluster: str
    tree_id: str
    files: Mapping[str, bytes]
    blobs: Mapping[str, str]
    commit_time: datetime.datetime | None
    observed: datetime.datetime | None = None
    """When the controller first saw this report: no time in it counts as later."""


@dataclasses.dataclass(frozen=True)
class ReportDigest:
    """What the fold needs from one report tree."""

    lease: scan.LeaseDigest | None
    cluster: scan.ClusterDigest | None
    works: Mapping[str, scan.WorkDigest]


class Availability(NamedTuple):
    """``ManagedClusterConditionAvailable`` as the hub sees it, and when the lease expires."""

    status: str
    reason: str
    expires_at: datetime.datetime | None

    @property
    def expired(self) -> bool:
        """Whether the fold set Unknown because the lease was not renewed."""
        return self.reason == LEASE_STOPPED


@dataclasses.dataclass(frozen=True)
class WorkState:
    """One work the hub prescribes to a cluster, with what the cluster last reported of it."""

    cluster: str
    name: str
    hub_blob: str
    replica_set: tuple[str, str] | None
    placement: str | None
    report: scan.WorkDigest | None
    up_to_date: bool = dataclasses.field(init=False, repr=False, compare=False)
    """Whether the report observed the current prescription (and is not being deleted)."""

    def __post_init__(self) -> None:
        report = self.report
        current = (
            report is not None
            and report.prescription == self.hub_blob
            and "Deleting" not in report.true_types
        )
        object.__setattr__(self, "up_to_date", current)  # computed once (frozen dataclass)

    def is_true(self, kind: str) -> bool:
        """Whether work condition ``kind`` is True in an up-to-date report."""
        return self.up_to_date and kind in self.report.true_types  # type: ignore[union-attr]

    def condition(self, kind: str) -> scan.Condition | None:
        """The reported condition ``kind`` (of an up-to-date report), if any."""
        return self.report.get(kind) if self.up_to_date and self.report else None

    @property
    def path(self) -> str:
        """The work's report file in the status tree."""
        return f"clusters/{self.cluster}/manifestworks/{self.name}.yaml"


@dataclasses.dataclass(frozen=True)
class ClusterState:
    """One cluster: accepted or not, its report's digest, availability and works."""

    name: str
    accepted: bool
    report: ReportDigest | None
    availability: Availability
    works: tuple[WorkState, ...]
    derived: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    """Values other modules derive from this (immutable) state, computed once (the README's)."""

    @property
    def renew_time(self) -> datetime.datetime | None:
        """When the lease was last renewed (None without a lease)."""
        lease = self.report.lease if self.report else None
        return lease.renew_time if lease else None

    @property
    def available_condition(self) -> scan.Condition | None:
        """The Available condition as the cluster reported it."""
        cluster = self.report.cluster if self.report else None
        return cluster.get("ManagedClusterConditionAvailable") if cluster else None

    def count(self, kind: str) -> int:
        """How many of its works have condition ``kind`` True for the current prescription."""
        return self._true_counts.get(kind, 0)

    @functools.cached_property
    def _true_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for work in self.works:
            if work.up_to_date and work.report is not None:
                for kind in work.report.true_types:
                    out[kind] = out.get(kind, 0) + 1
        return out


@dataclasses.dataclass
class Folded:
    """The status tree: folders grafted from report trees, and every other file."""

    subtrees: dict[str, str]
    files: dict[str, bytes]
    next_check: datetime.datetime | None
