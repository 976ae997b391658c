"""``gitops-ocm controller --repo URL|PATH [--branch main] [--signing-key FILE] [--once] ...``.

I/O shell: runs hub controller passes. A local repository is watched with
inotify (its refs) plus a periodic resync every ``--interval`` seconds; a
remote one is fetched every ``--interval`` seconds. Transient failures (an
unreachable remote, a lost race) back off with jitter and retry; the loop
never dies of them. One log line per pass on stderr, credentials redacted.
With ``--once``: exit 0 valid, 1 invalid, 3 when the branch does not exist (yet)
or the repository cannot be reached; 2 when ``--repo`` is a path but no repository.

Every ``ocm/hub`` and ``ocm/status`` commit is signed with the controller's key,
``--signing-key FILE`` (created when absent, mode 0600), by default
``controller.key`` in ``$GITOPS_OCM_STATE_DIR``, else ``$XDG_STATE_HOME/gitops-ocm``,
else ``~/.local/state/gitops-ocm``. Its path and fingerprint are logged at start
(with ``--once``, just before the pass line, so a missing branch stays one line).
Beside it, ``sealing.key`` is the controller's X25519 sealing key (created when
absent, mode 0600): SealedSecrets on main are sealed to it, and the controller
seals them again to each cluster (docs/security.md, "Sealed secrets").

``--verify-source FILE [--verify-mode head|all]`` (docs/security.md, "Verifying
the source"): a head of main whose SSH signature does not verify against that
allowed-signers file is not published; ``all`` also checks every commit since the
last published one. The file is read at start (missing: exit 2; malformed: exit 1
with ``file:line``) and again whenever it changes.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any

from gitops_ocm import errors
from gitops_ocm.cli import metrics
from gitops_ocm.gitstore import remote
from gitops_ocm.hub import controller, loop, sourcecheck, watch
from gitops_ocm.trust import keyfile, sshsig

KEY_FILE = "controller.key"
SEALING_KEY_FILE = "sealing.key"


def register(sub: Any) -> None:
    """Add the ``controller`` parser."""
    parser = sub.add_parser("controller", help="run the hub controller (main -> ocm/hub)")
    parser.add_argument("--repo", required=True, help="fleet repository: a path or a URL")
    parser.add_argument("--branch", default="main", help="the desired-state branch (main)")
    parser.add_argument("--hub-repo", help="publish ocm/hub and ocm/status here instead")
    parser.add_argument(
        "--reports-repo",
        help="fold the agents' report branches from this repository (a path or a URL; "
        "default: the hub repository)",
    )
    parser.add_argument("--once", action="store_true", help="run one pass and exit")
    metrics.add_options(parser)
    parser.add_argument("--interval", type=float, default=30.0, help="resync/fetch period (s)")
    parser.add_argument("--cache-dir", help="where mirrors of remote repositories live")
    parser.add_argument(
        "--signing-key",
        metavar="FILE",
        help="the controller's Ed25519 key (created if absent; "
        "default $GITOPS_OCM_STATE_DIR/controller.key)",
    )
    parser.add_argument(
        "--verify-source",
        metavar="FILE",
        help="publish only main commits signed by a key of this allowed-signers file",
    )
    parser.add_argument(
        "--verify-mode",
        choices=sourcecheck.MODES,
        default="head",
        help="head: the commit to publish; all: every commit since the last published one",
    )
    parser.set_defaults(handler=run)


def log(text: str) -> None:
    """Write one log line."""
    print(f"controller: {text}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Run one pass (``--once``) or the loop."""
    if args.interval <= 0:
        raise errors.UsageError("--interval must be > 0")
    store = remote.open_store(args.repo, args.cache_dir)
    hub_store = remote.open_store(args.hub_repo, args.cache_dir) if args.hub_repo else None
    reports = remote.open_store(args.reports_repo, args.cache_dir) if args.reports_repo else None
    path, signer = signing_key(args.signing_key, os.environ)
    check = source_check(args.verify_source, args.verify_mode)
    ctl = controller.Controller(
        store,
        branch=args.branch,
        hub_store=hub_store,
        manage_gc=True,
        signer=signer,
        source_check=check,
        state_dir=path.parent,
        sealing_key=keyfile.sealing_key(path.parent / SEALING_KEY_FILE),
        reports_store=reports,
    )
    if args.once:
        result = controller.reconcile_with_retry(ctl)
        if result.source is None:
            raise errors.Waiting(
                f"no branch {args.branch!r} in {store.display}: nothing to reconcile"
            )
        log(key_line(path, signer))
        if check is not None:
            log(check_line(check, args.branch))
        log(result.log_line())
        return 0 if result.valid else 1
    log(key_line(path, signer))
    if check is not None:
        log(check_line(check, args.branch))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    watcher = watch.RefWatcher(store.path, stop) if store.is_local else None
    loop.run(ctl, args.interval, stop, watcher, log, telemetry=metrics.start(args, "controller"))
    return 0


def default_key_path(env: Mapping[str, str]) -> pathlib.Path:
    """Return where the controller's key lives without ``--signing-key``."""
    if env.get("GITOPS_OCM_STATE_DIR"):
        return pathlib.Path(env["GITOPS_OCM_STATE_DIR"]) / KEY_FILE
    if env.get("XDG_STATE_HOME"):
        return pathlib.Path(env["XDG_STATE_HOME"]) / "gitops-ocm" / KEY_FILE
    return pathlib.Path.home() / ".local" / "state" / "gitops-ocm" / KEY_FILE


def signing_key(option: str | None, env: Mapping[str, str]) -> tuple[pathlib.Path, sshsig.Signer]:
    """Return the path of the controller's key and its signer (the key created if absent)."""
    path = pathlib.Path(option) if option else default_key_path(env)
    if not option:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise errors.GitopsOcmError(
                f"{path.parent}: cannot create the key's folder: {exc.strerror}"
            ) from exc
    return path, keyfile.load_or_create(path)


def key_line(path: pathlib.Path, signer: sshsig.Signer) -> str:
    """Return the log line naming the key that signs ocm/hub and ocm/status."""
    return f"signing with {path} (fingerprint {signer.fingerprint})"


def source_check(option: str | None, mode: sourcecheck.Mode) -> sourcecheck.SourceCheck | None:
    """The allowed signers of main (``--verify-source``), read and checked at start."""
    if option is None:
        return None
    return sourcecheck.SourceCheck.open(pathlib.Path(option), mode)


def check_line(check: sourcecheck.SourceCheck, branch: str) -> str:
    """Return the log line naming who may sign main's commits."""
    return (
        f"verifying the signatures of {branch} against {check.path} "
        f"({len(check.entries)} keys, mode {check.mode})"
    )
