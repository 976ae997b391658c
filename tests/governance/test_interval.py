"""Tests for evaluationInterval: Go durations and when a template is due."""

from __future__ import annotations

import datetime

import pytest

from gitops_ocm.policy import interval

T0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10), ("5m", 300), ("1h30m", 5400), ("1.5h", 5400), ("500ms", 0.5), ("0", 0)],
    ids=["seconds", "minutes", "compound", "fraction", "millis", "zero"],
)
def test_parse_duration(text: str, seconds: float) -> None:
    """Go duration syntax is parsed to a timedelta."""
    assert interval.parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "10", "5 m", "1d", "m5"], ids=str)
def test_parse_duration_rejects(text: str) -> None:
    """Anything that is not a Go duration is an error."""
    with pytest.raises(interval.DurationError):
        interval.parse_duration(text)


SPEC = {"evaluationInterval": {"compliant": "10m", "noncompliant": "never"}}


@pytest.mark.parametrize(
    ("spec", "last", "evaluated", "seconds", "expected"),
    [
        ({}, "Compliant", T0, 1, True),
        (SPEC, "Compliant", T0, 599, False),
        (SPEC, "Compliant", T0, 600, True),
        (SPEC, "NonCompliant", T0, 10**6, False),
        (SPEC, "Pending", T0, 1, True),
        (SPEC, "Compliant", None, 1, True),
        ({"evaluationInterval": {"compliant": "soon"}}, "Compliant", T0, 1, True),
        ({"evaluationInterval": {"compliant": "WATCH"}}, "Compliant", T0, 0, True),
    ],
    ids=[
        "default-watch",
        "duration-not-yet",
        "duration-elapsed",
        "never",
        "pending-always",
        "never-evaluated",
        "malformed-is-watch",
        "watch-any-case",
    ],
)
def test_due(
    spec: dict[str, object],
    last: str,
    evaluated: datetime.datetime | None,
    seconds: int,
    expected: bool,
) -> None:
    """A template is due per the interval of its last compliance."""
    now = T0 + datetime.timedelta(seconds=seconds)
    assert interval.due(spec, last, evaluated, now) is expected
