"""Retrying transient failures with capped, jittered exponential back-off.

Pure policy with injected effects: the delay schedule is a pure function of the
attempt number and a random draw; the clock (``sleep``) and the random source
(``rng``) are parameters, so tests run instantly and deterministically.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from gitops_ocm import errors

T = TypeVar("T")


def delay(attempt: int, *, base: float, cap: float, jitter: float, draw: float) -> float:
    """Seconds to wait after failed ``attempt`` (0-based): ``min(cap, base * 2**attempt)``,
    reduced by up to ``jitter`` (a fraction, 0..1) according to ``draw`` (0..1)."""
    ceiling = min(cap, base * 2.0**attempt)
    return ceiling * (1.0 - jitter * draw)


def retry(
    fn: Callable[[], T],
    *,
    attempts: int = 6,
    base: float = 0.1,
    cap: float = 5.0,
    jitter: float = 0.5,
    retry_on: tuple[type[BaseException], ...] = (errors.Transient,),
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
) -> T:
    """Call ``fn`` until it returns, retrying ``retry_on`` errors up to ``attempts`` calls.

    The last error is re-raised once the attempts are used up; any other error
    propagates at once. ``on_retry(attempt, error, seconds)`` is told before each wait.
    """
    if attempts < 1:
        raise ValueError(f"'attempts' must be >= 1 (got {attempts})")
    for attempt in range(attempts):
        try:
            return fn()
        except retry_on as exc:
            if attempt == attempts - 1:
                raise
            seconds = delay(attempt, base=base, cap=cap, jitter=jitter, draw=rng())
            if on_retry is not None:
                on_retry(attempt, exc, seconds)
            sleep(seconds)
    raise AssertionError("unreachable")
