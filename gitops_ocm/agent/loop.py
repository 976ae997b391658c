"""The agent's loop: when to run the next pass, and what to do with its result.

I/O shell around :class:`.reconciler.Agent`. Each pass's result is printed as
one line (on stderr while Git or the hub branch holds the report back, else on
stdout); with ``once`` the loop returns the pass's exit code
(:meth:`.results.PassResult.exit_code`, from the error classes of its failures),
otherwise it runs the next pass ``interval`` seconds later until ``stop`` is set
and returns 0. A pass's failures never end the loop: they are in the next
report, and the next pass tries again.
"""

from __future__ import annotations

import dataclasses
import datetime
import sys
import threading
from collections.abc import Callable

from gitops_ocm.agent import reconciler, results


@dataclasses.dataclass(frozen=True)
class Schedule:
    """How often passes run, and whether only one does."""

    interval: float
    once: bool = False


def run(
    agent: reconciler.Agent,
    schedule: Schedule,
    stop: threading.Event,
    after_pass: Callable[[], None] = lambda: None,
) -> int:
    """Run passes until ``stop`` is set (or one with ``once``); return the exit code."""
    while True:
        result = agent.run_once(datetime.datetime.now(datetime.UTC))
        after_pass()
        log(result, agent.settings.cluster)
        if schedule.once:
            return result.exit_code()
        if stop.wait(schedule.interval):
            return 0


def log(result: results.PassResult, cluster: str) -> None:
    """Print the pass's line: on stderr when Git or the hub branch held the report back."""
    stream = sys.stderr if result.held else sys.stdout
    print(result.line(cluster), file=stream, flush=True)
