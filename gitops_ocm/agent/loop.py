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

from gitops_ocm import telemetry as telemetry_mod
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
    telemetry: telemetry_mod.Telemetry | None = None,
) -> int:
    """Run passes until ``stop`` is set (or one with ``once``); return the exit code."""
    while True:
        result = agent.run_once(datetime.datetime.now(datetime.UTC))
        after_pass()
        log(result, agent.settings.cluster)
        if telemetry is not None:
            record(telemetry, result)
        if schedule.once:
            return result.exit_code()
        if stop.wait(schedule.interval):
            return 0


def record(telemetry: telemetry_mod.Telemetry, result: results.PassResult) -> None:
    """Count the pass: held back (Git unreachable, waiting), with errors, or ok."""
    outcome = "held" if result.held else "errors" if result.errors else "ok"
    telemetry.record_pass(result.took_ms / 1000, outcome, succeeded=not result.held)
    if any(isinstance(f, results.GitUnreachable) for f in result.held):
        telemetry.record_git_error("fetch_or_push")
    telemetry.gauge("agent_works", "Works the agent holds.").set(result.works)
    failing = "Failures of works, policies and the cluster in the last pass."
    telemetry.gauge("agent_failures", failing).set(len(result.errors))


def log(result: results.PassResult, cluster: str) -> None:
    """Print the pass's line: on stderr when Git or the hub branch held the report back."""
    stream = sys.stderr if result.held else sys.stdout
    print(result.line(cluster), file=stream, flush=True)
