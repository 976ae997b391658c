"""``--metrics-port`` and ``--metrics-host`` of the long-running commands (controller, agent).

I/O shell: adds the options and starts :mod:`gitops_ocm.telemetry`'s server
when a port is given (``/metrics``, ``/healthz``, ``/readyz``). Port 0 takes a
free port, printed on stderr. Without ``--metrics-port`` nothing listens.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from gitops_ocm import errors, telemetry


def add_options(parser: Any) -> None:
    """Add ``--metrics-port`` and ``--metrics-host``."""
    parser.add_argument(
        "--metrics-port",
        type=int,
        metavar="PORT",
        help="serve /metrics, /healthz and /readyz on this port (0: any free port)",
    )
    parser.add_argument(
        "--metrics-host",
        default="0.0.0.0",
        metavar="ADDRESS",
        help="the address /metrics listens on (default 0.0.0.0, every interface)",
    )


def start(args: argparse.Namespace, role: str) -> telemetry.Telemetry | None:
    """Start the server when ``--metrics-port`` is given; return what the loop records into."""
    port = args.metrics_port
    if port is None:
        return None
    if not 0 <= port <= 65535:
        raise errors.UsageError(f"--metrics-port must be 0..65535 (got {port})")
    found = telemetry.Telemetry(role, args.interval)
    try:
        _server, bound = telemetry.serve(found, args.metrics_host, port)
    except OSError as exc:
        raise errors.UsageError(
            f"--metrics-port {port}: cannot listen on {args.metrics_host}: {exc.strerror}"
        ) from None
    print(f"{role}: metrics on http://{args.metrics_host}:{bound}/metrics", file=sys.stderr)
    return found
