"""The status freshness a plan reports: age spans and which leases expired by now."""

from __future__ import annotations

import datetime

import pytest
import yaml

from gitops_ocm.plan import freshness

WRITTEN = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0, "0s", id="zero"),
        pytest.param(40, "40s", id="seconds"),
        pytest.param(320, "5m20s", id="minutes-seconds"),
        pytest.param(3600, "1h", id="whole-hour"),
        pytest.param(5400, "1h30m", id="hour-minutes"),
        pytest.param(183_600, "2d3h", id="days-hours"),
    ],
)
def test_span_shows_the_two_largest_units(seconds: int, text: str) -> None:
    """A duration is written in its two largest non-zero units."""
    assert freshness.span(seconds) == text


def _lease(renewed: str | None, seconds: int = 60) -> bytes:
    spec: dict[str, object] = {"leaseDurationSeconds": seconds}
    if renewed is not None:
        spec["renewTime"] = renewed
    return yaml.safe_dump({"kind": "Lease", "spec": spec}).encode()


def test_expired_leases_follow_the_grace_period() -> None:
    """A lease expires 5 x its duration after renewTime (else the commit: none, torn ones)."""
    files = {
        "clusters/fresh/lease.yaml": _lease("2026-01-01T12:01:00Z"),
        "clusters/late/lease.yaml": _lease("2026-01-01T11:50:00Z"),
        "clusters/long/lease.yaml": _lease("2026-01-01T11:50:00Z", seconds=600),
        "clusters/none/lease.yaml": _lease(None),
        "clusters/none/cluster.yaml": b"kind: ManagedCluster\n",
        "clusters/torn/lease.yaml": b"spec: [unclosed\n",
    }
    now = WRITTEN + datetime.timedelta(minutes=5)
    got = freshness.of_status(files, "heads/ocm/status", "a" * 40, WRITTEN, now)
    assert [(e.cluster, e.renewed) for e in got.expired] == [
        ("late", datetime.datetime(2026, 1, 1, 11, 50, tzinfo=datetime.UTC)),
        ("none", None),
        ("torn", None),
    ]
    assert got.age_seconds == 300
    assert freshness.lines(got)[1] == (
        "expired leases: late (renewed 2026-01-01T11:50:00Z), none (no renewTime), "
        "torn (no renewTime)"
    )


def test_status_written_after_now_says_so() -> None:
    """A status newer than --now is shown as written after now, with no expired lease."""
    got = freshness.of_status(
        {}, "heads/ocm/status", "b" * 40, WRITTEN, WRITTEN - datetime.timedelta(seconds=90)
    )
    assert freshness.lines(got) == [
        f"status: heads/ocm/status at {'b' * 12}, written 2026-01-01T12:00:00Z (1m30s after now)",
        "expired leases: none",
    ]
