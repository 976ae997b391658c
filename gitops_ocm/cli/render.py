"""``gitops-ocm render``: write the hub-store tree computed from a desired state.

I/O shell around the pure renderers: reads the inputs (see :mod:`inputs`),
refuses an invalid desired state (exit 1), computes the tree and writes it with
:func:`gitops_ocm.treeio.write_tree`. Identical inputs give identical bytes.

The tree is the controller's: ``allowed_signers`` lists the key of ``--hub-key
PUBFILE`` (an ``ssh-ed25519`` line, the controller's public key) as ``hub``,
or without it the ``hub`` key of ``--previous``'s ``allowed_signers``, or no
``hub`` line when neither has one; clusters awaiting their agent get no folder.
With the ``--previous`` and ``--status`` trees of a pass and the controller's
public key, the output equals what the controller published byte for byte,
rollouts included: a ManifestWorkReplicaSet that rolls out in steps takes the
step the controller takes at ``--now`` (docs/rollout.md).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

from gitops_ocm import errors, treeio, validation
from gitops_ocm.cli import inputs, output
from gitops_ocm.problems import Severity, has_errors
from gitops_ocm.render import admissions, hub
from gitops_ocm.trust import failure, keys

MAX_KEY_FILE = 16 * 1024


def register(subparsers: Any) -> None:
    """Add the ``render`` subcommand."""
    parser = subparsers.add_parser("render", help="compute the hub-store tree for a desired state")
    inputs.add_options(parser)
    parser.add_argument("--out", required=True, metavar="DIR", help="where to write the hub tree")
    parser.add_argument(
        "--hub-key",
        metavar="PUBFILE",
        help="the controller's public key (default: the hub key of --previous's allowed_signers)",
    )
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
    hub_key = _hub_key(args.hub_key, loaded.previous)
    admission = admissions.admit(loaded.snapshot, loaded.previous, loaded.status, hub_key)
    clusters = loaded.clusters(admission.awaiting)
    rendered = hub.render(
        loaded.snapshot,
        clusters,
        loaded.previous,
        loaded.now,
        admission=admission,
        status=loaded.status,
    )
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


def _hub_key(path: str | None, previous: dict[str, bytes]) -> keys.PublicKey | None:
    """Return the key of ``--hub-key``, else the ``hub`` key ``--previous`` lists."""
    if path is None:
        return admissions.hub_key_of(previous.get(admissions.PATH))
    try:
        with pathlib.Path(path).open("rb") as handle:
            data = handle.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise errors.UsageError(f"--hub-key: cannot read {path!r}: {exc.strerror}") from exc
    try:
        text = data.decode("ascii") if len(data) <= MAX_KEY_FILE else ""
        return keys.parse_line(text.strip().split("\n")[0])
    except (UnicodeDecodeError, failure.TrustError) as exc:
        raise errors.InvalidInput(f"{path}: not an ssh-ed25519 public key line: {exc}") from exc
