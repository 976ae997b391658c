"""Folding the agents' report branches into ``ocm/status`` (the controller's second job).

I/O shell around the pure, incremental :mod:`gitops_ocm.status` fold
(:class:`~gitops_ocm.status.incremental.Folder` and
:class:`~gitops_ocm.status.compliance.Compliance`, both kept between passes).
Each ``ocm/reports/<cluster>`` tip is grafted whole under ``clusters/<cluster>/``
(a cluster whose lease expired is rewritten to Available=Unknown instead), and
the rollups are added: placements, ManifestWorkReplicaSets, root policies
(``policies/<ns>/<name>.yaml``, with a Compliance section in README.md),
PolicySets (``policysets/<ns>/<name>.yaml``),
``controller.yaml`` and the README. A fold is skipped when its inputs (hub tip,
report tips, controller.yaml) are unchanged and no lease has expired since.

Everything is read by tree id and only where it changed: hub cluster and
placement folders, report trees (by branch tip), the previous status files'
blob ids. Writing, a folder whose files are the ones the last fold wrote (the
status tip still being that fold's commit) is grafted from the tip by tree id
instead of being hashed again; the tree is the same either way.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.gitstore import reader, refs, remote, writer
from gitops_ocm.hub import report, trees
from gitops_ocm.status import cache as fold_cache
from gitops_ocm.status import compliance, hubindex, incremental, views

STATUS_BRANCH = "ocm/status"
HUB_BRANCH = "ocm/hub"
REPORTS = "ocm/reports"
ROLLUPS = ("placements", "manifestworkreplicasets", "policies", "policysets")

ReplicaSets = Mapping[tuple[str, str], Sequence[str]]
HubFolder = tuple[hubindex.Listing | None, tuple[str, ...] | None]
HubView = tuple[str | None, incremental.Hub, dict[str, tuple[str, ...]], frozenset[str]]


class StatusFolder:
    """Keeps the fold's state between passes and writes ``ocm/status``."""

    def __init__(self, store: remote.Store, author: writer.Author) -> None:
        self.store = store
        self.author = author
        self.cache = fold_cache.FoldCache()
        self.memo = fold_cache.FoldCache()  # tree listings by id
        self.core = incremental.Folder(self.cache)
        self.compliance = compliance.Compliance()
        self.replica_sets: ReplicaSets = {}
        self.report_walkers: dict[str, reader.TreeWalker] = {}
        self.policy_sets: Mapping[tuple[str, str], Sequence[str]] = {}
        self._last: tuple[Any, ...] | None = None
        self._next_check: datetime.datetime | None = None
        self._reports: dict[str, tuple[str, views.Report]] = {}
        self._hub_clusters: dict[str, tuple[str, HubFolder]] = {}
        self._hub_placements: dict[str, tuple[str, dict[tuple[str, str], hubindex.Listing]]] = {}
        self._written: tuple[dict[str, str], dict[str, Any]] | None = None  # tree ids, groups
        self._branch_tips: dict[str, reader.BranchTip] = {}
        self._hub: HubView | None = None  # hub tip, what the fold reads of it, accepted clusters
        self._blob_ids: dict[str, tuple[bytes, bytes]] = {}  # path -> (content, id) last written

    def fold(self, now: datetime.datetime) -> str | None:
        """Fold if anything changed; return the new ocm/status commit, or None."""
        repo = self.store.repo
        hub_tip = refs.read_tip(repo, refs.branch_ref(HUB_BRANCH))
        status_tip = refs.read_tip(repo, refs.branch_ref(STATUS_BRANCH))
        tips = self._tips()
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
        if self._hub is None or self._hub[0] != hub_tip.id:
            works, placed = self._hub_clusters_view(hub_tip.id)
            hub = incremental.Hub(works, self._hub_placements_view(hub_tip.id), self._read)
            self._hub = (hub_tip.id, hub, placed, frozenset(self._hub_clusters))
        _, hub, placed, accepted = self._hub
        reports = self._reports_view(tips)
        folded = self.core.fold(
            incremental.Inputs(
                reports,
                accepted,
                hub,
                controller_yaml,
                self.store.display,
                self.replica_sets,
                previous,
                previous.blobs if previous is not None else {},
            ),
            now,
        )
        files, section = self.compliance.fold(placed, reports, self.policy_sets, self.cache)
        folded.files.update(files)
        readme = folded.files["README.md"].decode()
        folded.files["README.md"] = (readme.rstrip("\n") + "\n\n" + section).encode()
        self._next_check = folded.next_check
        result = self._write(folded, status_tip, len(reports), hub_tip.id)
        self._last = inputs
        return result.commit if result.created else None

    def _tips(self) -> dict[str, reader.BranchTip]:
        """The report branch tips, reading only commits not seen at the last fold."""
        known = self._branch_tips
        self._branch_tips = {}
        out = {}
        for cluster, commit in reader.branch_targets(self.store.repo, REPORTS).items():
            found = known.get(commit) or reader.branch_tip(self.store.repo, commit)
            out[cluster] = self._branch_tips[commit] = found
        return out

    def _write(
        self, folded: views.Folded, tip: refs.Tip, reports: int, hub_tip: str | None
    ) -> writer.PublishResult:
        """Commit the folded tree, grafting folders unchanged since the last fold from the tip.

        A folder (``clusters``, or a rollup namespace folder) is taken from the
        tip by tree id when this fold's content for it equals the last fold's and
        the tip still has the tree the last fold wrote there (the controller
        commits ``controller.yaml`` in between, so the tip may have moved).
        """
        groups = _groups(folded)
        taken: dict[str, str] = {}
        if self._written is not None and tip.id is not None:
            written_ids, written = self._written
            ids = self._tip_folders(tip.id)
            for folder, group in groups.items():
                tree = ids.get(folder)
                kept = tree is not None and tree == written_ids.get(folder)
                if kept and tree is not None and _same(written.get(folder), group):
                    taken[folder] = tree
        subtrees: dict[str, str] = dict(taken)
        files: dict[str, bytes] = {}
        for folder, (grafts, content) in groups.items():
            if folder not in taken:
                subtrees.update(grafts)
                files.update(content)
        result = writer.graft(
            self.store.repo,
            STATUS_BRANCH,
            subtrees,
            files,
            f"status: fold {reports} reports",
            {"Hub-Commit": hub_tip or "none"},
            author=self.author,
            known=self._blob_ids,
        )
        if result.created:
            self.store.push(STATUS_BRANCH, result.previous)
        self._written = (self._tip_folders(result.commit), groups)
        return result

    def _tip_folders(self, tip: str) -> dict[str, str]:
        """Tree ids of a status commit's ``clusters`` folder and rollup namespace folders."""
        repo = self.store.repo
        ids = {
            name: oid
            for name, oid, kind in reader.entries(repo, str(reader.tree_of(repo, tip).id))
            if kind == "tree"
        }
        out = {"clusters": ids["clusters"]} if "clusters" in ids else {}
        for folder in ROLLUPS:
            if folder in ids:
                out.update(
                    (f"{folder}/{name}", oid)
                    for name, oid, kind in self._entries(ids[folder])
                    if kind == "tree"
                )
        return out

    def _read(self, blob: str) -> bytes:
        return reader.read_blob(self.store.repo, blob)

    def _status_files(self, tip: refs.Tip) -> trees.LazyFiles | None:
        """The current ocm/status files the fold reads: ManifestWorkReplicaSets, controller.yaml."""
        if tip.commit is None:
            return None
        repo = self.store.repo
        blobs: dict[str, str] = {}
        folder = "manifestworkreplicasets"
        for path, tree in reader.folder_ids(repo, tip.id, folder).items():
            for name, oid, kind in self._entries(tree):
                if kind == "blob":
                    blobs[f"{path}/{name}"] = oid
        blob = reader.blob_at(repo, tip.id or "", report.PATH)
        if blob is not None:
            blobs[report.PATH] = blob
        return _lazy(repo, blobs)

    def _reports_view(self, tips: Mapping[str, reader.BranchTip]) -> dict[str, views.Report]:
        """Each report branch tip as a report, listing only tips that moved."""
        known = self._reports
        self._reports = {}
        for cluster, tip in tips.items():
            found = known.get(cluster)
            if found is None or found[0] != tip.commit:
                found = (tip.commit, self._report(cluster, tip))
            self._reports[cluster] = found
        for cluster in known.keys() - tips.keys():
            self.report_walkers.pop(cluster, None)
        return {cluster: found[1] for cluster, found in self._reports.items()}

    def _report(self, cluster: str, tip: reader.BranchTip) -> views.Report:
        walker = self.report_walkers.setdefault(cluster, reader.TreeWalker(self.store.repo))
        blobs = walker.files(tip.tree)
        when = datetime.datetime.fromtimestamp(tip.time, datetime.UTC)
        return views.Report(cluster, tip.tree, _lazy(self.store.repo, blobs), blobs, when)

    def _hub_clusters_view(
        self, hub_tip: str | None
    ) -> tuple[dict[str, hubindex.Listing], dict[str, tuple[str, ...]]]:
        """Each hub cluster folder's works listing and replicated policy names, by tree id.

        A folder whose tree id is unchanged is not read at all; a changed one
        costs a few tree listings (``manifestworks/`` and ``policies/`` by tree
        id, so the shared policy folders are listed once).
        """
        repo = self.store.repo
        known = self._hub_clusters
        self._hub_clusters = {}
        works: dict[str, hubindex.Listing] = {}
        placed: dict[str, tuple[str, ...]] = {}
        for folder, tree in reader.folder_ids(repo, hub_tip, "clusters").items():
            cluster = folder.split("/", 1)[1]
            found = known.get(cluster)
            if found is None or found[0] != tree:
                found = (tree, self._hub_cluster(tree))
            self._hub_clusters[cluster] = found
            listing, names = found[1]
            if listing is not None:
                works[cluster] = listing
            if names is not None:
                placed[cluster] = names
        return works, placed

    def _hub_cluster(self, tree: str) -> HubFolder:
        listing: hubindex.Listing | None = None
        names: tuple[str, ...] | None = None
        for name, oid, kind in self._entries(tree):
            if kind != "tree":
                continue
            if name == "manifestworks":
                listing = self.memo.get("works", oid, functools.partial(self._listing, oid))
            elif name == "policies":
                names = self.memo.get("policy-names", oid, functools.partial(self._names, oid))
        return listing, names

    def _hub_placements_view(self, hub_tip: str | None) -> dict[tuple[str, str], hubindex.Listing]:
        """Each ``placements/<ns>/<name>/`` folder's listing, reading changed namespaces only."""
        known = self._hub_placements
        self._hub_placements = {}
        out: dict[tuple[str, str], hubindex.Listing] = {}
        for folder, tree in reader.folder_ids(self.store.repo, hub_tip, "placements").items():
            namespace = folder.split("/", 1)[1]
            found = known.get(namespace)
            if found is None or found[0] != tree:
                found = (tree, self._namespace(namespace, tree))
            self._hub_placements[namespace] = found
            out.update(found[1])
        return out

    def _namespace(self, namespace: str, tree: str) -> dict[tuple[str, str], hubindex.Listing]:
        return {
            (namespace, name): self.memo.get("listing", oid, functools.partial(self._listing, oid))
            for name, oid, kind in self._entries(tree)
            if kind == "tree"
        }

    def _listing(self, tree: str) -> hubindex.Listing:
        files = {name: oid for name, oid, kind in self._entries(tree) if kind != "tree"}
        return hubindex.Listing(tree, files)

    def _names(self, tree: str) -> tuple[str, ...]:
        return tuple(
            name[: -len(".yaml")]
            for name, _, kind in self._entries(tree)
            if kind != "tree" and name.endswith(".yaml")
        )

    def _entries(self, tree: str) -> list[tuple[str, str, str]]:
        return self.memo.get("tree", tree, lambda: reader.entries(self.store.repo, tree))


def _groups(folded: views.Folded) -> dict[str, tuple[dict[str, str], dict[str, bytes]]]:
    """The output by graftable folder (``clusters``, each rollup namespace folder; "" the rest).

    Each group is (grafts, files) with paths from the root.
    """
    groups: dict[str, tuple[dict[str, str], dict[str, bytes]]] = {
        "clusters": (folded.subtrees, {}),
        "": ({}, {}),
    }
    for path, data in folded.files.items():
        top, _, rest = path.partition("/")
        if top == "clusters":
            groups["clusters"][1][path] = data
        elif top in ROLLUPS and "/" in rest:
            folder = f"{top}/{rest.split('/', 1)[0]}"
            groups.setdefault(folder, ({}, {}))[1][path] = data
        else:
            groups[""][1][path] = data
    return groups


def _same(old: Any, new: Any) -> bool:
    return old is not None and bool(old == new)


def _lazy(repo: Any, blobs: Mapping[str, str]) -> trees.LazyFiles:
    return trees.of_blobs(blobs, functools.partial(reader.read_blob, repo))
