"""``gitops-ocm hook pre-receive`` and ``gitops-ocm hook install``: a guard on the Git server.

I/O shell. Git runs ``hooks/pre-receive`` in the bare repository before it
moves any ref, with one ``<old> <new> <ref>`` line per ref on stdin and the
pushed objects still in quarantine. Each line is judged by the rules of
:mod:`gitops_ocm.plan.guard` (docs/security.md, "The server-side guard"):

- the protected branch (``main`` by default) is never deleted nor force-pushed
  (T645); its new commit passes both validation tiers and the fleet checks
  (every accepted cluster assumed available, as ``validate`` does), and may not
  remove works, as ``plan`` computes them, from more than ``--max-removal-share``
  of the fleet's clusters without the trailer ``Fleet-Removal: approved`` (T646);
- ``ocm/hub`` and ``ocm/status`` only move forward (T645) to tips signed by the
  ``hub`` key of the current ``ocm/hub:allowed_signers`` (T644);
- ``refs/ocm/hub/<c>`` likewise, and is deleted only once ``ocm/hub`` no
  longer publishes ``clusters/<c>/`` (T645);
- ``ocm/reports/<c>`` takes a report signed by c's accepted key or a
  registration request signed by the key it presents (T642), and is not
  deleted while c has an accepted key (T643);
- any other ref below ``refs/heads/ocm/`` or ``refs/ocm/`` is refused (T641);
  every other ref passes.

Refusals are one stderr line per ref and exit 1: Git then refuses the whole
push and shows our stderr as ``remote:`` lines. Until ``ocm/hub`` carries
``allowed_signers`` (with a ``hub`` key, for ``ocm/hub`` and ``ocm/status``),
signatures are not checked and a note says so. ``install`` writes an
executable hook that runs this module with the current interpreter, so it
works from a venv.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import shlex
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from gitops_ocm import collector, errors, problems, source, validation
from gitops_ocm.cli import inputs, output
from gitops_ocm.gitstore import message, reader, repository
from gitops_ocm.hub import gate
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.placement import inventory
from gitops_ocm.plan import compare, guard
from gitops_ocm.render import hub
from gitops_ocm.trust import failure, keys, signers

ZERO = guard.ZERO
HUB_REF = "refs/heads/ocm/hub"
REJECTED = "gitops-ocm: push rejected: "


def register(sub: Any) -> None:
    """Add the ``hook`` parser and its two actions."""
    parser = sub.add_parser("hook", help="server-side Git hooks (reject invalid pushes)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    receive = actions.add_parser("pre-receive", help="run as the repository's pre-receive hook")
    _add_options(receive)
    receive.set_defaults(handler=pre_receive)
    install = actions.add_parser("install", help="install the pre-receive hook into a repository")
    install.add_argument("--repo", required=True, metavar="BARE_REPO", help="bare repository")
    _add_options(install)
    install.set_defaults(handler=install_hook)


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--branch", default="main", help="the protected branch (default main)")
    parser.add_argument(
        "--max-removal-share",
        type=float,
        default=guard.DEFAULT_SHARE,
        metavar="SHARE",
        help="refuse a main push removing works from more than this share of the clusters "
        "(0-1, default 0.5) unless its message has the trailer 'Fleet-Removal: approved'",
    )


def _share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise errors.UsageError(f"--max-removal-share must be between 0 and 1 (got {value:g})")
    return value


@dataclasses.dataclass(frozen=True)
class Current:
    """What the current ``ocm/hub`` tip says about keys (None: it has no allowed_signers)."""

    hub_key: keys.PublicKey | None
    trust: gate.Trust
    published: frozenset[str] = frozenset()  # the clusters with a folder on ocm/hub


def pre_receive(args: argparse.Namespace) -> int:
    """Judge every ref update read from stdin; 1 rejects the push."""
    share = _share(args.max_removal_share)
    protected = args.branch if args.branch.startswith("refs/") else f"refs/heads/{args.branch}"
    updates = [guard.Update(*f) for f in (line.split() for line in sys.stdin) if len(f) == 3]
    judge = _Judge(protected, share, sys.stderr)
    rejected = False
    for update in updates:
        rejected |= not judge.check(update)
    return 1 if rejected else 0


class _Judge:
    """Checks ref updates against one repository, reading ``ocm/hub`` once."""

    def __init__(self, protected: str, share: float, err: TextIO) -> None:
        self.protected = protected
        self.share = share
        self.err = err
        self._repo: repository.Repository | None = None
        self._current: tuple[Current | None] | None = None

    @property
    def repo(self) -> repository.Repository:
        if self._repo is None:
            self._repo = repository.open_from_env()
        return self._repo

    def check(self, update: guard.Update) -> bool:
        """Return True when the update may happen; explain a refusal on stderr."""
        found = guard.target(update.ref, self.protected)
        if found.kind is guard.Kind.MAIN:
            return self._main(update)
        refused: str | None = None
        if found.kind is guard.Kind.OUTSIDE and not update.deletes:
            refused = guard.outside(update.ref)
        elif found.kind is guard.Kind.CONTROLLER:
            refused = self._controller(update)
        elif found.kind is guard.Kind.CLUSTER_HUB and found.cluster is not None:
            refused = self._cluster_ref(update, found.cluster)
        elif found.kind is guard.Kind.REPORT and found.cluster is not None:
            refused = self._report(update, found.cluster)
        if refused is not None:
            self.err.write(f"{REJECTED}{refused}\n")
        return refused is None

    def current(self) -> Current | None:
        """The keys of the current ``ocm/hub:allowed_signers`` (None: no such file)."""
        if self._current is None:
            self._current = (read_current(self.repo),)
        return self._current[0]

    def note(self, update: guard.Update, text: str) -> None:
        self.err.write(f"gitops-ocm: note: {update.ref}: {text}\n")

    def _main(self, update: guard.Update) -> bool:
        descends = not update.deletes and _descends(self.repo, update)
        refused = guard.rewound(update, descends)
        if refused is not None:
            self.err.write(f"{REJECTED}{refused}\n")
            return False
        if not check_update(update.new, update.ref, self.err):
            return False
        refused = removal(self.repo, update, self.share)
        if refused is not None:
            self.err.write(f"{REJECTED}{refused}\n")
        return refused is None

    def _controller(self, update: guard.Update) -> str | None:
        refused = guard.rewound(update, not update.deletes and _descends(self.repo, update))
        if refused is not None:
            return refused
        current = self.current()
        if current is None or current.hub_key is None:
            self.note(update, "not guarded yet: ocm/hub has no allowed_signers with a hub key")
            return None
        return guard.controller(update, gate.signature_of(self.repo, update.new), current.hub_key)

    def _cluster_ref(self, update: guard.Update, cluster: str) -> str | None:
        """A cluster's own ref: as ``ocm/hub``, but deleted once the cluster left it."""
        if not update.deletes:
            return self._controller(update)
        current = self.current()
        if current is not None and cluster in current.published:
            return guard.cluster_ref_deleted(update, cluster)
        return None

    def _report(self, update: guard.Update, cluster: str) -> str | None:
        current = self.current()
        if current is None:
            self.note(update, "not guarded yet: ocm/hub has no allowed_signers")
            return None
        accepted = current.trust.accepted.get(cluster)
        if update.deletes:
            return None if accepted is None else guard.report_deleted(update, accepted)
        if accepted is None and cluster in current.trust.unkeyed:
            self.note(update, "not guarded: the cluster is published without a key (open)")
            return None
        signature = gate.signature_of(self.repo, update.new)
        presented: gate.Presented = gate.presented_of(self.repo, cluster, None)
        if signature.signer is not None:  # a commit: its tree can be listed
            tree = reader.branch_tip(self.repo, update.new).tree
            presented = gate.presented_of(
                self.repo, cluster, gate.registration_blob(self.repo, tree)
            )
        return guard.report(update, cluster, signature, presented, accepted)


def _descends(repo: repository.Repository, update: guard.Update) -> bool:
    return update.creates or reader.descends_from(repo, update.new, update.old)


def read_current(repo: repository.Repository) -> Current | None:
    """Read the keys the current ``ocm/hub`` tip accepts (None: no branch or no file).

    A damaged file trusts no key: reports are then only registration requests,
    and ``ocm/hub`` and ``ocm/status`` are not guarded (the controller rewrites it).
    """
    try:
        blob = reader.blob_at(repo, HUB_REF, gate.SIGNERS_PATH)
        published = reader.folder_ids(repo, HUB_REF, "clusters")
    except errors.InvalidInput:
        return None
    if blob is None:
        return None
    try:
        entries = signers.parse(reader.read_blob(repo, blob).decode("utf-8", "replace"))
    except failure.TrustError:
        entries = ()
    accepted: dict[str, keys.PublicKey] = {}
    for entry in entries:  # the first key listed for each cluster, as the gate takes it
        for principal in entry.principals:
            if principal != gate.HUB_PRINCIPAL and signers.keys_for([entry], principal):
                accepted.setdefault(principal, entry.key)
    hub_keys = signers.keys_for(entries, gate.HUB_PRINCIPAL)
    clusters = {path.split("/", 1)[1] for path in published}
    trust = gate.Trust(accepted, frozenset(clusters - accepted.keys()))
    return Current(hub_keys[0] if hub_keys else None, trust, frozenset(clusters))


def check_update(new: str, ref: str, err: TextIO) -> bool:
    """Return True when ``ref`` may move to ``new``; explain a refusal on ``err``."""
    found = problems_of(repository.open_from_env(), new)
    if not problems.has_errors(found):
        return True
    count = sum(1 for p in found if p.severity is problems.Severity.ERROR)
    err.write(f"{REJECTED}{count} problems in {new[:12]} ({ref})\n")
    output.report(found, "text", out=err)
    return False


def removal(repo: repository.Repository, update: guard.Update, share: float) -> str | None:
    """T646 when the new main commit removes works from too many clusters (None: fine).

    The works removed are those ``plan`` shows between the old and new commit:
    both rendered against ``ocm/status`` (every accepted cluster available
    without it) and the ``ocm/hub`` tree in force (a first render of the old
    commit without it), at one time. An old commit that is invalid stands for
    the ``ocm/hub`` tree; with neither, there is nothing to compare.
    """
    if update.creates:
        return None
    if guard.approved(message.parse_trailers(reader.commit_info(repo, update.new).message)):
        return None
    head = source.load_commit(repo, update.new)
    try:
        base: Snapshot | None = source.load_commit(repo, update.old)
    except errors.InvalidInput:
        base = None
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    read = inputs.from_branches(repo, [s for s in (base, head) if s is not None], now)
    previous: Mapping[str, bytes] = read.previous
    if base is None or problems.has_errors(validation.validate(base)):
        old = previous
    else:
        if not previous:
            previous = _render(base, read.status, {}, now)
        old = _render(base, read.status, previous, now)
    if not old:
        return None
    new = _render(head, read.status, previous, now)
    plan = compare.compare(compare.Side(old, {}), compare.Side(new, {}))
    clusters = guard.fleet(old)
    return guard.removal(update, guard.losing(plan), len(clusters), share, False)


def _render(
    snapshot: Snapshot, status: Mapping[str, bytes], previous: Mapping[str, bytes], now: Any
) -> Mapping[str, bytes]:
    with collector.paused():  # reports are parsed: thousands of small documents
        infos = inventory.build(snapshot, status, now, previous)
    return hub.render(snapshot, infos, previous, now).files


def problems_of(repo: repository.Repository, rev: str) -> list[problems.Problem]:
    """Return both validation tiers and, when those pass, the fleet checks of a commit."""
    snapshot = source.load_commit(repo, rev)  # InvalidInput: exit 1, the push is refused
    found = validation.validate(snapshot)
    if problems.has_errors(found):
        return found
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    status = hub.assume_available(snapshot, now)
    with collector.paused():  # reports are parsed: thousands of small documents
        infos = inventory.build(snapshot, status, now, {})
    return sorted([*found, *hub.render(snapshot, infos, {}, now).problems])


def script(branch: str, share: float = guard.DEFAULT_SHARE) -> str:
    """Return the hook script: this interpreter running ``gitops_ocm hook pre-receive``."""
    command = [sys.executable, "-m", "gitops_ocm", "hook", "pre-receive", "--branch", branch]
    command += ["--max-removal-share", f"{share:g}"]
    return f"#!/bin/sh\n# Installed by gitops-ocm hook install.\nexec {shlex.join(command)}\n"


def install_hook(args: argparse.Namespace) -> int:
    """Write ``hooks/pre-receive`` (executable) into a bare repository."""
    share = _share(args.max_removal_share)
    repo = Path(args.repo)
    hooks = repo / "hooks"
    if not (repo / "HEAD").is_file() or not (repo / "objects").is_dir():
        raise errors.UsageError(f"not a bare Git repository: {args.repo}")
    hooks.mkdir(exist_ok=True)
    target = hooks / "pre-receive"
    target.write_text(script(args.branch, share))
    mode = target.stat().st_mode
    os.chmod(target, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    print(f"installed {target}")
    return 0
