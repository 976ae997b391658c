"""RFC 3339 times: the two Kubernetes layouts written, any offset read."""

from __future__ import annotations

import datetime

import pytest

from gitops_ocm.model import timefmt

UTC = datetime.UTC
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))
WHEN = datetime.datetime(2026, 1, 2, 15, 4, 5, 123456, tzinfo=UTC)


def test_format_seconds_is_metav1_time() -> None:
    """Whole seconds, UTC, a Z: the fraction is dropped, not rounded."""
    assert timefmt.format_seconds(WHEN) == "2026-01-02T15:04:05Z"


def test_format_micro_is_metav1_microtime() -> None:
    """Six fractional digits, UTC, a Z, as a Lease's renewTime."""
    assert timefmt.format_micro(WHEN) == "2026-01-02T15:04:05.123456Z"
    assert timefmt.format_micro(WHEN.replace(microsecond=0)) == "2026-01-02T15:04:05.000000Z"


def test_formats_convert_to_utc() -> None:
    """A time with another offset is written as the same instant in UTC."""
    local = WHEN.astimezone(PLUS2)
    assert timefmt.format_seconds(local) == "2026-01-02T15:04:05Z"
    assert timefmt.format_micro(local) == "2026-01-02T15:04:05.123456Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-01-02T15:04:05Z", WHEN.replace(microsecond=0), id="seconds-z"),
        pytest.param("2026-01-02T15:04:05.123456Z", WHEN, id="micro-z"),
        pytest.param("2026-01-02T17:04:05+02:00", WHEN.replace(microsecond=0), id="offset"),
        pytest.param("2026-01-02T15:04:05", WHEN.replace(microsecond=0), id="naive-is-utc"),
        pytest.param(WHEN, WHEN, id="datetime-as-is"),
        pytest.param(WHEN.replace(tzinfo=None), WHEN, id="naive-datetime-is-utc"),
    ],
)
def test_parse_reads_rfc3339(text: object, expected: datetime.datetime) -> None:
    """Both layouts and any offset parse to the same aware instant."""
    parsed = timefmt.parse(text)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("yesterday", id="words"),
        pytest.param(1767366245, id="number"),
    ],
)
def test_parse_rejects_what_is_not_a_time(value: object) -> None:
    """Absent or malformed values parse to None, never raise."""
    assert timefmt.parse(value) is None


def test_round_trip_through_both_layouts() -> None:
    """What is written reads back as the same instant (to its precision)."""
    assert timefmt.parse(timefmt.format_micro(WHEN)) == WHEN
    assert timefmt.parse(timefmt.format_seconds(WHEN)) == WHEN.replace(microsecond=0)
