"""Root Policy and PolicySet status files and the README's Compliance section, kept between passes.

Pure (the rules are :mod:`gitops_ocm.policy.rollup`'s). A root policy's
status lists every cluster it is replicated to (``ocm/hub``:
``clusters/<c>/policies/<ns>.<name>.yaml``) with the compliance that cluster
reported (``clusters/<c>/policies/<ns>.<name>.yaml`` of its report). At fleet
scale that is 200 policies over 10,000 clusters, so :class:`Compliance` keeps,
per policy, each cluster's report blob id and compliance, and per cluster what
they were read from (its replicated policy names and report tree id). A pass
re-reads only clusters whose names or report changed, and rebuilds only the
policies one of them touched; the output equals a fresh :class:`Compliance`'s.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, cast

from gitops_ocm.model import yamlout
from gitops_ocm.policy import compliancestate, rollup
from gitops_ocm.status import views
from gitops_ocm.status.cache import FoldCache

PolicyKey = tuple[str, str]
Entry = tuple[str, str | None]  # (replica name "<ns>.<name>", report blob id or None)
Member = tuple[str | None, str, bytes | None]  # report blob id, compliance, row in the file


_ROWS_AT = b"status:\n  status:\n"
_REBUILD_SHARE = 8  # rebuild a policy's rows when more than 1/8 of its members changed
_STATES = {
    compliancestate.COMPLIANT: "compliant",
    compliancestate.NONCOMPLIANT: "noncompliant",
    compliancestate.PENDING: "pending",
}


@dataclasses.dataclass
class _Rows:
    """One root policy's members in cluster order: names, file rows, and counts by state."""

    clusters: list[str]
    rows: list[bytes | None]
    counts: dict[str, int]  # compliant, noncompliant, pending, unknown (as counts_of)
    odd: int  # rows not in the usual shape (None)

    @classmethod
    def of(cls, members: Mapping[str, Member]) -> _Rows:
        """Build from all members (sorting them once)."""
        clusters = sorted(members)
        rows = [members[c][2] for c in clusters]
        counts = rollup.counts_of(m[1] for m in members.values())
        return cls(clusters, rows, counts, rows.count(None))

    def remove(self, cluster: str, old: Member) -> None:
        """Take one member out."""
        at = bisect.bisect_left(self.clusters, cluster)
        del self.clusters[at]
        del self.rows[at]
        self.counts[_STATES.get(old[1], "unknown")] -= 1
        self.odd -= old[2] is None

    def add(self, cluster: str, new: Member) -> None:
        """Put one member in (not present)."""
        at = bisect.bisect_left(self.clusters, cluster)
        self.clusters.insert(at, cluster)
        self.rows.insert(at, new[2])
        self.counts[_STATES.get(new[1], "unknown")] += 1
        self.odd += new[2] is None

    def compliant(self) -> str:
        """The root compliance (``compliancestate.root_compliance`` of the members' states)."""
        n = self.counts
        if not self.clusters:
            return ""
        if n["noncompliant"]:
            return compliancestate.NONCOMPLIANT
        if n["pending"]:
            return compliancestate.PENDING
        if n["unknown"]:
            return ""
        return compliancestate.COMPLIANT


@dataclasses.dataclass(frozen=True)
class Root:
    """One root policy's compliance, file and README row."""

    compliant: str
    data: bytes
    row: str

    @property
    def summary(self) -> Mapping[str, Any]:
        """What a PolicySet reads of the root's status."""
        return {"compliant": self.compliant} if self.compliant else {}


class Compliance:
    """Root policy and PolicySet statuses, recomputed only where a cluster's input changed."""

    def __init__(self) -> None:
        self._clusters: dict[str, tuple[object, tuple[Entry, ...]]] = {}
        self._members: dict[str, dict[str, Member]] = {}
        self._roots: dict[str, Root] = {}
        self._lists: dict[str, _Rows] = {}  # members in order, kept in step with _members
        self._changes: dict[str, dict[str, Member | None]] = {}  # this pass: replica -> old
        self._rows: dict[str, dict[str, bytes | None]] = {}  # cluster -> compliance -> YAML

    def fold(
        self,
        placed: Mapping[str, tuple[str, ...]],
        reports: Mapping[str, views.Report],
        policy_sets: Mapping[PolicyKey, Sequence[str]],
        cache: FoldCache,
    ) -> tuple[dict[str, bytes], str]:
        """Return the policy and policy set files and the Compliance section.

        ``placed`` maps a cluster to the names (``<ns>.<name>``) of the policies
        replicated to it on the hub; ``reports`` are the clusters' reports.
        """
        dirty: set[str] = set()
        for cluster in self._clusters.keys() - placed.keys():
            self._update(cluster, (), dirty)
            del self._clusters[cluster]
            self._rows.pop(cluster, None)
        for cluster, names in placed.items():
            report = reports.get(cluster)
            key: object = (names, report.tree_id if report is not None else None)
            known = self._clusters.get(cluster)
            if known is not None and known[0] == key:
                continue
            blobs = report.blobs if report is not None else {}
            entries = tuple((name, blobs.get(f"policies/{name}.yaml")) for name in names)
            if known is None or known[1] != entries:
                self._update(cluster, entries, dirty, report, cache)
            self._clusters[cluster] = (key, entries)
        for replica in dirty:
            members = self._members.get(replica)
            changes = self._changes.pop(replica, {})
            if members:
                self._roots[replica] = self._root(replica, members, changes)
            else:
                self._members.pop(replica, None)
                self._roots.pop(replica, None)
                self._lists.pop(replica, None)
        self._changes.clear()
        return self._files(policy_sets)

    def _update(
        self,
        cluster: str,
        entries: tuple[Entry, ...],
        dirty: set[str],
        report: views.Report | None = None,
        cache: FoldCache | None = None,
    ) -> None:
        """Replace one cluster's entries in the policies' member lists."""
        known = self._clusters.get(cluster)
        new = dict(entries)
        changes = self._changes
        for replica, _blob in known[1] if known else ():
            if replica not in new:
                gone = self._members[replica].pop(cluster)
                changes.setdefault(replica, {}).setdefault(cluster, gone)
                dirty.add(replica)
        rows = self._rows.setdefault(cluster, {})
        all_members = self._members
        for replica, blob in entries:
            members = all_members.get(replica)
            if members is None:
                members = all_members[replica] = {}
            old = members.get(cluster)
            if old is not None and old[0] == blob:
                continue
            compliant = "" if blob is None else _compliance(report, replica, blob, cache)
            if compliant not in rows:
                rows[compliant] = _fragment(_row(cluster, compliant))
            members[cluster] = (blob, compliant, rows[compliant])
            changes.setdefault(replica, {}).setdefault(cluster, old)
            dirty.add(replica)

    def _root(
        self, replica: str, members: Mapping[str, Member], changes: Mapping[str, Member | None]
    ) -> Root:
        """Compute one root policy's compliance, file and README row.

        The file is what ``yamlout.dump`` gives for the whole Policy; its rows
        (one per cluster, last in the document) are each dumped once per
        (cluster, compliance) and joined, which makes rebuilding a 10,000-cluster
        policy cheap. The rows are kept in cluster order with the counts by
        state; ``changes`` (cluster -> member before this pass, None if new)
        updates them, so a policy whose membership moved by a few clusters costs
        a few list edits and one join. Rows that do not come out in the expected
        shape fall back to dumping the whole body.
        """
        namespace, _, name = replica.partition(".")
        kept = self._lists.get(replica)
        if kept is None or len(changes) * _REBUILD_SHARE > len(members):
            kept = self._lists[replica] = _Rows.of(members)
        else:
            for cluster, old in changes.items():
                if old is not None:
                    kept.remove(cluster, old)
                new = members.get(cluster)
                if new is not None:
                    kept.add(cluster, new)
        compliant = kept.compliant()
        row = rollup.readme_row_of((namespace, name), compliant, kept.counts)
        clusters = kept.clusters
        first_state = members[clusters[0]][1]
        if kept.odd:
            first = [_row(cluster, members[cluster][1]) for cluster in clusters]
            rest: list[bytes] = []
        else:
            first = [_row(clusters[0], first_state)]
            rest = cast(list[bytes], kept.rows[1:])  # no None: kept.odd is 0
        head: dict[str, Any] = {"compliant": compliant} if compliant else {}
        body = {
            "apiVersion": "policy.open-cluster-management.io/v1",
            "kind": "Policy",
            "metadata": {"name": name, "namespace": namespace},
            "status": {**head, "status": first},
        }
        data = yamlout.dump(body) + b"".join(rest)
        return Root(compliant, data, row)

    def _files(
        self, policy_sets: Mapping[PolicyKey, Sequence[str]]
    ) -> tuple[dict[str, bytes], str]:
        files: dict[str, bytes] = {}
        roots: dict[PolicyKey, Mapping[str, Any]] = {}
        rows = []
        for replica in sorted(self._roots):
            namespace, _, name = replica.partition(".")
            root = self._roots[replica]
            roots[(namespace, name)] = root.summary
            files[f"policies/{namespace}/{name}.yaml"] = root.data
        for key in sorted(roots):
            rows.append(self._roots[f"{key[0]}.{key[1]}"].row)
        for (namespace, name), members in sorted(policy_sets.items()):
            names = {n: roots.get((namespace, n)) for n in members}
            body = {
                "apiVersion": "policy.open-cluster-management.io/v1beta1",
                "kind": "PolicySet",
                "metadata": {"name": name, "namespace": namespace},
                "status": rollup.policyset_status(members, names),
            }
            files[f"policysets/{namespace}/{name}.yaml"] = yamlout.dump(body)
        return files, rollup.readme_section_of(rows)


def _compliance(
    report: views.Report | None, replica: str, blob: str | None, cache: FoldCache | None
) -> str:
    """The compliance a cluster reported for a replicated policy ("" without a report)."""
    if blob is None or report is None or cache is None:
        return ""
    path = f"policies/{replica}.yaml"
    files = report.files
    return cache.get(
        "policy-compliance", blob, lambda: rollup.cluster_compliance(_body(files[path]))
    )


def _body(data: bytes) -> dict[str, Any] | None:
    return yamlout.load_mapping(data) or None


def _row(cluster: str, compliance: str) -> dict[str, str]:
    row = {"clustername": cluster, "clusternamespace": cluster}
    if compliance:
        row["compliant"] = compliance
    return row


def _fragment(row: Mapping[str, str]) -> bytes | None:
    """One row as it appears in a root policy's file (None if not in the usual shape)."""
    text = yamlout.dump({"status": {"status": [dict(row)]}})
    return text[len(_ROWS_AT) :] if text.startswith(_ROWS_AT) else None
