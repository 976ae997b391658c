"""``gitops-ocm plan --base REV --head REV [PATH]``: what a change does to each cluster.

I/O shell. Reads both commits of the repository at PATH, the latest
``ocm/status`` tree for availability, claims, resources, scores and leases
(every accepted cluster assumed available when there is none) and ``ocm/hub`` as
the hub tree in force. Base and head are scheduled against one inventory: the
same status, the same previous tree (the base's own render when there is no
``ocm/hub``) and the same time, so Steady and Balance see one history and every
difference is the change's, not the churn of a Balance-only placement between
two passes nor status drift. An invalid base is replaced by the commit
``ocm/hub`` was rendered from (its ``Source-Commit``), rendered the same way;
only without one does the stored hub tree stand for it. The output says how old
the status is and whose leases have expired (:mod:`gitops_ocm.plan.freshness`).
It prints :mod:`gitops_ocm.plan`'s comparison and how each ManifestWorkReplicaSet
whose clusters take a new revision rolls out (:mod:`gitops_ocm.plan.rolloutplan`,
over the head's decision groups and what each cluster holds in the base tree).
Offline: nothing but the repository is read. Exit 0 when the head is valid, 1
when invalid, 2 on usage (an unknown revision included).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any

from gitops_ocm import collector, errors, problems, source, validation
from gitops_ocm.cli import inputs
from gitops_ocm.gitstore import repository
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.placement import history, inventory, publication, settle
from gitops_ocm.plan import compare, report, rolloutplan, why
from gitops_ocm.render import hub


def register(sub: Any) -> None:
    """Add the ``plan`` parser."""
    parser = sub.add_parser("plan", help="per-cluster change between two commits (PR review)")
    parser.add_argument("path", nargs="?", default=".", help="the repository (default .)")
    parser.add_argument("--base", required=True, metavar="REV", help="the commit merged into")
    parser.add_argument("--head", default="HEAD", metavar="REV", help="the proposed commit")
    parser.add_argument("--output", "-o", choices=report.FORMATS, default="text")
    parser.add_argument("--now", metavar="RFC3339", help="time to schedule at (default: now)")
    parser.add_argument(
        "--status-ref", default="ocm/status", metavar="BRANCH", help="status branch to read"
    )
    parser.add_argument(
        "--hub-ref", default="ocm/hub", metavar="BRANCH", help="hub branch (tree before base)"
    )
    parser.add_argument(
        "--limit", type=int, default=report.LIMIT, help="markdown size cap in characters"
    )
    parser.set_defaults(handler=run)


@dataclasses.dataclass(frozen=True)
class _Rendered:
    """One side of the plan: the snapshot, its inputs and the hub tree rendered from them."""

    snapshot: Snapshot
    infos: tuple[inventory.ClusterInfo, ...]
    previous: Mapping[str, bytes]
    tree: hub.HubTree

    def side(self, now: datetime.datetime) -> compare.Side:
        """Return the side for :func:`compare.compare`, explaining placements on demand."""
        specs = {p.key: p for p in settle.placements(self.snapshot)}
        prepared: list[publication.Inputs] = []

        def explain(key: compare.Key) -> Mapping[str, str]:
            if key not in specs:
                return {}
            if not prepared:  # once per side: the decisions every explanation ranks against
                inputs = publication.prepare(self.snapshot, self.infos, self.previous, now)
                prepared.append(settle.decided(inputs, self.tree.results))
            return why.reasons(publication.result(specs[key], prepared[0], explain=True).outcome)

        return compare.Side(self.tree.files, self.tree.decisions(), explain)


def run(args: argparse.Namespace) -> int:
    """Compare base and head and print the plan."""
    now = inputs.parse_now(args.now)
    repo = _open(args.path)
    head = _load(repo, args.head)
    base = _load(repo, args.base)
    found = validation.validate(head)
    read = inputs.from_branches(repo, (base, head), now, args.status_ref, args.hub_ref)
    status, hub_branch, previous = read.status, read.hub, read.previous
    notes = list(read.notes)
    if hub_branch is None:
        notes.append(f"no {args.hub_ref} branch: earlier decisions from a first render of the base")
    revisions = (base.revision or args.base, head.revision or args.head)
    plan: compare.Plan | None = None
    rollouts: tuple[rolloutplan.RolloutPlan, ...] = ()
    if not problems.has_errors(found):
        if problems.has_errors(validation.validate(base)):
            stand_in, note = _last_good(repo, args.base, args.hub_ref, hub_branch)
            notes.append(note)
            old = (
                _hub_side(previous)
                if stand_in is None
                else _render(stand_in, status, previous, now).side(now)
            )
            head_previous = previous
        else:
            if not previous:  # give Steady a history: the base as the controller made it
                previous = _render(base, status, {}, now).tree.files
            old, head_previous = _render(base, status, previous, now).side(now), previous
        new = _render(head, status, head_previous, now)
        found = sorted([*found, *new.tree.problems])
        plan = compare.compare(old, new.side(now))
        rollouts = _rollouts(new, old.files)
    header = report.Header(*revisions, tuple(found), tuple(notes), read.fresh)
    print(report.render(args.output, header, plan, args.limit, rollouts), end="")
    return 1 if problems.has_errors(found) else 0


def _rollouts(new: _Rendered, base: Mapping[str, bytes]) -> tuple[rolloutplan.RolloutPlan, ...]:
    """How the head's changed ManifestWorkReplicaSets roll out, from what the base tree holds."""
    placed = {key: result.groups for key, result in new.tree.results.items()}
    return rolloutplan.plan(new.snapshot, placed, frozenset(new.tree.clusters), base)


def _last_good(
    repo: repository.Repository, base_rev: str, hub_ref: str, hub_branch: inputs.Branch | None
) -> tuple[Snapshot | None, str]:
    """The commit ``hub_ref`` was rendered from (trailer Source-Commit), when valid.

    An invalid base is what the controller refused: the hub runs its last good
    commit. Rendering that commit against the same status, previous tree and
    time as the head keeps status drift since the hub's last pass out of the plan.
    """
    fallback = f"base {base_rev} is invalid: compared with the {hub_ref} tree"
    source_commit = hub_branch.trailers.get("Source-Commit") if hub_branch else None
    if not source_commit:
        return None, fallback
    try:
        good = source.load_commit(repo, source_commit)
    except errors.InvalidInput:
        return None, f"{fallback} (its source {source_commit[:12]} is not in the repository)"
    if problems.has_errors(validation.validate(good)):
        return None, fallback
    return good, (
        f"base {base_rev} is invalid: compared with {source_commit[:12]}, "
        f"the commit {hub_ref} was rendered from"
    )


def _open(path: str) -> repository.Repository:
    try:
        return repository.open(path)
    except errors.InvalidInput as exc:
        raise errors.UsageError(str(exc)) from exc


def _load(repo: repository.Repository, rev: str) -> Snapshot:
    try:
        return source.load_commit(repo, rev)
    except errors.InvalidInput as exc:
        raise errors.UsageError(str(exc)) from exc


def _revision(snap: Snapshot, rev: str) -> str:
    return snap.revision or rev


def _render(
    snap: Snapshot, status: Mapping[str, bytes], previous: Mapping[str, bytes], now: Any
) -> _Rendered:
    with collector.paused():  # reports are parsed: thousands of small documents
        infos = inventory.build(snap, status, now, previous)
    return _Rendered(snap, infos, previous, hub.render(snap, infos, previous, now))


def _hub_side(files: Mapping[str, bytes]) -> compare.Side:
    """A side made of a stored hub tree alone (decisions read from its pages)."""
    past = history.from_tree(files)
    decided = {key: tuple(sorted(p.decisions)) for key, p in past.placements.items()}
    return compare.Side(files, decided)
