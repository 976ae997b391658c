"""``gitops-ocm hook pre-receive`` and ``gitops-ocm hook install``: a gate on the Git server.

I/O shell. Git runs ``hooks/pre-receive`` in the bare repository before it
moves any ref, with one ``<old> <new> <ref>`` line per ref on stdin and the
pushed objects still in quarantine. For the protected branch (``main`` by
default) we load the pushed commit, run both validation tiers and the fleet
checks (every accepted cluster assumed available, as ``validate`` does), and
exit 1 with the problems on stderr when it is invalid: Git then refuses the
whole push and shows our stderr as ``remote:`` lines. Deleting the protected
branch is refused too; every other ref passes. ``install`` writes an executable
hook that runs this module with the current interpreter, so it works from a venv.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import stat
import sys
from pathlib import Path
from typing import Any, TextIO

from gitops_ocm import collector, errors, problems, source, validation
from gitops_ocm.cli import output
from gitops_ocm.gitstore import repository
from gitops_ocm.placement import inventory
from gitops_ocm.render import hub

ZERO = "0" * 40


def register(sub: Any) -> None:
    """Add the ``hook`` parser and its two actions."""
    parser = sub.add_parser("hook", help="server-side Git hooks (reject invalid pushes)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    receive = actions.add_parser("pre-receive", help="run as the repository's pre-receive hook")
    receive.add_argument("--branch", default="main", help="the protected branch (default main)")
    receive.set_defaults(handler=pre_receive)
    install = actions.add_parser("install", help="install the pre-receive hook into a repository")
    install.add_argument("--repo", required=True, metavar="BARE_REPO", help="bare repository")
    install.add_argument("--branch", default="main", help="the protected branch (default main)")
    install.set_defaults(handler=install_hook)


def pre_receive(args: argparse.Namespace) -> int:
    """Check every update of the protected branch read from stdin; 1 rejects the push."""
    protected = args.branch if args.branch.startswith("refs/") else f"refs/heads/{args.branch}"
    rejected = False
    for line in sys.stdin:
        fields = line.split()
        if len(fields) != 3 or fields[2] != protected:
            continue
        rejected |= not check_update(fields[1], protected, sys.stderr)
    return 1 if rejected else 0


def check_update(new: str, ref: str, err: TextIO) -> bool:
    """Return True when ``ref`` may move to ``new``; explain a refusal on ``err``."""
    if set(new) == {"0"}:
        err.write(f"gitops-ocm: push rejected: deleting {ref} is not allowed\n")
        return False
    found = problems_of(repository.open_from_env(), new)
    if not problems.has_errors(found):
        return True
    count = sum(1 for p in found if p.severity is problems.Severity.ERROR)
    err.write(f"gitops-ocm: push rejected: {count} problems in {new[:12]} ({ref})\n")
    output.report(found, "text", out=err)
    return False


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


def script(branch: str) -> str:
    """Return the hook script: this interpreter running ``gitops_ocm hook pre-receive``."""
    command = [sys.executable, "-m", "gitops_ocm", "hook", "pre-receive", "--branch", branch]
    return f"#!/bin/sh\n# Installed by gitops-ocm hook install.\nexec {shlex.join(command)}\n"


def install_hook(args: argparse.Namespace) -> int:
    """Write ``hooks/pre-receive`` (executable) into a bare repository."""
    repo = Path(args.repo)
    hooks = repo / "hooks"
    if not (repo / "HEAD").is_file() or not (repo / "objects").is_dir():
        raise errors.UsageError(f"not a bare Git repository: {args.repo}")
    hooks.mkdir(exist_ok=True)
    target = hooks / "pre-receive"
    target.write_text(script(args.branch))
    mode = target.stat().st_mode
    os.chmod(target, mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    print(f"installed {target}")
    return 0
