"""``gitops-ocm validate [PATH] [--rev REV] [--output text|json|github]``.

I/O shell: loads a working tree or a commit, runs both validation tiers and
prints every problem. Exit 0 when valid, 1 when any error is found, 2 on usage.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from gitops_ocm import collector, errors, source, treeio
from gitops_ocm.cli import inputs, output
from gitops_ocm.placement import inventory
from gitops_ocm.problems import Problem, has_errors
from gitops_ocm.render import hub


def register(sub: Any) -> None:
    """Add the ``validate`` parser."""
    parser = sub.add_parser("validate", help="check a fleet repository (structure and meaning)")
    parser.add_argument(
        "path", nargs="?", default=".", help="working tree, or repository with --rev"
    )
    parser.add_argument("--rev", help="validate this commit of the repository at PATH")
    parser.add_argument("--output", "-o", choices=output.FORMATS, default="text")
    parser.add_argument(
        "--status",
        metavar="DIR",
        help="status tree for the fleet checks (default: every accepted cluster available)",
    )
    parser.set_defaults(handler=run)


def load(path: str, rev: str | None, cache: source.ParseCache | None = None) -> Any:
    """Load a snapshot from a directory, or from a commit when ``rev`` is given."""
    if not Path(path).is_dir():
        raise errors.UsageError(f"no such directory: {path}")
    if rev:
        return source.load_revision(path, rev, cache)
    return source.load_directory(path, cache)


def fleet_problems(snapshot: Any, status_dir: str | None) -> list[Problem]:
    """Schedule and render, returning the fleet checks (F4xx) of a valid snapshot."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    if status_dir is None:
        status = hub.assume_available(snapshot, now)
    elif Path(status_dir).is_dir():
        status = treeio.read_tree(status_dir)
    else:
        raise errors.UsageError(f"--status must be a directory (got {status_dir!r})")
    with collector.paused():  # reports are parsed: thousands of small documents
        infos = inventory.build(snapshot, status, now, {})
    return list(hub.render(snapshot, infos, {}, now).problems)


def run(args: argparse.Namespace) -> int:
    """Validate and report."""
    snapshot = load(args.path, args.rev)
    problems = inputs.checked(snapshot)
    if not has_errors(problems):
        problems = sorted([*problems, *fleet_problems(snapshot, args.status)])
    extra = {
        "revision": snapshot.revision if args.rev else None,
        "files": len(snapshot.files),
        "documents": len(snapshot.objects),
    }
    output.report(problems, args.output, extra)
    return 1 if has_errors(problems) else 0
