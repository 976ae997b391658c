"""``gitops-ocm accept NAME [PATH] [--repo REPO] [--fingerprint FP]``: accept a cluster's key.

I/O shell around :mod:`gitops_ocm.status.acceptance`. Reads NAME's
registration request from ``ocm/status`` (``registrations/NAME.yaml``, written
by the controller from the agent's signed request) of REPO (default: the
repository PATH is in), finds NAME's ManagedCluster in the working tree PATH
(loaded as ``validate`` loads it) and writes the acceptance into that file:
``spec.hubAcceptsClient: true`` and the annotation ``gitops-ocm.io/agent-key``
with the key's fingerprint, the rest of the file kept as written. Without a
ManagedCluster for NAME it creates ``clusters/NAME.yaml``. Nothing is
committed: it prints what changed and the ``git`` commands to propose it.

Exit 1: no request from NAME, several pending and no ``--fingerprint``, a
fingerprint no request of NAME presents, a key whose fingerprint does not
match; 2: PATH not a directory, a bad NAME.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from gitops_ocm import errors, source
from gitops_ocm.cli import status as status_cli
from gitops_ocm.status import acceptance, registrations
from gitops_ocm.trust import failure, keys
from gitops_ocm.validation import names


def register(sub: Any) -> None:
    """Add the ``accept`` parser."""
    parser = sub.add_parser(
        "accept", help="accept a cluster's registration request into a working tree"
    )
    parser.add_argument("name", metavar="NAME", help="the cluster whose request to accept")
    parser.add_argument("path", nargs="?", default=".", help="working tree of main (default .)")
    parser.add_argument("--repo", help="repository holding ocm/status (default: PATH's)")
    parser.add_argument("--fingerprint", help="the key to accept when NAME sent several")
    parser.add_argument("--cache-dir", help="where mirrors of remote repositories live")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Write the acceptance and print what changed."""
    if names.dns_label_problem(args.name) is not None:
        raise errors.UsageError(f"NAME must be a cluster name (a DNS label), got {args.name!r}")
    root = Path(args.path)
    if not root.is_dir():
        raise errors.UsageError(f"no such directory: {args.path}")
    request = chosen(_record(args), args.fingerprint)
    target, edit = _edited(root, args.name, request.fingerprint)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(edit.text, encoding="utf-8")
    rel = target.relative_to(root).as_posix()
    print(f"accepted {args.name} with key {request.fingerprint} in {rel}:")
    for change in edit.changes:
        print(f"  {change}")
    if edit.rewritten:
        print("  (the document was written again from its content: its comments are gone)")
    message = f"accept cluster {args.name} (agent key {request.fingerprint})"
    print("review and propose it with:")
    print(f"  git -C {shlex.quote(str(root))} add {shlex.quote(rel)}")
    print(f"  git -C {shlex.quote(str(root))} commit -m {shlex.quote(message)}")
    return 0


def _record(args: argparse.Namespace) -> registrations.Record:
    """NAME's registration record from ``ocm/status``."""
    tree = status_cli.read_tree(args.repo or args.path, args.cache_dir)
    path = registrations.path(args.name)
    record = registrations.from_yaml(args.name, tree[path]) if path in tree else None
    if record is None:
        raise errors.InvalidInput(
            f"no registration request from cluster {args.name!r} in ocm/status ({path})"
        )
    return record


def chosen(record: registrations.Record, fingerprint: str | None) -> registrations.Request:
    """The request to accept: the one ``fingerprint`` names, else the only pending one."""
    requests = (record.request, *record.earlier)
    if fingerprint is not None:
        found = [item for item in requests if item.fingerprint == fingerprint]
        if not found:
            known = ", ".join(item.fingerprint for item in requests)
            raise errors.InvalidInput(
                f"cluster {record.cluster!r} sent no request with key {fingerprint} "
                f"(its requests: {known})"
            )
        return _checked(found[0])
    waiting = [item for item in requests if item.state == registrations.PENDING]
    if not waiting:
        raise errors.InvalidInput(
            f"cluster {record.cluster!r} has no pending registration request "
            f"(its key {record.request.fingerprint} is {record.request.state})"
        )
    if len(waiting) > 1:
        listed = ", ".join(item.fingerprint for item in waiting)
        raise errors.InvalidInput(
            f"cluster {record.cluster!r} has {len(waiting)} pending requests ({listed}); "
            "choose one with --fingerprint"
        )
    return _checked(waiting[0])


def _checked(request: registrations.Request) -> registrations.Request:
    """The request, when its public key gives the fingerprint it claims (else exit 1)."""
    try:
        key = keys.parse_line(request.public_key)
    except failure.TrustError as exc:
        raise errors.InvalidInput(f"the request's public key is damaged: {exc}") from None
    if key.fingerprint != request.fingerprint:
        raise errors.InvalidInput(
            f"the request's key has fingerprint {key.fingerprint}, not {request.fingerprint}"
        )
    return request


def _edited(root: Path, cluster: str, fingerprint: str) -> tuple[Path, acceptance.Edit]:
    """The file holding ``cluster``'s ManagedCluster and its edit (a new file when none)."""
    snapshot = source.load_directory(root)
    for obj in snapshot.objects:
        if obj.kind == "ManagedCluster" and obj.name == cluster:
            target = root / obj.doc.path
            edit = acceptance.accept(target.read_text(encoding="utf-8"), cluster, fingerprint)
            if edit is not None:
                return target, edit
    target = root / "clusters" / f"{cluster}.yaml"
    if target.exists():
        raise errors.InvalidInput(
            f"{target} exists but holds no ManagedCluster {cluster!r} that can be read"
        )
    text = acceptance.new_file(cluster, fingerprint)
    change = f"new ManagedCluster {cluster} with hubAcceptsClient: true and the agent key"
    return target, acceptance.Edit(text, (change,))
