"""The input options shared by ``render``, ``explain`` and ``plan``, and loading them.

I/O shell. Reads the desired state (a working tree, or a commit with ``--rev``),
the previous hub tree (``--previous``), the status tree (``--status``) and the
time (``--now``, default: the clock, read here and only here), then checks the
desired state before anything is computed from it.

``plan`` and ``explain`` read the status and the previous hub tree from the
repository's branches instead (:func:`from_branches`): ``ocm/status`` and
``ocm/hub``, each the local branch or else ``origin``'s, as an ordinary clone
or a CI checkout has them; without ``ocm/status`` every accepted cluster is
assumed available. Both commands thus schedule against the same inventory.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from gitops_ocm import collector, errors, problems, source, treeio, validation
from gitops_ocm.gitstore import message, reader
from gitops_ocm.model import snapshot as snapshot_mod
from gitops_ocm.model import timefmt
from gitops_ocm.placement import inventory
from gitops_ocm.plan import freshness
from gitops_ocm.render import hub

STATUS_FILES = ("cluster.yaml", "lease.yaml", "addonplacementscores/")
"""What scheduling (and the plan's freshness lines) read of ``clusters/<c>/`` in ocm/status."""


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Everything a pure computation of the hub tree reads."""

    snapshot: snapshot_mod.Snapshot
    previous: dict[str, bytes]
    status: dict[str, bytes]
    now: datetime.datetime

    def clusters(self, awaiting: frozenset[str] = frozenset()) -> tuple[inventory.ClusterInfo, ...]:
        """Return the cluster inventory (desired ManagedClusters joined with reports)."""
        with collector.paused():  # reports are parsed: thousands of small documents
            return inventory.build(self.snapshot, self.status, self.now, self.previous, awaiting)


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
    parsed = timefmt.parse(text)
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


@dataclasses.dataclass(frozen=True)
class Branch:
    """The files of a branch tip that a filter kept, and the tip's commit."""

    files: dict[str, bytes]
    name: str  # "heads/<ref>" or "remotes/origin/<ref>"
    commit: str
    written: datetime.datetime
    trailers: Mapping[str, str]

    @property
    def where(self) -> str:
        """Return ``<name> at <short commit>`` for notes."""
        return f"{self.name} at {self.commit[:12]}"


def read_branch(repo: Any, ref: str, wanted: Callable[[str], bool]) -> Branch | None:
    """Read a branch (local, else origin's) keeping the paths ``wanted`` accepts."""
    for name in (f"refs/heads/{ref}", f"refs/remotes/origin/{ref}"):
        try:
            tree = reader.lazy_tree(repo, name)
            tip = reader.commit_info(repo, name)
        except errors.InvalidInput:
            continue
        files = {p: tree.read(p) for p in tree.blobs if wanted(p)}
        written = datetime.datetime.fromtimestamp(tip.time, datetime.UTC)
        trailers = message.parse_trailers(tip.message)
        return Branch(files, name.removeprefix("refs/"), tip.id, written, trailers)
    return None


def status_file(path: str) -> bool:
    """Whether a path of ocm/status is one scheduling reads (:data:`STATUS_FILES`)."""
    parts = path.split("/", 2)
    return len(parts) == 3 and parts[0] == "clusters" and parts[2].startswith(STATUS_FILES)


@dataclasses.dataclass(frozen=True)
class FromBranches:
    """The status and previous hub tree read from a repository's branches, and notes on them."""

    status: dict[str, bytes]
    fresh: freshness.Freshness
    hub: Branch | None
    notes: tuple[str, ...]

    @property
    def previous(self) -> dict[str, bytes]:
        """Return the ``ocm/hub`` files (empty without the branch)."""
        return self.hub.files if self.hub else {}


def from_branches(
    repo: Any,
    snapshots: Sequence[snapshot_mod.Snapshot],
    now: datetime.datetime,
    status_ref: str = "ocm/status",
    hub_ref: str = "ocm/hub",
) -> FromBranches:
    """Read ``status_ref`` and ``hub_ref``, each the local branch or else origin's.

    Without ``status_ref`` every accepted cluster of ``snapshots`` is assumed available.
    """
    found = read_branch(repo, status_ref, status_file)
    if found is not None:
        status = found.files
        fresh = freshness.of_status(status, found.name, found.commit, found.written, now)
        notes = [f"availability, claims and scores: {found.where}"]
    else:
        assumed = from_assumed(*snapshots, now=now, why=f"no {status_ref} branch")
        status, fresh, notes = assumed.status, assumed.fresh, list(assumed.notes)
    hub_branch = read_branch(repo, hub_ref, lambda path: True)
    if hub_branch is not None:
        notes.append(hub_branch.where)
    return FromBranches(status, fresh, hub_branch, tuple(notes))


def from_assumed(
    *snapshots: snapshot_mod.Snapshot, now: datetime.datetime, why: str = "not a repository"
) -> FromBranches:
    """Every accepted cluster of ``snapshots`` reporting Available, and no previous tree."""
    status: dict[str, bytes] = {}
    for snap in snapshots:
        status.update(hub.assume_available(snap, now))
    note = f"{why}: every accepted cluster assumed available"
    return FromBranches(status, freshness.Freshness(), None, (note,))
