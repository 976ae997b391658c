"""Folding the agents' report branches into ``ocm/status`` (the controller's second job).

I/O shell around the pure :mod:`gitops_ocm.status` fold and the policy rollups.
Each ``ocm/reports/<cluster>`` tip is grafted whole under ``clusters/<cluster>/``
(a cluster whose lease expired is rewritten to Available=Unknown instead), and
the rollups are added: placements, ManifestWorkReplicaSets, root policies
(``policies/<ns>/<name>.yaml``, with a Compliance section in README.md),
PolicySets (``policysets/<ns>/<name>.yaml``),
``controller.yaml`` and the README. A fold is skipped when its inputs (hub tip,
report tips, controller.yaml) are unchanged and no lease has expired since.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.gitstore import reader, refs, remote, writer
from gitops_ocm.hub import report, trees
from gitops_ocm.model import yamlout
from gitops_ocm.policy import rollup
from gitops_ocm.status import cache as fold_cache
from gitops_ocm.status import fold as fold_core
from gitops_ocm.status import views

STATUS_BRANCH = "ocm/status"
HUB_BRANCH = "ocm/hub"
REPORTS = "ocm/reports"

ReplicaSets = Mapping[tuple[str, str], Sequence[str]]


class StatusFolder:
    """Keeps the fold's caches between passes and writes ``ocm/status``."""

    def __init__(self, store: remote.Store, author: writer.Author) -> None:
        self.store = store
        self.author = author
        self.cache = fold_cache.FoldCache()
        self.walker = reader.TreeWalker(store.repo)
        self.replica_sets: ReplicaSets = {}
        self.report_walkers: dict[str, reader.TreeWalker] = {}
        self.policy_sets: Mapping[tuple[str, str], Sequence[str]] = {}
        self._last: tuple[Any, ...] | None = None
        self._next_check: datetime.datetime | None = None

    def fold(self, now: datetime.datetime) -> str | None:
        """Fold if anything changed; return the new ocm/status commit, or None."""
        repo = self.store.repo
        hub_tip = refs.read_tip(repo, refs.branch_ref(HUB_BRANCH))
        status_tip = refs.read_tip(repo, refs.branch_ref(STATUS_BRANCH))
        tips = reader.branch_tips(repo, REPORTS)
        previous = self._status_files(status_tip)
        controller_yaml = previous.get(report.PATH) if previous is not None else None
        inputs = (
            hub_tip.id,
            tuple(sorted((c, t.commit) for c, t in tips.items())),
            controller_yaml,
            tuple(sorted((k, tuple(v)) for k, v in self.policy_sets.items())),
            tuple(sorted((k, tuple(v)) for k, v in self.replica_sets.items())),
        )
        due = self._next_check is not None and now >= self._next_check
        if inputs == self._last and not due:
            return None
        hub_files: Mapping[str, bytes] = {}
        hub_blobs: dict[str, str] = {}
        hub_tree = None
        if hub_tip.commit is not None:
            hub_tree = str(hub_tip.commit.tree_id)
            hub_blobs = self.walker.files(hub_tree)
            hub_files = _lazy(repo, hub_blobs)
        reports = {cluster: self._report(cluster, tip) for cluster, tip in tips.items()}
        accepted = [f.split("/", 1)[1] for f in reader.folder_ids(repo, hub_tip.id, "clusters")]
        folded = fold_core.fold(
            reports,
            hub_files,
            accepted,
            controller_yaml,
            now,
            self.cache,
            self.store.display,
            hub_blobs=hub_blobs,
            replica_sets=self.replica_sets,
            previous=previous,
            hub_tree=hub_tree,
        )
        self._policies(folded, reports, hub_blobs)
        self._next_check = folded.next_check
        result = writer.graft(
            repo,
            STATUS_BRANCH,
            folded.subtrees,
            folded.files,
            f"status: fold {len(reports)} reports",
            {"Hub-Commit": hub_tip.id or "none"},
            author=self.author,
        )
        if result.created:
            self.store.push(STATUS_BRANCH, result.previous)
        self._last = inputs
        return result.commit if result.created else None

    def _status_files(self, tip: refs.Tip) -> trees.LazyFiles | None:
        """The current ocm/status files outside cluster folders (rollups keep their times)."""
        if tip.commit is None:
            return None
        repo = self.store.repo
        blobs: dict[str, str] = {}
        for folder in ("placements", "manifestworkreplicasets", "policies"):
            lazy = reader.lazy_tree(repo, tip.id or "", folder)
            blobs.update((f"{folder}/{path}", blob) for path, blob in lazy.blobs.items())
        for name in (report.PATH, "README.md"):
            if name in tip.commit.tree:
                blobs[name] = str(tip.commit.tree[name].id)
        return _lazy(repo, blobs)

    def _report(self, cluster: str, tip: reader.BranchTip) -> views.Report:
        walker = self.report_walkers.setdefault(cluster, reader.TreeWalker(self.store.repo))
        blobs = walker.files(tip.tree)
        when = datetime.datetime.fromtimestamp(tip.time, datetime.UTC)
        return views.Report(cluster, tip.tree, _lazy(self.store.repo, blobs), blobs, when)

    def _policies(
        self,
        folded: fold_core.Folded,
        reports: Mapping[str, views.Report],
        hub_blobs: Mapping[str, str],
    ) -> None:
        """Add root policy statuses and the README's Compliance section."""
        placed: dict[tuple[str, str], dict[str, Mapping[str, Any] | None]] = {}
        for path in hub_blobs:
            parts = path.split("/")
            if len(parts) == 4 and parts[0] == "clusters" and parts[2] == "policies":
                namespace, _, name = parts[3][: -len(".yaml")].partition(".")
                placed.setdefault((namespace, name), {})[parts[1]] = None
        for (namespace, name), clusters in placed.items():
            for cluster in clusters:
                got = reports.get(cluster)
                data = got.files.get(f"policies/{namespace}.{name}.yaml") if got else None
                clusters[cluster] = _body(data)
        roots = {key: rollup.root_status(key, per) for key, per in placed.items()}
        for (namespace, name), status in roots.items():
            body = {
                "apiVersion": "policy.open-cluster-management.io/v1",
                "kind": "Policy",
                "metadata": {"name": name, "namespace": namespace},
                "status": status,
            }
            folded.files[f"policies/{namespace}/{name}.yaml"] = yamlout.dump(body)
        for (namespace, name), members in sorted(self.policy_sets.items()):
            names = {n: roots.get((namespace, n)) for n in members}
            body = {
                "apiVersion": "policy.open-cluster-management.io/v1beta1",
                "kind": "PolicySet",
                "metadata": {"name": name, "namespace": namespace},
                "status": rollup.policyset_status(members, names),
            }
            folded.files[f"policysets/{namespace}/{name}.yaml"] = yamlout.dump(body)
        readme = folded.files.get("README.md", b"").decode()
        section = rollup.readme_section(roots)
        folded.files["README.md"] = (readme.rstrip("\n") + "\n\n" + section).encode()


def _lazy(repo: Any, blobs: Mapping[str, str]) -> trees.LazyFiles:
    return trees.LazyFiles(blobs, lambda path: reader.read_blob(repo, blobs[path]))


def _body(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    body = yamlout.load(data)
    return body if isinstance(body, dict) else None
