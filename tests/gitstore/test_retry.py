"""Back-off policy: capped exponential delays with jitter, injected sleep."""

from __future__ import annotations

import pytest

from gitops_ocm import errors, retry


def test_delays_double_up_to_the_cap() -> None:
    """Without jitter, delays double from base and stop at the cap."""
    got = [retry.delay(n, base=0.1, cap=1.0, jitter=0.0, draw=0.7) for n in range(6)]
    assert got == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_jitter_reduces_within_fraction() -> None:
    """Jitter takes off at most its fraction of the delay."""
    assert retry.delay(2, base=1.0, cap=10.0, jitter=0.5, draw=1.0) == pytest.approx(2.0)
    assert retry.delay(2, base=1.0, cap=10.0, jitter=0.5, draw=0.0) == pytest.approx(4.0)


def test_retries_transient_then_succeeds() -> None:
    """Transient errors are retried with the injected sleep until the call succeeds."""
    slept: list[float] = []
    calls = iter([errors.Transient("down"), errors.RefConflict("race"), "ok"])

    def flaky() -> str:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    assert retry.retry(flaky, base=0.5, jitter=0.0, sleep=slept.append) == "ok"
    assert slept == [0.5, 1.0]


def test_gives_up_after_attempts_and_reraises() -> None:
    """After the last attempt the last error propagates."""
    slept: list[float] = []

    def down() -> None:
        raise errors.Transient("still down")

    with pytest.raises(errors.Transient, match="still down"):
        retry.retry(down, attempts=4, sleep=slept.append, rng=lambda: 0.0)
    assert len(slept) == 3


def test_other_errors_are_not_retried() -> None:
    """Invalid input propagates at once."""
    slept: list[float] = []

    def bad() -> None:
        raise errors.InvalidInput("no")

    with pytest.raises(errors.InvalidInput):
        retry.retry(bad, sleep=slept.append)
    assert slept == []
