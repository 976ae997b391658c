"""``gitops-ocm explain placement NS/NAME``: why each cluster was or was not selected.

I/O shell: reads the same inputs as ``render``, schedules every placement as
``render`` does (settled), and prints the trace of one placement's scheduling
against the decisions of that schedule (see :mod:`gitops_ocm.placement.explain`).

By default it schedules against the inventory ``plan`` uses: without
``--status``, the ``ocm/status`` branch (local, else ``origin``'s) of the
repository at PATH, or every accepted cluster assumed available when there is
none; without ``--previous``, the ``ocm/hub`` branch as the earlier decisions.
Which it used goes to stderr, so that the JSON on stdout stays the trace alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from gitops_ocm import errors
from gitops_ocm.cli import inputs
from gitops_ocm.gitstore import repository
from gitops_ocm.placement import explain as explanation
from gitops_ocm.placement import publication, settle
from gitops_ocm.plan import freshness


def register(subparsers: Any) -> None:
    """Add the ``explain`` subcommand."""
    parser = subparsers.add_parser("explain", help="explain a scheduling decision")
    parser.add_argument("what", choices=("placement",), help="what to explain")
    parser.add_argument("target", metavar="NS/NAME", help="the placement")
    inputs.add_options(parser)
    parser.add_argument(
        "--status-ref", default="ocm/status", metavar="BRANCH", help="status branch (no --status)"
    )
    parser.add_argument(
        "--hub-ref", default="ocm/hub", metavar="BRANCH", help="hub branch (no --previous)"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the explanation; 1 when the desired state is invalid or the placement unknown."""
    namespace, _, name = args.target.partition("/")
    if not namespace or not name:
        raise errors.UsageError(f"placement must be NS/NAME (got {args.target!r})")
    loaded = inputs.load(args)
    if inputs.refuse_if_invalid(loaded.snapshot):
        return 1
    loaded = _with_branches(args, loaded)
    found = {p.key: p for p in settle.placements(loaded.snapshot)}
    placement = found.get((namespace, name))
    if placement is None:
        raise errors.InvalidInput(f"no Placement {namespace}/{name} in the desired state")
    prepared = publication.prepare(loaded.snapshot, loaded.clusters(), loaded.previous, loaded.now)
    settled = settle.settled(list(found.values()), prepared)
    result = publication.result(placement, settle.decided(prepared, settled), explain=True)
    if result.outcome is None:
        print(f"Placement {namespace}/{name} has scheduling disabled; earlier decisions are kept")
        return 0
    if args.output == "json":
        print(json.dumps(explanation.to_dict(result.outcome), indent=2, sort_keys=True))
    else:
        print(explanation.to_text(result.outcome), end="")
    return 0


def _with_branches(args: argparse.Namespace, loaded: inputs.Inputs) -> inputs.Inputs:
    """Fill what ``--status`` and ``--previous`` left out from the repository's branches."""
    if args.status is not None and args.previous is not None:
        return loaded
    try:
        repo = repository.open(args.path)
    except errors.InvalidInput:
        repo = None
    if repo is None:
        read = inputs.from_assumed(loaded.snapshot, now=loaded.now)
    else:
        read = inputs.from_branches(
            repo, (loaded.snapshot,), loaded.now, args.status_ref, args.hub_ref
        )
    notes = list(read.notes)
    if args.status is None:
        loaded = dataclasses.replace(loaded, status=read.status)
        notes.extend(freshness.lines(read.fresh))
    if args.previous is None:
        loaded = dataclasses.replace(loaded, previous=read.previous)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return loaded
