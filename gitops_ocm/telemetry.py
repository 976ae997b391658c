"""Metrics and health over HTTP for the controller and the agent (``--metrics-port``).

I/O shell: a small threaded HTTP server on the given address serving

* ``/metrics``: Prometheus' text format (``prometheus_client``), from a registry
  of this process's own (no global state, so tests run several side by side);
* ``/healthz``: 200 while the process serves at all (liveness);
* ``/readyz``: 200 once a pass has succeeded within the last three intervals
  (plus a minute), else 503 with the reason (readiness).

The loops record each pass (:meth:`Telemetry.record_pass`): its duration, its
result, the time of the last success, and Git failures. Names follow
Prometheus' conventions: ``gitops_ocm_<role>_pass_duration_seconds`` (a
histogram), ``gitops_ocm_<role>_passes_total{result}``,
``gitops_ocm_<role>_last_success_timestamp_seconds``,
``gitops_ocm_git_errors_total{role,operation}``; the controller adds
``gitops_ocm_controller_clusters_touched_total`` and
``gitops_ocm_rollouts_in_progress``, the agent ``gitops_ocm_agent_works`` and
``gitops_ocm_agent_work_failures``. docs/deploy.md shows alerting rules on them.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
SLACK = 60.0  # seconds of readiness beyond three intervals


class Telemetry:
    """The metrics of one controller or agent process, and what readiness is judged on."""

    def __init__(self, role: str, interval: float, clock: Callable[[], float] = time.time) -> None:
        self.role, self.interval, self.clock = role, interval, clock
        self.registry = CollectorRegistry()
        prefix = f"gitops_ocm_{role}"
        self.pass_seconds = Histogram(
            f"{prefix}_pass_duration_seconds",
            "Duration of a pass, from its start to its last write.",
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.passes = Counter(
            f"{prefix}_passes", "Passes by result.", ["result"], registry=self.registry
        )
        self.last_success = Gauge(
            f"{prefix}_last_success_timestamp_seconds",
            "Unix time of the last pass that succeeded.",
            registry=self.registry,
        )
        self.git_errors = Counter(
            "gitops_ocm_git_errors",
            "Git operations that failed (fetch, push), by role.",
            ["role", "operation"],
            registry=self.registry,
        )
        self.gauges: dict[str, Gauge] = {}
        self.counters: dict[str, Counter] = {}
        self._succeeded_at: float | None = None
        self._started = clock()

    def gauge(self, name: str, text: str) -> Gauge:
        """A gauge of this process (made on first use), ``gitops_ocm_`` prefixed."""
        found = self.gauges.get(name)
        if found is None:
            found = self.gauges[name] = Gauge(f"gitops_ocm_{name}", text, registry=self.registry)
        return found

    def counter(self, name: str, text: str) -> Counter:
        """A counter of this process (made on first use), ``gitops_ocm_`` prefixed."""
        found = self.counters.get(name)
        if found is None:
            found = self.counters[name] = Counter(
                f"gitops_ocm_{name}", text, registry=self.registry
            )
        return found

    def record_pass(self, seconds: float, result: str, succeeded: bool) -> None:
        """Count one pass: its duration and result, and when it succeeded."""
        self.pass_seconds.observe(seconds)
        self.passes.labels(result=result).inc()
        if succeeded:
            self._succeeded_at = self.clock()
            self.last_success.set(self._succeeded_at)

    def record_git_error(self, operation: str) -> None:
        """Count one failed Git operation (``fetch``, ``push``)."""
        self.git_errors.labels(role=self.role, operation=operation).inc()

    def readiness(self) -> tuple[bool, str]:
        """Whether a pass succeeded recently enough, and why not."""
        limit = 3 * self.interval + SLACK
        if self._succeeded_at is None:
            waited = self.clock() - self._started
            return False, f"no pass has succeeded yet ({waited:.0f}s since start)"
        age = self.clock() - self._succeeded_at
        if age > limit:
            return False, f"the last successful pass was {age:.0f}s ago (limit {limit:.0f}s)"
        return True, "ok"

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        telemetry = self.server.telemetry
        path = self.path.partition("?")[0]
        if path == "/metrics":
            self._send(200, telemetry.exposition(), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8")
        elif path == "/readyz":
            ready, why = telemetry.readiness()
            self._send(200 if ready else 503, f"{why}\n".encode(), "text/plain; charset=utf-8")
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    def _send(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes are not worth a log line each."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    telemetry: Telemetry


def serve(telemetry: Telemetry, host: str, port: int) -> tuple[_Server, int]:
    """Serve ``telemetry`` on ``host:port`` in a background thread; return the server and port."""
    server = _Server((host, port), _Handler)
    server.telemetry = telemetry
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    ).start()
    return server, int(server.server_address[1])
