"""``gitops-ocm render``: write the hub-store tree computed from a desired state.

I/O shell around the pure renderers: reads the inputs (see :mod:`inputs`),
refuses an invalid desired state (exit 1), computes the tree and writes it with
:func:`gitops_ocm.treeio.write_tree`. Identical inputs give identical bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gitops_ocm import treeio, validation
from gitops_ocm.cli import inputs, output
from gitops_ocm.problems import Severity, has_errors
from gitops_ocm.render import hub


def register(subparsers: Any) -> None:
    """Add the ``render`` subcommand."""
    parser = subparsers.add_parser("render", help="compute the hub-store tree for a desired state")
    inputs.add_options(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="where to write the hub tree")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Render and write the tree; 0 on success, 1 when the desired state is invalid.

    Placements OCM would call Misconfigured are the one exception: the tree is
    still written, so their status shows ``PlacementMisconfigured``, and the exit
    code is 1 because the commit is invalid (docs/problem-codes.md).
    """
    loaded = inputs.load(args)
    found = inputs.checked(loaded.snapshot)
    shown = set(validation.misconfigurations(loaded.snapshot))
    if any(p.severity is Severity.ERROR and p not in shown for p in found):
        return int(inputs.refuse_if_invalid(loaded.snapshot))
    rendered = hub.render(loaded.snapshot, loaded.clusters(), loaded.previous, loaded.now)
    reported = [*(found if has_errors(found) else ()), *rendered.problems]
    if reported:
        output.report(reported, "text", out=sys.stderr)
    if has_errors(rendered.problems):
        return 1
    tree = rendered.files
    treeio.write_tree(args.out, tree)
    if args.output == "json":
        print(json.dumps({"out": args.out, "files": sorted(tree)}, indent=2))
    else:
        print(f"wrote {len(tree)} files to {args.out}")
    return 1 if has_errors(found) else 0
