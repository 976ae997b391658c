"""The input options shared by ``render``, ``explain`` and ``plan``, and loading them.

I/O shell. Reads the desired state (a working tree, or a commit with ``--rev``),
the previous hub tree (``--previous``), the status tree (``--status``) and the
time (``--now``, default: the clock, read here and only here), then checks the
desired state before anything is computed from it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
from pathlib import Path

from gitops_ocm import errors, problems, source, treeio, validation
from gitops_ocm.model import snapshot as snapshot_mod
from gitops_ocm.placement import inventory


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Everything a pure computation of the hub tree reads."""

    snapshot: snapshot_mod.Snapshot
    previous: dict[str, bytes]
    status: dict[str, bytes]
    now: datetime.datetime

    def clusters(self) -> tuple[inventory.ClusterInfo, ...]:
        """Return the cluster inventory (desired ManagedClusters joined with reports)."""
        return inventory.build(self.snapshot, self.status, self.now, self.previous)


def add_options(parser: argparse.ArgumentParser) -> None:
    """Add ``[PATH] --rev --previous --status --now --output`` to a subcommand."""
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        metavar="PATH",
        help="working tree or repository (default .)",
    )
    parser.add_argument(
        "--rev", help="read the desired state from this commit of the repository at PATH"
    )
    parser.add_argument(
        "--previous", metavar="DIR", help="the previous hub tree (Steady, Balance, NoSelectIfNew)"
    )
    parser.add_argument(
        "--status", metavar="DIR", help="a status tree (availability, claims, resources, scores)"
    )
    parser.add_argument(
        "--now", metavar="RFC3339", help="the time to schedule at (default: now, UTC)"
    )
    parser.add_argument("--output", choices=("text", "json"), default="text")


def parse_now(text: str | None) -> datetime.datetime:
    """Return ``--now`` as an aware datetime (the clock when absent)."""
    if text is None:
        return datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    parsed = inventory.parse_time(text)
    if parsed is None:
        raise errors.UsageError(f"--now must be an RFC 3339 time (got {text!r})")
    return parsed


def _tree(folder: str | None, option: str) -> dict[str, bytes]:
    if folder is None:
        return {}
    if not Path(folder).is_dir():
        raise errors.UsageError(f"{option} must be a directory (got {folder!r})")
    return treeio.read_tree(folder)


def load(args: argparse.Namespace) -> Inputs:
    """Read every input named by the options."""
    now = parse_now(args.now)
    if args.rev:
        snap = source.load_revision(args.path, args.rev)
    else:
        if not Path(args.path).is_dir():
            raise errors.UsageError(f"PATH must be a directory (got {args.path!r})")
        snap = source.load_directory(args.path)
    return Inputs(snap, _tree(args.previous, "--previous"), _tree(args.status, "--status"), now)


NO_DOCUMENTS = "S112"


def checked(snap: snapshot_mod.Snapshot) -> list[problems.Problem]:
    """Both validation tiers, plus S112 when nothing in the input is an OCM document.

    A folder or commit without a single document is almost always a wrong path
    (the repository's parent, a build folder), not an empty fleet: ``validate``,
    ``render`` and ``explain`` say so instead of reporting an empty, valid fleet.
    Unreadable files already have their own problems; S112 is only added when
    nothing else explains the emptiness.
    """
    found = validation.validate(snap)
    if snap.objects or problems.has_errors(found):
        return found
    read = len(snap.files)
    message = f"no OCM documents found ({read} YAML files read): is this the fleet repository?"
    return sorted([*found, problems.Problem(".", 1, 1, NO_DOCUMENTS, "", message)])


def refuse_if_invalid(snap: snapshot_mod.Snapshot) -> bool:
    """Print errors to stderr and return True when the desired state must not be used."""
    found = checked(snap)
    if not problems.has_errors(found):
        return False
    for problem in found:
        print(problem.render(), file=sys.stderr)
    return True
