"""``gitops-ocm demo [--dir DIR] [--keep]`` and ``gitops-ocm demo --stop DIR``.

I/O shell around :mod:`gitops_ocm.demo`: the whole loop on this machine in
under a minute. With ``--keep`` every process (git daemon, API servers,
controller, agents) goes on running after the command returns; their pids are
printed and kept in ``DIR/pids``, and ``--stop DIR`` ends them. Exit 0 done,
2 usage (``--dir`` not empty, ``--stop`` on a folder without ``pids``), 3 the
fleet did not converge in time (everything stopped, logs kept in ``DIR/logs``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from gitops_ocm import demo, errors


def register(sub: Any) -> None:
    """Add the ``demo`` parser."""
    parser = sub.add_parser("demo", help="run the whole loop locally: git server, hub, 3 spokes")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--dir", type=Path, help="work folder (default: a new temporary folder)")
    what.add_argument("--stop", type=Path, metavar="DIR", help="stop a demo left running by --keep")
    parser.add_argument("--keep", action="store_true", help="leave everything running at the end")
    parser.set_defaults(handler=run)


def say(text: str) -> None:
    """Print one progress line."""
    print(text, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the demo, or stop one."""
    if args.stop is not None:
        if args.keep:
            raise errors.UsageError("--stop and --keep do not go together")
        stopped = demo.stop(args.stop)
        say(
            f"stopped {len(stopped)} demo processes"
            + (f": {', '.join(stopped)}" if stopped else "")
        )
        return 0
    root = args.dir or Path(tempfile.mkdtemp(prefix="gitops-ocm-demo-"))
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise errors.UsageError(f"--dir must be an empty folder or absent (got {root})")
    root.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    state = demo.run(root.resolve(), args.keep, say)
    if args.keep:
        say("")
        say(f"Still running (--keep), pids in {state.root / demo.PIDS}:")
        for name, proc in state.procs.items():
            say(f"  {proc.pid:>7}  {name}")
        say(f"Stop with: gitops-ocm demo --stop {state.root}")
    return 0
