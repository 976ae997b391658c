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

Reports are untrusted input: :class:`gitops_ocm.hub.gate.ReportGate` admits
each new tip (or quarantines it: the cluster keeps its last good folded state,
which goes Unknown when its lease runs out as any other) before anything of it
is folded, and the problems are written to ``controller.yaml``
(``status.reportProblems``) and the README. Report times after the moment the
controller first saw them are clamped to it in what the fold writes.

Everything is read by tree id and only where it changed: hub cluster and
placement folders, report trees (by branch tip), the previous status files'
blob ids. Writing, when the status tip is the last fold's tree (but for root
files such as ``controller.yaml``, which the controller commits in between),
only the files that differ from what that fold wrote are hashed and written,
on top of the tip; otherwise the whole tree is grafted, a folder whose files
are the ones the last fold wrote being taken from the tip by tree id. The tree
is the same either way (``tests/status/test_fold_incremental.py``).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm import errors, problems
from gitops_ocm.gitstore import layout, reader, refs, remote, writer
from gitops_ocm.hub import gate, report, trees
from gitops_ocm.status import cache as fold_cache
from gitops_ocm.status import compliance, hubindex, incremental, registrations, views

STATUS_BRANCH = "ocm/status"
HUB_BRANCH = "ocm/hub"
REPORTS = gate.REPORTS
ROLLUPS = ("placements", "manifestworkreplicasets", "policies", "policysets")

ReplicaSets = Mapping[tuple[str, str], Sequence[str]]
HubFolder = tuple[hubindex.Listing | None, tuple[str, ...] | None]
HubView = tuple[str | None, incremental.Hub, dict[str, tuple[str, ...]], frozenset[str]]
Group = tuple[dict[str, str], dict[str, bytes]]  # (grafts: path -> tree id, files: path -> data)
RootEntries = dict[str, tuple[str, str]]  # name -> (id, kind)
MAX_REWRITTEN_REPORTS = 200  # changed report folders re-hashed from their files at most


@dataclasses.dataclass(frozen=True)
class Pass:
    """What one fold is given by the controller's pass (everything else it reads from Git).

    ``controller_yaml`` is the pass's ``controller.yaml`` (None: keep the one
    on ``ocm/status``), committed with the fold so that a pass makes one
    status commit at most; ``source_commit`` is that commit's trailer;
    ``replica_sets`` and ``policy_sets`` come from the desired state (a
    ManifestWorkReplicaSet's placements, a PolicySet's policies); ``reports``
    the report branches the pass read at its start.
    """

    now: datetime.datetime
    controller_yaml: bytes | None = None
    source_commit: str | None = None
    replica_sets: ReplicaSets = dataclasses.field(default_factory=dict)
    policy_sets: Mapping[tuple[str, str], Sequence[str]] = dataclasses.field(default_factory=dict)
    reports: Mapping[str, str] | None = None  # branch below ocm/reports/ -> commit (None: list)


class StatusFolder:
    """Keeps the fold's state between passes and writes ``ocm/status``."""

    def __init__(self, store: remote.Store, author: writer.Author) -> None:
        self.store = store
        self.author = author
        self.cache = fold_cache.FoldCache()
        self.memo = fold_cache.FoldCache()  # tree listings by id
        self.core = incremental.Folder(self.cache)
        self.compliance = compliance.Compliance()
        self.report_walkers: dict[str, reader.TreeWalker] = {}
        self._last: tuple[Any, ...] | None = None
        self._next_check: datetime.datetime | None = None
        self._reports: dict[str, tuple[str, views.Report]] = {}
        self._hub_clusters: dict[str, tuple[str, HubFolder]] = {}
        self._hub_placements: dict[str, tuple[str, dict[tuple[str, str], hubindex.Listing]]] = {}
        self._written: tuple[dict[str, str], dict[str, Group]] | None = None  # tree ids, groups
        self._written_root: RootEntries | None = None  # root entries of the last fold's tree
        self._hub: HubView | None = None  # hub tip, what the fold reads of it, accepted clusters
        self._blob_ids: dict[str, tuple[bytes, bytes]] = {}  # path -> (content, id) last written
        signer = author.signer
        self._records: dict[str, tuple[registrations.Record, bytes]] = {}  # cluster -> file
        self.gate = gate.ReportGate(store, None if signer is None else signer.public_key)

    def fold(self, given: Pass) -> str | None:
        """Fold if anything changed; return the new ocm/status commit, or None.

        The steps: read the tips, admit the reports (``gate``), skip when no
        input moved and no lease is due, fold (``incremental`` and
        ``compliance``, both kept), write once.
        """
        now = given.now
        repo = self.store.repo
        hub_tip = refs.read_tip(repo, refs.branch_ref(HUB_BRANCH))
        status_tip = refs.read_tip(repo, refs.branch_ref(STATUS_BRANCH))
        tips, found = self.gate.admit(now, given.reports, status_tip, hub_tip.id)
        previous = self._status_files(status_tip)
        written = given.controller_yaml
        if written is None and previous is not None:
            written = previous.get(report.PATH)
        inputs = (*_inputs_key(given, hub_tip.id, tips, written, found), self.gate.records)
        due = self._next_check is not None and now >= self._next_check
        if inputs == self._last and not due:
            return None
        self.memo.begin()
        folded = self._fold(given, hub_tip.id, tips, report.with_reports(written, found), previous)
        self._next_check = folded.next_check
        result = self._write(folded, status_tip, len(tips), hub_tip.id, given.source_commit)
        self._last = inputs
        return result.commit if result.created else None

    def _fold(
        self,
        given: Pass,
        hub_tip: str | None,
        tips: Mapping[str, reader.BranchTip],
        controller_yaml: bytes | None,
        previous: trees.LazyFiles | None,
    ) -> views.Folded:
        """The whole status tree: reports, rollups, compliance, README."""
        if self._hub is None or self._hub[0] != hub_tip:
            works, placed = self._hub_clusters_view(hub_tip)
            hub = incremental.Hub(
                works,
                self._hub_placements_view(hub_tip),
                self._read,
                self._hub_rollouts_view(hub_tip),
            )
            self._hub = (hub_tip, hub, placed, frozenset(self._hub_clusters))
        _, hub, placed, accepted = self._hub
        reports = self._reports_view(tips)
        blobs = previous.blobs if previous is not None else {}
        folded = self.core.fold(
            incremental.Inputs(
                reports, accepted, hub, controller_yaml, self.store.display,
                given.replica_sets, previous, blobs,
            ),
            given.now,
        )  # fmt: skip
        files, section = self.compliance.fold(placed, reports, given.policy_sets, self.cache)
        folded.files.update(files)
        readme = folded.files["README.md"].decode().rstrip("\n") + "\n\n" + section
        records = self.gate.records
        folded.files.update(self._record_files(records))
        awaiting = report.awaiting(controller_yaml)
        if records or awaiting:
            sections = registrations.readme_section(records.values(), awaiting)
            readme = readme.rstrip("\n") + "\n\n" + sections
        folded.files["README.md"] = readme.encode()
        return folded

    def _record_files(self, records: Mapping[str, registrations.Record]) -> dict[str, bytes]:
        """``registrations/<c>.yaml`` of each record, written again only for a changed record."""
        known, self._records = self._records, {}
        out: dict[str, bytes] = {}
        for name, record in records.items():
            found = known.get(name)
            if found is None or found[0] != record:
                found = (record, registrations.to_yaml(record))
            self._records[name] = found
            out[registrations.path(name)] = found[1]
        return out

    @property
    def next_check(self) -> datetime.datetime | None:
        """When the fold must run again though nothing moved (the next lease expiry)."""
        return self._next_check

    def _write(
        self,
        folded: views.Folded,
        tip: refs.Tip,
        reports: int,
        hub_tip: str | None,
        source_commit: str | None,
    ) -> writer.PublishResult:
        """Commit the folded tree: only what changed when possible, else grafted whole."""
        groups = _groups(folded)
        message = f"status: fold {reports} reports"
        trailers = {"Hub-Commit": hub_tip or "none"}
        if source_commit is not None:
            trailers["Source-Commit"] = source_commit
        result = self._commit_changes(groups, tip, message, trailers)
        if result is None:
            result = self._graft(groups, tip, message, trailers)
        if result.created:
            self.store.push(STATUS_BRANCH, result.previous)
        self._written = (self._tip_folders(result.commit), groups)
        self._written_root = self._root_entries(result.commit)
        return result

    def _commit_changes(
        self, groups: dict[str, Group], tip: refs.Tip, message: str, trailers: dict[str, str]
    ) -> writer.PublishResult | None:
        """Commit on the tip only the files that differ from the last fold's (None: cannot).

        Possible when the tip's tree is the last fold's but for root files (set
        here to this fold's content), and each changed report folder hashes back
        to its tree id from its files (at most :data:`MAX_REWRITTEN_REPORTS`);
        only the changed files are then hashed and written, where a graft would
        hash and write every file of a changed folder again (the root policies'
        folder holds hundreds of large files). The tree is the graft's.
        """
        if self._written is None or self._written_root is None or tip.id is None:
            return None
        forced = _root_files_moved(self._written_root, self._root_entries(tip.id))
        if forced is None:
            return None
        files, grafts = _changes(self._written[1], groups)
        root_files = groups[""][1]
        files.update((name, root_files.get(name)) for name in forced)
        folders = self._report_folders(grafts)
        if folders is None:
            return None
        repo = self.store.repo
        prepared = layout.prepare_changes(repo, tip.id, files, folders)
        if any(prepared.folder_ids.get(path) != tree for path, tree in grafts.items()):
            return None  # a report tree that its files do not give back (modes, ...)
        try:
            return layout.commit(
                repo, STATUS_BRANCH, prepared, message, trailers, author=self.author,
                expected=tip.id,
            )  # fmt: skip
        except errors.RefConflict:
            return None

    def _report_folders(self, grafts: Mapping[str, str]) -> dict[str, layout.Folder] | None:
        """The files of changed report folders (``clusters/<c>`` -> tree id), None if too many."""
        if len(grafts) > MAX_REWRITTEN_REPORTS:
            return None
        out: dict[str, layout.Folder] = {}
        for path, tree in grafts.items():
            found = self._reports.get(path.removeprefix("clusters/"))
            if found is None or found[1].tree_id != tree:
                return None
            report = found[1]
            out[path] = {rel: report.files[rel] for rel in report.blobs}
        return out

    def _graft(
        self, groups: dict[str, Group], tip: refs.Tip, message: str, trailers: dict[str, str]
    ) -> writer.PublishResult:
        """Commit the whole folded tree, taking folders unchanged since the last fold from the tip.

        A folder (``clusters``, or a rollup namespace folder) is taken from the
        tip by tree id when this fold's content for it equals the last fold's and
        the tip still has the tree the last fold wrote there (the controller
        commits ``controller.yaml`` in between, so the tip may have moved).
        """
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
        return writer.graft(
            self.store.repo,
            STATUS_BRANCH,
            subtrees,
            files,
            message,
            trailers,
            author=self.author,
            known=self._blob_ids,
        )

    def _root_entries(self, commit: str) -> RootEntries:
        repo = self.store.repo
        tree = reader.tree_id(repo, commit)
        return {name: (oid, kind) for name, oid, kind in reader.entries(repo, tree)}

    def _tip_folders(self, tip: str) -> dict[str, str]:
        """Tree ids of a status commit's ``clusters`` folder and rollup namespace folders."""
        repo = self.store.repo
        ids = {
            name: oid
            for name, oid, kind in reader.entries(repo, reader.tree_id(repo, tip))
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
        if tip.id is None:
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
        files = _lazy(self.store.repo, blobs)
        return views.Report(cluster, tip.tree, files, blobs, when, self.gate.observed(tip.commit))

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

    def _hub_rollouts_view(self, hub_tip: str | None) -> dict[str, hubindex.Listing]:
        """Each ``rollouts/<ns>/`` folder's listing, keyed by its tree id (read once per tree)."""
        return {
            folder.split("/", 1)[1]: self.memo.get(
                "listing", tree, functools.partial(self._listing, tree)
            )
            for folder, tree in reader.folder_ids(self.store.repo, hub_tip, "rollouts").items()
        }

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


def _inputs_key(
    given: Pass,
    hub_tip: str | None,
    tips: Mapping[str, reader.BranchTip],
    controller_yaml: bytes | None,
    found: Sequence[problems.Problem],
) -> tuple[Any, ...]:
    """Everything a fold depends on but the clock: equal keys, equal folds."""
    return (
        hub_tip,
        tuple(sorted((c, t.commit) for c, t in tips.items())),
        controller_yaml,
        tuple(found),
        tuple(sorted((k, tuple(v)) for k, v in given.policy_sets.items())),
        tuple(sorted((k, tuple(v)) for k, v in given.replica_sets.items())),
    )


def _groups(folded: views.Folded) -> dict[str, Group]:
    """The output by graftable folder (``clusters``, each rollup namespace folder; "" the rest).

    Each group is (grafts, files) with paths from the root.
    """
    groups: dict[str, Group] = {
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


def _changes(
    old: Mapping[str, Group], new: Mapping[str, Group]
) -> tuple[dict[str, bytes | None], dict[str, str]]:
    """What differs from the ``old`` output to the ``new``: files (None: removed) and grafts.

    A graft that is gone is removed as a file would be (its path set to None).
    """
    files: dict[str, bytes | None] = {}
    grafts: dict[str, str] = {}
    empty: Group = ({}, {})
    for folder in old.keys() | new.keys():
        before, after = old.get(folder, empty), new.get(folder, empty)
        if before is after or before == after:
            continue
        for path, data in after[1].items():
            known = before[1].get(path)
            if known is not data and known != data:
                files[path] = data
        files.update((path, None) for path in before[1].keys() - after[1].keys())
        grafts.update((p, tree) for p, tree in after[0].items() if before[0].get(p) != tree)
        files.update((path, None) for path in before[0].keys() - after[0].keys())
    return files, grafts


def _root_files_moved(ours: RootEntries, tip: RootEntries) -> set[str] | None:
    """The root files in which the tip differs from our last tree (None: a folder differs)."""
    moved = set()
    for name in ours.keys() | tip.keys():
        before, after = ours.get(name), tip.get(name)
        if before != after:
            if any(entry is not None and entry[1] == "tree" for entry in (before, after)):
                return None
            moved.add(name)
    return moved


def _same(old: Any, new: Any) -> bool:
    return old is not None and bool(old == new)


def _lazy(repo: Any, blobs: Mapping[str, str]) -> trees.LazyFiles:
    return trees.of_blobs(blobs, functools.partial(reader.read_blob, repo))
