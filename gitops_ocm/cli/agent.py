"""``gitops-ocm agent``: one cluster's pull agent (apply prescriptions, commit reports).

I/O shell: opens the cluster (a kubeconfig, the pod's service account, or an
in-memory cluster kept in a folder), runs passes every ``--interval`` seconds
(or one with ``--once``) through :mod:`gitops_ocm.agent.loop`, which prints
one line per pass. Exit codes with
``--once``: 0 the pass succeeded, 1 some manifest failed (see the report),
3 Git or the cluster could not be reached (the pass still reconciled from the
prescriptions kept on disk), the hub branch is not published yet, or the
cluster is not accepted yet (its registration request was pushed); 1 also when
the hub tip was refused (T631-T633, the last verified prescriptions were
applied). Without ``--once`` those keep the loop going. Always: 2 when
``--repo`` is a path but no repository, ``--hub-key`` is neither a fingerprint
nor a readable file, or the kubeconfig cannot be read; 1 when a key file is
damaged or open to others; 3 when the state folder cannot be written.
``--print-key`` prints the agent's public key line and fingerprint (creating the
key in the state folder on first use) and exits 0. At start the agent logs its
key's fingerprint.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gitops_ocm import errors
from gitops_ocm.agent import identity, loop, reconciler
from gitops_ocm.cli import metrics
from gitops_ocm.gitstore import remote, urls
from gitops_ocm.kube import cluster as kube
from gitops_ocm.localkube import memory, simulate, state, store

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def register(subparsers: Any) -> None:
    """Add the ``agent`` parser."""
    parser = subparsers.add_parser(
        "agent",
        help="apply one cluster's prescriptions from ocm/hub and commit its reports",
        description="Pull agent: fetch ocm/hub, apply this cluster's works, report status.",
    )
    parser.add_argument("--repo", help="hub repository: a path or a URL (required to run)")
    parser.add_argument("--cluster", required=True, help="the ManagedCluster this agent serves")
    parser.add_argument(
        "--print-key",
        action="store_true",
        help="print the agent's public key line and fingerprint (creating the key) and exit",
    )
    parser.add_argument(
        "--hub-key",
        metavar="FILE|FINGERPRINT",
        help="the controller's key: a .pub file, or its SHA256: fingerprint (default: pin on "
        "first contact)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--kubeconfig", type=Path, help="reach the cluster with this kubeconfig")
    where.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    where.add_argument("--local", type=Path, metavar="DIR", help="an in-memory cluster kept in DIR")
    parser.add_argument("--once", action="store_true", help="run one pass and exit")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")
    metrics.add_options(parser)
    parser.add_argument("--state", type=Path, help="state folder (default ~/.local/state/...)")
    parser.add_argument("--hub-branch", default="ocm/hub", help="branch of the prescriptions")
    parser.add_argument(
        "--reports-repo",
        help="push the report branch to this repository (a path or a URL; "
        "default: the --repo repository)",
    )
    parser.add_argument(
        "--eviction-grace",
        type=float,
        default=3600.0,
        help="seconds before works whose hub copy is gone are evicted (default 3600)",
    )
    parser.add_argument(
        "--simulate-workloads", action="store_true", help="with --local: make workloads ready"
    )
    parser.set_defaults(handler=run)


def _state_dir(args: argparse.Namespace) -> Path:
    """The state folder, created now so that a folder we cannot write fails at start."""
    if args.state is not None:
        folder = Path(str(args.state))
    else:
        try:
            base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        except RuntimeError as exc:  # no HOME and no passwd entry
            raise errors.GitopsOcmError("no home directory: pass --state DIR") from exc
        folder = Path(base) / "gitops-ocm" / str(args.cluster)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.GitopsOcmError(
            f"cannot create the state folder {folder}: {exc.strerror} (pass --state DIR)"
        ) from exc
    if not os.access(folder, os.W_OK):
        raise errors.GitopsOcmError(f"cannot write the state folder {folder} (pass --state DIR)")
    return folder


def _check(args: argparse.Namespace) -> None:
    if not _LABEL.match(args.cluster):
        raise errors.UsageError(f"'--cluster' must be a DNS label (got {args.cluster!r})")
    if args.repo is None:
        raise errors.UsageError("'--repo' is required (except with '--print-key')")
    if args.kubeconfig is None and not args.in_cluster and args.local is None:
        raise errors.UsageError("one of '--kubeconfig', '--in-cluster' or '--local' is required")
    if args.interval <= 0:
        raise errors.UsageError(f"'--interval' must be > 0 (got {args.interval})")
    if args.eviction_grace < 0:
        raise errors.UsageError(f"'--eviction-grace' must be >= 0 (got {args.eviction_grace})")
    if args.simulate_workloads and args.local is None:
        raise errors.UsageError("'--simulate-workloads' needs '--local'")
    for where in (args.repo, args.reports_repo):
        if where is not None and not urls.is_url(where):
            remote.open_store(where)  # errors.NotFound (exit 2) when it is no repository


def _connect(args: argparse.Namespace) -> tuple[kube.Cluster, store.Store | None]:
    if args.local is not None:
        backing = store.Store()
        state.load(backing, Path(args.local))
        return memory.MemoryCluster(backing, manager="work-agent"), backing
    from gitops_ocm.kube import client  # the official client is slow to import

    if args.in_cluster:
        return client.KubernetesCluster.in_cluster(), None
    return client.KubernetesCluster.from_kubeconfig(str(args.kubeconfig)), None


def run(args: argparse.Namespace) -> int:
    """Run passes until interrupted (or one with ``--once``); return the exit code."""
    if args.print_key:
        return _print_key(args)
    _check(args)
    pin = identity.pin_argument(args.hub_key)
    state_dir = _state_dir(args)
    cluster, backing = _connect(args)
    settings = reconciler.Settings(
        repo=args.repo,
        cluster=args.cluster,
        state_dir=state_dir,
        hub_branch=args.hub_branch,
        eviction_grace=datetime.timedelta(seconds=args.eviction_grace),
        hub_pin=pin,
        reports_repo=args.reports_repo,
    )
    agent = reconciler.Agent(settings, cluster)
    key = state_dir / identity.AGENT_KEY
    print(f"agent {args.cluster}: key {agent.signer.fingerprint} ({key})", file=sys.stderr)
    simulator = simulate.Simulator(backing).start() if args.simulate_workloads and backing else None
    stop = threading.Event()
    if not args.once:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
    try:
        schedule = loop.Schedule(args.interval, args.once)
        recorder = None if args.once else metrics.start(args, "agent")
        return loop.run(agent, schedule, stop, _saver(args, backing), recorder)
    finally:
        if simulator is not None:
            simulator.stop()


def _print_key(args: argparse.Namespace) -> int:
    """Print the public key line and its fingerprint, for a person to compare."""
    if not _LABEL.match(args.cluster):
        raise errors.UsageError(f"'--cluster' must be a DNS label (got {args.cluster!r})")
    signer = identity.agent_signer(_state_dir(args))
    print(signer.public_key.to_line())
    print(signer.fingerprint)
    return 0


def _saver(args: argparse.Namespace, backing: store.Store | None) -> Callable[[], None]:
    """What to do after each pass: keep an in-memory cluster in its folder."""
    if backing is None:
        return lambda: None
    return lambda: state.save(backing, Path(args.local))
