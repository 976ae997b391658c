"""Folding reports into the status tree: grafts, expired leases, next check, determinism."""

from __future__ import annotations

import datetime

from statuskit import NOW, Fleet, controller_yaml

from gitops_ocm.model import yamlout
from gitops_ocm.status import hubindex
from gitops_ocm.status.cache import FoldCache

S = datetime.timedelta(seconds=1)


def test_fresh_reports_are_grafted_whole() -> None:
    """Clusters with a fresh lease are grafted by tree id; no file is written under them."""
    fleet = Fleet()
    out = fleet.fold()
    assert out.subtrees == {f"clusters/{c}": fleet.reports[c].tree_id for c in fleet.clusters}
    assert not [p for p in out.files if p.startswith("clusters/")]
    assert out.files["controller.yaml"] == controller_yaml()
    assert {
        "README.md",
        "placements/apps/all.yaml",
        "manifestworkreplicasets/apps/web.yaml",
    } <= set(out.files)


def test_expired_lease_rewrites_cluster_yaml() -> None:
    """An expired lease: the cluster is written file by file, Available Unknown as of expiry."""
    fleet = Fleet()
    fleet.set_report("c2", renewed=NOW - 400 * S)
    out = fleet.fold()
    assert "clusters/c2" not in out.subtrees
    report = fleet.reports["c2"]
    assert set(out.files) >= {f"clusters/c2/{p}" for p in report.blobs}
    assert out.files["clusters/c2/lease.yaml"] == report.files["lease.yaml"]
    body = yamlout.load(out.files["clusters/c2/cluster.yaml"])
    conds = {c["type"]: c for c in body["status"]["conditions"]}
    assert conds["ManagedClusterConditionAvailable"] == {
        "type": "ManagedClusterConditionAvailable",
        "status": "Unknown",
        "reason": "ManagedClusterLeaseUpdateStopped",
        "message": "Registration agent stopped updating its lease.",
        "lastTransitionTime": "2024-05-01T11:58:20Z",
    }
    assert conds["ManagedClusterJoined"]["status"] == "True"
    assert body["status"]["version"] == {"kubernetes": "v1.30.0"}


def test_next_check_is_earliest_future_expiry() -> None:
    """next_check is the earliest lease expiry still ahead; expired and lease-less are ignored."""
    fleet = Fleet(["c1", "c2", "c3", "c4"])
    fleet.set_report("c1", renewed=NOW - 100 * S)
    fleet.set_report("c2", renewed=NOW - 30 * S, seconds=10)  # grace 50 s: expires at +20 s
    fleet.set_report("c3", renewed=NOW - 500 * S)
    fleet.set_report("c4", lease=False)
    assert fleet.fold().next_check == NOW + 20 * S
    fleet.set_report("c2", renewed=NOW - 60 * S, seconds=10)
    assert fleet.fold().next_check == NOW + 200 * S


def test_cluster_without_report() -> None:
    """An accepted cluster without a report gets no files; the README says so."""
    fleet = Fleet()
    del fleet.reports["c3"]
    out = fleet.fold()
    assert not [p for p in [*out.files, *out.subtrees] if p.startswith("clusters/c3")]
    assert "c3: `NO REPORT` accepted, no report yet" in out.files["README.md"].decode()


def test_fold_is_deterministic_and_cache_transparent() -> None:
    """Same inputs, same output, with or without a (warm) cache."""
    fleet = Fleet()
    fleet.set_report("c2", renewed=NOW - 400 * S)
    cache = FoldCache()
    first = fleet.fold(cache=cache)
    assert fleet.fold(cache=cache) == first
    assert fleet.fold() == first
    assert fleet.fold(hub_blobs={p: hubindex.blob_id(d) for p, d in fleet.hub.items()}) == first


def test_refold_reads_only_the_changed_report() -> None:
    """After one lease renewal, a warm fold parses only that report's new lease."""
    fleet = Fleet()
    cache = FoldCache()
    fleet.fold(cache=cache)
    fleet.set_report("c1", renewed=NOW + 5 * S)
    fleet.fold(NOW + 5 * S, cache=cache)
    # the report tree and its new lease blob; the README rollups are recomputed, not parsed
    assert cache.misses <= 4


def test_reports_of_clusters_not_accepted_are_grafted_and_listed() -> None:
    """A report from a cluster the hub has not accepted is kept and listed separately."""
    fleet = Fleet()
    fleet.set_report("stranger")
    out = fleet.fold()
    assert "clusters/stranger" in out.subtrees
    assert "## Reports from clusters not accepted" in out.files["README.md"].decode()
