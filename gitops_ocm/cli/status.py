"""``gitops-ocm status``: the fleet as tables, read from the ``ocm/status`` branch.

I/O shell: opens the repository (fetching a remote one into its mirror), reads
the status tree lazily and prints the tables of :mod:`gitops_ocm.fleetview`.
Exit 1 when ``--cluster``, ``--work``, ``--placement`` or ``--policy`` names
nothing in the status tree (almost always a typo), 2 on usage. ``--pending``
lists the registration requests waiting for ``gitops-ocm accept``
(``registrations/`` on ``ocm/status``) and the clusters awaiting their agent.
``--work NAME`` (or ``NAMESPACE/NAME``) naming a ManifestWorkReplicaSet shows
its rollout (:mod:`gitops_ocm.status.rolloutview`) and its works; naming a
direct ManifestWork, its rows across clusters.
The branch is the local ``ocm/status``, else ``origin/ocm/status``: an ordinary
clone has only the latter.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gitops_ocm import errors, fleetview
from gitops_ocm.gitstore import reader, refs, remote
from gitops_ocm.hub import report, trees
from gitops_ocm.render import works
from gitops_ocm.status import registrations, rolloutview

STATUS_BRANCH = "ocm/status"


def register(sub: Any) -> None:
    """Add the ``status`` parser."""
    parser = sub.add_parser("status", help="show the fleet from the ocm/status branch")
    parser.add_argument("--repo", default=".", help="repository path or URL (default .)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--cluster", metavar="NAME", help="one cluster in detail")
    what.add_argument(
        "--work",
        metavar="NAME",
        help="one ManifestWorkReplicaSet (NAME or NS/NAME: its rollout) or work across clusters",
    )
    what.add_argument("--placement", metavar="NS/NAME", help="one placement's decisions")
    what.add_argument("--policy", metavar="NS/NAME", help="one policy's compliance")
    what.add_argument(
        "--pending", action="store_true", help="registration requests waiting for acceptance"
    )
    parser.add_argument("--output", "-o", choices=("table", "json"), default="table")
    parser.add_argument("--cache-dir", help="where mirrors of remote repositories live")
    parser.set_defaults(handler=run)


def _split(value: str, option: str) -> tuple[str, str]:
    namespace, sep, name = value.partition("/")
    if not sep or not namespace or not name:
        raise errors.UsageError(f"{option} takes NAMESPACE/NAME (got {value!r})")
    return namespace, name


def read_tree(repo: str, cache_dir: str | None) -> trees.LazyFiles:
    """The ``ocm/status`` tree of ``repo`` (local branch, else ``origin/``), read lazily."""
    store = remote.open_store(repo, cache_dir)
    store.fetch()
    tip = None
    for name in (refs.branch_ref(STATUS_BRANCH), f"refs/remotes/origin/{STATUS_BRANCH}"):
        tip = tip or refs.read_tip(store.repo, name).id
    if tip is None:
        raise errors.InvalidInput(f"{store.display} has no {STATUS_BRANCH} branch yet")
    lazy = reader.lazy_tree(store.repo, tip)
    return trees.LazyFiles(lazy.blobs, lazy.read)


def run(args: argparse.Namespace) -> int:
    """Print the requested view."""
    if args.placement:
        placement = _split(args.placement, "--placement")
    if args.policy:
        policy = _split(args.policy, "--policy")
    tree = read_tree(args.repo, args.cache_dir)
    if args.pending:
        return _pending(tree, args.output)
    data: Any
    if args.cluster:
        if args.cluster not in fleetview.clusters_in(tree):
            raise errors.InvalidInput(f"no report from cluster {args.cluster!r}")
        data = fleetview.cluster_detail(tree, args.cluster)
    elif args.work:
        data = _work(tree, args.work)
    elif args.placement:
        data = fleetview.placement_detail(tree, *placement)
        if not data:
            raise errors.InvalidInput(f"no Placement {args.placement} in {STATUS_BRANCH}")
    elif args.policy:
        data = fleetview.policy_detail(tree, *policy)
        if not (data.get("status") or {}).get("status") and not _has_rollup(tree, *policy):
            raise errors.InvalidInput(f"no Policy {args.policy} in {STATUS_BRANCH}")
    else:
        data = fleetview.cluster_rows(tree)
    if args.output == "json":
        json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
        print()
        return 0
    print(fleetview.controller_summary(tree))
    print()
    if isinstance(data, list):
        print(fleetview.table(data))
    elif "manifestWorkReplicaSet" in data:
        print(rolloutview.describe(data))
    else:
        print(_describe(data))
    return 0


def _pending(tree: trees.LazyFiles, output: str) -> int:
    """Print the pending registration requests (and, as text, who awaits an agent)."""
    names = [name for name in tree if name.startswith(f"{registrations.FOLDER}/")]
    rows = registrations.pending_rows(registrations.read_all({n: tree[n] for n in names}))
    if output == "json":
        json.dump(rows, sys.stdout, indent=2, sort_keys=True)
        print()
        return 0
    print(fleetview.table([{k: v for k, v in row.items() if k != "publicKey"} for row in rows]))
    awaiting = report.awaiting(tree.get(report.PATH))
    if awaiting:
        print()
        print("awaiting agent (accepted on main, no key yet): " + ", ".join(awaiting))
    if rows:
        print()
        print("accept one with: gitops-ocm accept NAME [PATH] and a commit on main")
    return 0


def _work(tree: trees.LazyFiles, value: str) -> Any:
    """A ManifestWorkReplicaSet's rollout and works, else a direct work's rows across clusters."""
    found = rolloutview.find(tree, value)
    if len(found) > 1:
        where = ", ".join(f"{ns}/{name}" for ns, name in found)
        raise errors.InvalidInput(
            f"ManifestWorkReplicaSet {value!r} is in several namespaces ({where}): "
            "name one as NAMESPACE/NAME"
        )
    if found:
        namespace, name = found[0]
        rows = fleetview.work_rows(tree, works.mwrs_work_name(namespace, name), exact=True)
        return rolloutview.detail(tree, namespace, name, rows)
    rows = [] if "/" in value else fleetview.work_rows(tree, value)
    if not rows:
        raise errors.InvalidInput(f"no work or ManifestWorkReplicaSet {value!r} reported")
    return rows


def _has_rollup(tree: trees.LazyFiles, namespace: str, name: str) -> bool:
    return f"policies/{namespace}/{name}.yaml" in tree


def _describe(data: dict[str, Any], indent: str = "") -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, dict) and value:
            lines.append(f"{indent}{key}:")
            lines.append(_describe(value, indent + "  "))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{indent}{key}:")
            for item in value:
                lines.append(f"{indent}  - " + ", ".join(f"{k}={v}" for k, v in item.items()))
        else:
            lines.append(f"{indent}{key}: {value}")
    return "\n".join(lines)
