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
import functools
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
        self.memo = fold_cache.FoldCache()  # hub listings, policy reports and rollups by id
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
        self.memo.begin()
        hub_files: Mapping[str, bytes] = {}
        hub_blobs: dict[str, str] = {}
        placed: dict[str, tuple[str, ...]] = {}
        hub_tree = None
        if hub_tip.commit is not None:
            hub_tree = str(hub_tip.commit.tree_id)
            hub_blobs, placed = self._hub_view(hub_tip.id or "")
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
        self._policies(folded, reports, placed)
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
            blob = reader.blob_at(repo, tip.id or "", name)
            if blob is not None:
                blobs[name] = blob
        return _lazy(repo, blobs)

    def _report(self, cluster: str, tip: reader.BranchTip) -> views.Report:
        walker = self.report_walkers.setdefault(cluster, reader.TreeWalker(self.store.repo))
        blobs = walker.files(tip.tree)
        when = datetime.datetime.fromtimestamp(tip.time, datetime.UTC)
        return views.Report(cluster, tip.tree, _lazy(self.store.repo, blobs), blobs, when)

    def _hub_view(self, hub_tip: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        """Read what the fold needs of the hub tree, folder by folder, by tree id.

        Returns {path: blob id} of placements, clusters' cluster.yaml and works, and
        each cluster's replicated policy names. Cluster folders and their
        ``manifestworks/`` and ``policies/`` trees are listed once per tree id, so
        identical policy folders (most of a million files at fleet scale) cost one
        listing, and an unchanged folder costs nothing on the next fold.
        """
        repo = self.store.repo
        blobs = {
            f"placements/{path}": blob
            for path, blob in reader.lazy_tree(repo, hub_tip, "placements").blobs.items()
        }
        policies: dict[str, tuple[str, ...]] = {}
        for folder, tree in reader.folder_ids(repo, hub_tip, "clusters").items():
            for name, oid, kind in self._entries(tree):
                if name == "cluster.yaml":
                    blobs[f"{folder}/cluster.yaml"] = oid
                elif name == "manifestworks" and kind == "tree":
                    for work, work_oid, _ in self._entries(oid):
                        blobs[f"{folder}/manifestworks/{work}"] = work_oid
                elif name == "policies" and kind == "tree":
                    policies[folder.split("/", 1)[1]] = self.memo.get(
                        "policy-names", oid, functools.partial(self._names, oid)
                    )
        return blobs, policies

    def _names(self, tree: str) -> tuple[str, ...]:
        return tuple(name[: -len(".yaml")] for name, _, _ in self._entries(tree))

    def _entries(self, tree: str) -> list[tuple[str, str, str]]:
        return self.memo.get("tree", tree, lambda: reader.entries(self.store.repo, tree))

    def _policies(
        self,
        folded: fold_core.Folded,
        reports: Mapping[str, views.Report],
        placed: Mapping[str, tuple[str, ...]],
    ) -> None:
        """Add root policy statuses, PolicySet statuses and the README's Compliance section.

        A root policy's file is rebuilt only when the set of its clusters or one
        of their reports of it changed (keyed by report blob ids).
        """
        per_policy: dict[str, list[tuple[str, str | None]]] = {}
        for cluster in sorted(placed):
            got = reports.get(cluster)
            for replica in placed[cluster]:
                blob = got.blobs.get(f"policies/{replica}.yaml") if got else None
                per_policy.setdefault(replica, []).append((cluster, blob))
        roots: dict[tuple[str, str], Mapping[str, Any]] = {}
        for replica, entries in sorted(per_policy.items()):
            namespace, _, name = replica.partition(".")
            key = (namespace, name)
            status, data = self.memo.get(
                "root-policy",
                (replica, tuple(entries)),
                functools.partial(self._root, key, entries, reports),
            )
            roots[key] = status
            folded.files[f"policies/{namespace}/{name}.yaml"] = data
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

    def _root(
        self,
        key: tuple[str, str],
        entries: Sequence[tuple[str, str | None]],
        reports: Mapping[str, views.Report],
    ) -> tuple[Mapping[str, Any], bytes]:
        """Compute one root policy's status and file."""
        replica = f"{key[0]}.{key[1]}"
        per_cluster: dict[str, Mapping[str, Any] | None] = {}
        for cluster, blob in entries:
            if blob is None:
                per_cluster[cluster] = None
                continue
            path = f"policies/{replica}.yaml"
            per_cluster[cluster] = self.memo.get(
                "policy-report", blob, functools.partial(_read_body, reports[cluster].files, path)
            )
        status = rollup.root_status(key, per_cluster)
        body = {
            "apiVersion": "policy.open-cluster-management.io/v1",
            "kind": "Policy",
            "metadata": {"name": key[1], "namespace": key[0]},
            "status": status,
        }
        return status, yamlout.dump(body)


def _lazy(repo: Any, blobs: Mapping[str, str]) -> trees.LazyFiles:
    return trees.of_blobs(blobs, functools.partial(reader.read_blob, repo))


def _read_body(files: Mapping[str, bytes], path: str) -> dict[str, Any] | None:
    return _body(files.get(path))


def _body(data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    body = yamlout.load(data)
    return body if isinstance(body, dict) else None
