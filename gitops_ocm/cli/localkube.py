"""``gitops-ocm localkube``: serve one local Kubernetes API cluster and write its kubeconfig.

I/O shell: binds 127.0.0.1, writes files, runs until interrupted (SIGINT/SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from gitops_ocm import errors
from gitops_ocm.localkube import kubeconfig, server, simulate, state, store


def register(subparsers: Any) -> None:
    """Add the ``localkube`` parser."""
    parser = subparsers.add_parser(
        "localkube",
        help="serve a local Kubernetes API server (in-memory) on 127.0.0.1",
        description="Serve an in-memory Kubernetes API on 127.0.0.1 and write its kubeconfig.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free port)")
    parser.add_argument(
        "--kubeconfig",
        type=Path,
        default=Path("localkube.kubeconfig"),
        help="where to write the kubeconfig (default: ./localkube.kubeconfig)",
    )
    parser.add_argument(
        "--state", type=Path, help="directory that keeps the cluster across restarts"
    )
    parser.add_argument(
        "--simulate-workloads",
        action="store_true",
        help="make Deployments, StatefulSets and DaemonSets ready and Jobs complete",
    )
    parser.add_argument(
        "--name", default="localkube", help="cluster/context name in the kubeconfig"
    )
    parser.set_defaults(handler=run)


def _wait_for_signal() -> None:
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    while not done.wait(0.5):
        pass


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; return the exit code."""
    if not 0 <= args.port <= 65535:
        raise errors.UsageError(f"'--port' must be between 0 and 65535 (got {args.port})")
    backing = store.Store()
    if args.state is not None and state.load(backing, args.state):
        print(f"localkube: restored state from {args.state}", file=sys.stderr)
    try:
        api = server.ApiServer(backing, port=args.port).start()
    except OSError as exc:
        raise errors.GitopsOcmError(f"cannot bind 127.0.0.1:{args.port}: {exc.strerror}") from exc
    saver = state.Saver(backing, args.state).start() if args.state is not None else None
    simulator = simulate.Simulator(backing).start() if args.simulate_workloads else None
    try:
        kubeconfig.write(args.kubeconfig, api.url, name=args.name)
        print(f"localkube serving {api.url}; kubeconfig: {args.kubeconfig}", flush=True)
        _wait_for_signal()
    finally:
        if simulator is not None:
            simulator.stop()
        api.stop()
        if saver is not None:
            saver.stop()
    return 0
