"""``gitops-ocm demo [--dir DIR] [--keep]``: the whole loop on this machine in under a minute.

I/O shell around :mod:`gitops_ocm.demo`.
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
    parser.add_argument("--dir", type=Path, help="work folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="leave everything running at the end")
    parser.set_defaults(handler=run)


def say(text: str) -> None:
    """Print one progress line."""
    print(text, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    root = args.dir or Path(tempfile.mkdtemp(prefix="gitops-ocm-demo-"))
    if root.exists() and any(root.iterdir()):
        raise errors.UsageError(f"--dir must be empty or absent (got {root})")
    root.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    state = demo.run(root.resolve(), args.keep, say)
    if args.keep:
        say("")
        say(
            "Still running (--keep). Stop with: kill "
            + " ".join(str(p.pid) for p in state.procs.values())
        )
    return 0
