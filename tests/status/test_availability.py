"""Lease expiry and availability (OCM: Unknown after 5 x leaseDurationSeconds)."""

from __future__ import annotations

import datetime

import pytest
from statuskit import NOW, cluster_yaml, lease_yaml, report

from gitops_ocm.status import availability, views

S = datetime.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("lease_seconds", "age", "has_lease", "available", "expect"),
    [
        pytest.param(
            60, 10 * S, True, "True", ("True", "ManagedClusterAvailable", 290), id="fresh"
        ),
        pytest.param(
            60, 300 * S, True, "True", ("Unknown", views.LEASE_STOPPED, 0), id="at-expiry"
        ),
        pytest.param(
            60, 400 * S, True, "True", ("Unknown", views.LEASE_STOPPED, -100), id="expired"
        ),
        pytest.param(
            0, 299 * S, True, "True", ("True", "ManagedClusterAvailable", 1), id="zero-is-60"
        ),
        pytest.param(
            None, 301 * S, True, "True", ("Unknown", views.LEASE_STOPPED, -1), id="absent-60"
        ),
        pytest.param(
            10, 60 * S, True, "True", ("Unknown", views.LEASE_STOPPED, -10), id="short-lease"
        ),
        pytest.param(
            60, 9999 * S, False, "True", ("True", "ManagedClusterAvailable", None), id="no-lease"
        ),
        pytest.param(
            60,
            0 * S,
            True,
            "False",
            ("False", "ManagedClusterKubeAPIServerUnavailable", 300),
            id="agent-says-false",
        ),
        pytest.param(60, 0 * S, True, None, ("Unknown", "NotReported", 300), id="no-condition"),
    ],
)
def test_availability(
    lease_seconds: int | None,
    age: datetime.timedelta,
    has_lease: bool,
    available: str | None,
    expect: tuple[str, str, int | None],
) -> None:
    """Availability follows the lease grace period, else the cluster's own condition."""
    files = {"cluster.yaml": cluster_yaml("c1", available)}
    if has_lease:
        files["lease.yaml"] = lease_yaml(NOW - age, lease_seconds)
    status, reason, expires_at = availability.availability(report("c1", files), NOW)
    left = None if expires_at is None else round((expires_at - NOW).total_seconds())
    assert (status, reason, left) == expect


def test_expired_flag_and_taints() -> None:
    """An expired lease is flagged; taints follow OCM (Unknown: unreachable, False: unavailable)."""
    found = views.Availability("Unknown", views.LEASE_STOPPED, NOW)
    assert found.expired
    assert availability.taint("Unknown") == "cluster.open-cluster-management.io/unreachable"
    assert availability.taint("False") == "cluster.open-cluster-management.io/unavailable"
    assert availability.taint("True") is None


def test_unreadable_renew_time_counts_from_the_commit() -> None:
    """A lease without a readable renewTime counts from the report's commit time."""
    lease = b"apiVersion: coordination.k8s.io/v1\nkind: Lease\nspec:\n  leaseDurationSeconds: 60\n"
    base = report("c1", {"cluster.yaml": cluster_yaml("c1"), "lease.yaml": lease})
    dated = views.Report("c1", base.tree_id, base.files, base.blobs, NOW - 400 * S)
    assert availability.availability(dated, NOW).reason == views.LEASE_STOPPED
    assert availability.availability(base, NOW).expires_at is None
