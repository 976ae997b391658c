"""``gitops-ocm seal [FILE] (--key PUB | --repo REPO) [--out FILE]``: seal a Secret for main.

I/O shell around :mod:`gitops_ocm.trust.sealedsecret`. Reads one Secret
(YAML, from FILE or stdin when FILE is ``-`` or absent) and writes the
``SealedSecret`` whose values are sealed to the controller's public sealing
key: the ``x25519`` line of ``--key PUB``, or ``sealing.pub`` at the root of
``ocm/hub`` in REPO (the controller publishes it there, docs/security.md).
The random bytes come from ``os.urandom``; nothing else is written.

Exit 1: input that is not one Secret with a name and a namespace, a key file
that holds no sealing key, a repository whose ``ocm/hub`` has no ``sealing.pub``;
2: neither or both of ``--key`` and ``--repo``, a file that cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from gitops_ocm import errors
from gitops_ocm.gitstore import reader, refs, remote
from gitops_ocm.model import yamlfile, yamlout
from gitops_ocm.trust import failure, seal, sealedsecret

HUB_BRANCH = "ocm/hub"
PUBLIC_FILE = "sealing.pub"


def register(sub: Any) -> None:
    """Add the ``seal`` parser."""
    parser = sub.add_parser("seal", help="seal a Secret to the controller's key, safe for main")
    parser.add_argument("file", nargs="?", default="-", help="the Secret (YAML; - or none: stdin)")
    parser.add_argument("--key", help="the controller's public sealing key (an x25519 line)")
    parser.add_argument("--repo", help="read the key from ocm/hub:sealing.pub of this repository")
    parser.add_argument("--out", help="write the SealedSecret here (default: stdout)")
    parser.add_argument("--cache-dir", help="where mirrors of remote repositories live")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Seal the Secret and write the SealedSecret."""
    if (args.key is None) == (args.repo is None):
        raise errors.UsageError("give exactly one of --key FILE and --repo REPO")
    key = _key_file(args.key) if args.key else _key_in_repo(args.repo, args.cache_dir)
    name, data = _input(args.file)
    doc = sealedsecret.from_secret(_secret(name, data), key, os.urandom)
    out = yamlout.dump(doc)
    if args.out:
        Path(args.out).write_bytes(out)
    else:
        sys.stdout.buffer.write(out)
    return 0


def _input(name: str) -> tuple[str, bytes]:
    if name == "-":
        return "<stdin>", sys.stdin.buffer.read(yamlfile_limit())
    try:
        return name, Path(name).read_bytes()
    except OSError as exc:
        raise errors.UsageError(f"cannot read {name}: {exc.strerror}") from exc


def yamlfile_limit() -> int:
    """Read at most this much from stdin (a Secret holds at most 1 MiB)."""
    return 4 * 1024 * 1024


def _secret(name: str, data: bytes) -> dict[str, Any]:
    """The one Secret document of ``data``, or InvalidInput naming the file."""
    parsed = yamlfile.parse(name, data)
    if parsed.problems:
        raise errors.InvalidInput(parsed.problems[0].render())
    if len(parsed.documents) != 1 or not sealedsecret.is_secret(parsed.documents[0].body):
        raise errors.InvalidInput(f"{name}: one Secret (apiVersion v1, kind Secret) is needed")
    body = parsed.documents[0].body
    meta = body.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name") or not meta.get("namespace"):
        raise errors.InvalidInput(
            f"{name}: the Secret needs metadata.name and metadata.namespace "
            "(its values are sealed for that place only)"
        )
    return body


def _key_file(path: str) -> seal.SealingKey:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise errors.UsageError(f"cannot read --key {path}: {exc.strerror}") from exc
    return _key_line(path, text)


def _key_in_repo(repo: str, cache_dir: str | None) -> seal.SealingKey:
    store = remote.open_store(repo, cache_dir)
    store.fetch()
    tip = None
    for ref in (refs.branch_ref(HUB_BRANCH), f"refs/remotes/origin/{HUB_BRANCH}"):
        tip = tip or refs.read_tip(store.repo, ref).id
    data = reader.read_path(store.repo, tip, PUBLIC_FILE) if tip else None
    if data is None:
        raise errors.InvalidInput(
            f"{store.display}: {HUB_BRANCH} has no {PUBLIC_FILE} yet (start the controller "
            "with a state folder, or give --key)"
        )
    return _key_line(f"{HUB_BRANCH}:{PUBLIC_FILE}", data.decode("utf-8", errors="replace"))


def _key_line(where: str, text: str) -> seal.SealingKey:
    lines = text.strip().splitlines()
    try:
        return seal.parse_line(lines[0] if lines else "")
    except failure.TrustError as exc:
        raise failure.TrustError(exc.code, exc.detail, f"{where}:1") from exc
