"""The hub controller's loop: when to run the next pass, and what to do with its result.

I/O shell, and nothing else: a pass itself (read, validate, render, publish,
fold) is :meth:`gitops_ocm.hub.controller.Controller.reconcile`. The loop runs
one, logs it, and waits: until the pass's own ``requeue_at`` (a placement's
requeue, a lease about to expire) when that comes sooner than ``interval``,
until a ref of a local repository moves (``watch.RefWatcher``), or, after a
transient failure (an unreachable remote, a lost race), for a backoff with
jitter. Only ``stop`` ends it; no failure does.
"""

from __future__ import annotations

import datetime
import random
import threading
import time
from collections.abc import Callable

from gitops_ocm import errors, retry
from gitops_ocm import telemetry as telemetry_mod
from gitops_ocm.hub import controller, watch

Log = Callable[[str], None]
Clock = Callable[[], datetime.datetime]


def run(
    ctl: controller.Controller,
    interval: float,
    stop: threading.Event,
    watcher: watch.RefWatcher | None,
    log: Log,
    clock: Clock | None = None,
    telemetry: telemetry_mod.Telemetry | None = None,
) -> None:
    """Run passes until ``stop`` is set; back off on transient failures."""
    now = clock or (lambda: datetime.datetime.now(datetime.UTC))
    failures = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            result = controller.reconcile_with_retry(ctl)
            failures = 0
            if not result.skipped or result.source is None:
                log(result.log_line())
            if telemetry is not None:
                record(telemetry, ctl, result)
            wait = until(result.requeue_at, now(), interval)
        except errors.Transient as exc:
            wait = retry.delay(failures, base=1.0, cap=60.0, jitter=0.5, draw=random.random())
            failures += 1
            log(f"transient failure, retrying in {wait:.1f}s: {exc}")
            if telemetry is not None:
                telemetry.record_pass(time.monotonic() - started, "transient", succeeded=False)
                telemetry.record_git_error("fetch_or_push")
        except errors.GitopsOcmError as exc:
            wait = interval
            log(f"pass failed: {exc}")
            if telemetry is not None:
                telemetry.record_pass(time.monotonic() - started, "failed", succeeded=False)
        if watcher is not None and failures == 0:
            watcher.wait(wait)
        else:
            stop.wait(wait)


def record(
    telemetry: telemetry_mod.Telemetry, ctl: controller.Controller, result: controller.PassResult
) -> None:
    """Count a pass that ran: skipped, valid (published) or invalid (ocm/hub kept)."""
    outcome = "skipped" if result.skipped else "valid" if result.valid else "invalid"
    telemetry.record_pass(result.seconds, outcome, succeeded=True)
    touched = "Cluster folders of ocm/hub a pass changed."
    telemetry.counter("controller_clusters_touched", touched).inc(result.clusters_touched)
    rolling = (
        "ManifestWorkReplicaSets whose staged rollout has not finished (Succeeded or RolledBack)."
    )
    telemetry.gauge("rollouts_in_progress", rolling).set(ctl.rollouts_in_progress)


def until(requeue_at: datetime.datetime | None, now: datetime.datetime, interval: float) -> float:
    """Seconds to wait: ``interval``, or less when the pass asked to run again sooner.

    A time already past was the pass's own business (it ran with it due), so
    it does not make the loop spin.
    """
    if requeue_at is None or requeue_at <= now:
        return interval
    return max(0.05, min(interval, (requeue_at - now).total_seconds()))
