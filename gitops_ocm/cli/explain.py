"""``gitops-ocm explain placement NS/NAME``: why each cluster was or was not selected.

I/O shell: reads the same inputs as ``render``, schedules every placement as
``render`` does (settled), and prints the trace of one placement's scheduling
against the decisions of that schedule (see :mod:`gitops_ocm.placement.explain`).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from gitops_ocm import errors
from gitops_ocm.cli import inputs
from gitops_ocm.placement import explain as explanation
from gitops_ocm.render import placements


def register(subparsers: Any) -> None:
    """Add the ``explain`` subcommand."""
    parser = subparsers.add_parser("explain", help="explain a scheduling decision")
    parser.add_argument("what", choices=("placement",), help="what to explain")
    parser.add_argument("target", metavar="NS/NAME", help="the placement")
    inputs.add_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the explanation; 1 when the desired state is invalid or the placement unknown."""
    namespace, _, name = args.target.partition("/")
    if not namespace or not name:
        raise errors.UsageError(f"placement must be NS/NAME (got {args.target!r})")
    loaded = inputs.load(args)
    if inputs.refuse_if_invalid(loaded.snapshot):
        return 1
    found = {p.key: p for p in placements.placements(loaded.snapshot)}
    placement = found.get((namespace, name))
    if placement is None:
        raise errors.InvalidInput(f"no Placement {namespace}/{name} in the desired state")
    prepared = placements.prepare(loaded.snapshot, loaded.clusters(), loaded.previous, loaded.now)
    settled = placements.settled(list(found.values()), prepared)
    result = placements.result(placement, placements.decided(prepared, settled), explain=True)
    if result.outcome is None:
        print(f"Placement {namespace}/{name} has scheduling disabled; earlier decisions are kept")
        return 0
    if args.output == "json":
        print(json.dumps(explanation.to_dict(result.outcome), indent=2, sort_keys=True))
    else:
        print(explanation.to_text(result.outcome), end="")
    return 0
