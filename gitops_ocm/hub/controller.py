"""The hub controller's pass: read main, validate, render, publish ``ocm/hub``.

I/O shell. One pass is level-based: it reads the head of main, the status
tree and the current hub tree, computes the hub tree the head should produce,
and writes only the difference, with one commit per reconciled source commit
(trailer ``Source-Commit``). A commit that fails validation (or the fleet
checks) publishes nothing to ``ocm/hub``; its problems go to ``controller.yaml``
on ``ocm/status`` with ``SourceValid=False``, and the next valid commit clears
them. Refs move only by compare-and-swap; a lost race means re-read and redo.

A pass whose inputs (main, status and hub tips) equal the previous pass's and
whose scheduling has no time-based requeue due is skipped: its output would be
byte-identical.

A ManifestWorkReplicaSet that rolls out in steps takes one step per render
(:mod:`gitops_ocm.render.rollouts`), read from ``ocm/hub`` and ``ocm/status``
by path; the pass asks to run again when a soak or deadline ends, and a new
report of a work whose rollout is in progress makes the next pass render again.

Each cluster folder of ``ocm/hub`` is also published on a ref of its own,
``refs/ocm/hub/<cluster>``, which is all its agent fetches (:mod:`.percluster`).
With a ``reports_store`` (``--reports-repo``) the agents' report branches live
in a repository of their own; each pass copies them in before the fold.

With a ``signer`` (the controller's key, ``controller --signing-key``) every
``ocm/hub`` and ``ocm/status`` commit is signed, and the hub tree's
``allowed_signers`` lists its public key as ``hub`` beside the admitted
clusters' keys (:mod:`gitops_ocm.render.admissions`): from main, the previous
``allowed_signers`` and the registration requests under ``registrations/`` on
``ocm/status``. Accepted clusters awaiting their agent get nothing and are
listed in ``controller.yaml`` (``status.awaitingAgent``).

With a ``source_check`` (``controller --verify-source FILE``) a head of main
whose signature (or, in mode ``all``, any commit since the last published one)
does not verify against that allowed-signers file is refused like an invalid
commit, before it is even read (:mod:`gitops_ocm.hub.sourcecheck`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import gc
import pathlib
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from gitops_ocm import collector, errors, source, validation
from gitops_ocm.gitstore import clusterrefs, layout, reader, refs, remote, writer
from gitops_ocm.hub import folding, ownbranches, percluster, report, sourcecheck, trees
from gitops_ocm.model import rendercache
from gitops_ocm.placement import inventory
from gitops_ocm.problems import Problem, has_errors
from gitops_ocm.render import admissions, engine, hub, rollouts, sealing
from gitops_ocm.trust import sshsig
from gitops_ocm.work import rolloutstate

HUB_BRANCH = "ocm/hub"
STATUS_BRANCH = "ocm/status"
REPORT_COPIES = "refs/gitops-ocm/reports/"  # the report branches of --reports-repo, copied
REPORTS_REFSPEC = f"+refs/heads/{folding.REPORTS}/*:{REPORT_COPIES}*"


class Tips(NamedTuple):
    """The branch tips one pass reads (None: the branch is absent)."""

    main: str | None
    status: str | None
    hub: str | None


@dataclasses.dataclass(frozen=True)
class PassInputs:
    """What one pass reads at its start: the branch tips and the time (read once).

    The report branches are read after ``ocm/hub`` is published, into the
    fold's own record (:class:`gitops_ocm.hub.folding.Pass`): listing 10,000
    report refs takes about 90 ms, which agents waiting for ``ocm/hub`` should
    not wait for.
    """

    tips: Tips
    now: datetime.datetime
    warnings: tuple[Problem, ...] = ()  # about the controller's own branches (ownbranches)


@dataclasses.dataclass(frozen=True)
class PassResult:
    """What one pass did, for the log line and the tests."""

    source: str | None
    valid: bool
    skipped: bool = False
    hub_commit: str | None = None
    files_written: int = 0
    clusters_touched: int = 0
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0
    status_commit: str | None = None
    hub_seconds: float = 0.0  # until ocm/hub was published (the fold comes after)
    requeue_at: datetime.datetime | None = None  # run again then, even if nothing moves
    refs_moved: int = 0  # refs/ocm/hub/<cluster> written or deleted (percluster)

    def log_line(self) -> str:
        """Return the one-line summary of the pass."""
        if self.source is None:
            return f"pass source=none (no branch to reconcile) took={self.seconds * 1000:.0f}ms"
        head = f"pass source={self.source[:12]}"
        if self.skipped:
            return f"{head} unchanged took={self.seconds * 1000:.0f}ms"
        errors_found = sum(1 for p in self.problems if p.severity.value == "error")
        state = "valid" if self.valid else f"invalid errors={errors_found} (ocm/hub kept)"
        hub_text = self.hub_commit[:12] if self.hub_commit else "none"
        return (
            f"{head} {state} hub={hub_text} clusters_touched={self.clusters_touched} "
            f"files_written={self.files_written} took={self.seconds * 1000:.0f}ms "
            f"(hub {self.hub_seconds * 1000:.0f}ms, then status fold)"
        )


@dataclasses.dataclass
class Caches:
    """Everything a controller keeps across passes so that the next pass costs what changed.

    One object owns them all, so a reader sees in one place what survives a
    pass: parsed files by blob id, validation findings by document, rendered
    bytes, the render engine's last tree, the kept inventory, per-folder reads
    of ``ocm/status`` and ``ocm/hub``, and the status fold with its own caches.
    """

    parse: source.ParseCache
    findings: validation.Cache
    render: rendercache.RenderCache
    engine: engine.Engine
    inventory: inventory.Inventory
    status_reader: reader.PerFolder
    hub_reader: reader.PerFolder
    fold: folding.StatusFolder

    @classmethod
    def empty(cls, store: remote.Store, author: writer.Author) -> Caches:
        """Fresh caches for a controller publishing to ``store``."""
        repo = store.repo
        rendered = rendercache.RenderCache()
        return cls(
            parse=source.ParseCache(),
            findings=validation.Cache(),
            render=rendered,
            engine=engine.Engine(rendered),
            inventory=inventory.Inventory(),
            status_reader=reader.PerFolder(
                repo, files=("cluster.yaml",), folders=("addonplacementscores",)
            ),
            hub_reader=reader.PerFolder(repo, files=("cluster.yaml",)),
            fold=folding.StatusFolder(store, author),
        )


class Controller:
    """Reconciles one source branch into the hub and status branches of a store."""

    def __init__(
        self,
        store: remote.Store,
        *,
        branch: str = "main",
        hub_store: remote.Store | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
        author: writer.Author | None = None,
        manage_gc: bool = False,
        signer: sshsig.Signer | None = None,
        source_check: sourcecheck.SourceCheck | None = None,
        state_dir: pathlib.Path | None = None,
        sealing_key: bytes | None = None,
        reports_store: remote.Store | None = None,
    ) -> None:
        """``manage_gc``: run the cyclic garbage collector between passes only (see :class:`Heap`);
        for a process whose main job is this controller (the CLI). ``signer``: the
        controller's key, which signs every commit (it replaces ``author``'s).
        ``source_check``: the signers main's commits must be signed by (``--verify-source``).
        ``state_dir``: where the controller remembers its last own commits (ownbranches).
        ``sealing_key``: its X25519 key; SealedSecrets are sealed again per cluster
        (:mod:`gitops_ocm.render.sealing`). ``reports_store``: where the agents push
        their report branches (``--reports-repo``; default: the hub store); they are
        copied into the hub store's repository below :data:`REPORT_COPIES` and folded."""
        self.store = store
        self.hub_store = hub_store or store
        self.reports_store = reports_store
        self.branch = branch
        self.clock = clock or (lambda: datetime.datetime.now(datetime.UTC).replace(microsecond=0))
        self.author = author or writer.Author()
        self.source_check = source_check
        if signer is not None:
            self.author = dataclasses.replace(self.author, signer=signer)
        self.awaiting: tuple[str, ...] = ()  # of the last valid desired state
        self._admission_memo: tuple[tuple[Any, ...], list[Any], admissions.Admission] | None = None
        self.caches = Caches.empty(self.hub_store, self.author)
        self._heap = Heap(manage_gc)
        self._engine_hub: str | None = None  # the ocm/hub commit of the engine's last render
        self._last_inputs: tuple[Any, ...] | None = None  # see _inputs_key
        self._status_hash: tuple[object, int] = (None, 0)
        self._requeue_at: datetime.datetime | None = None
        self._watching: tuple[str, ...] = ()  # work reports that can move a rollout in progress
        self.rollouts_in_progress = 0  # staged rollouts not finished, after the last render
        self._trees: dict[bytes, Any] = {}  # parsed trees by id, for lookups by path
        self._controller_yaml: bytes | None = None  # this pass's, for the fold to commit
        self._sets: Sets = ({}, {})  # of the last valid desired state, for the fold
        memory = None if state_dir is None else state_dir / ownbranches.MEMORY
        self._guard = ownbranches.Guard(self.hub_store, self.author, memory)
        refs_memory = None if state_dir is None else state_dir / percluster.MEMORY
        self.channels = percluster.Channels(self.hub_store, self.author, refs_memory)
        self._resealer = None if sealing_key is None else sealing.Resealer(sealing_key)

    def reconcile(self) -> PassResult:
        """Run one pass and return what it did."""
        start = time.perf_counter()
        with self._heap.pass_():
            if self.hub_store is not self.store:
                self.store.fetch()
            self.hub_store.fetch((remote.MIRROR_REFSPEC, clusterrefs.REFSPEC))
            warnings = self._guard.check() + self.channels.check()
            if warnings:
                self.forget_inputs()  # so the pass writes them to controller.yaml
            inputs = dataclasses.replace(self._read_inputs(), warnings=tuple(warnings))
            now = inputs.now
            self._controller_yaml = None
            result = self._reconcile(inputs)
            synced = percluster.Synced()
            if not result.skipped and result.hub_commit is not None:
                source = result.source if result.valid else None
                synced = self.channels.sync(result.hub_commit, source)
            published = time.perf_counter()
            replica_sets, policy_sets = self._sets
            reports = self._reports()
            given = folding.Pass(
                now, self._controller_yaml, result.source, replica_sets, policy_sets, reports
            )
            status_commit = self.folder.fold(given)
        self._guard.wrote(STATUS_BRANCH, status_commit)
        self._guard.wrote(HUB_BRANCH, result.hub_commit if result.valid else None)
        times = [t for t in (self._requeue_at, self.folder.next_check) if t is not None]
        return dataclasses.replace(
            result,
            seconds=time.perf_counter() - start,
            hub_seconds=published - start,
            status_commit=status_commit,
            requeue_at=min(times) if times else None,
            refs_moved=len(synced.moved) + len(synced.deleted),
        )

    def _reports(self) -> dict[str, str]:
        """The report branches to fold, by name below ``ocm/reports/``, and their commits."""
        if self.reports_store is None:
            return reader.branch_targets(self.hub_store.repo, folding.REPORTS)
        self.hub_store.fetch_from(self.reports_store, (REPORTS_REFSPEC,))
        return reader.ref_targets(self.hub_store.repo, REPORT_COPIES)

    @property
    def folder(self) -> folding.StatusFolder:
        """The fold of report branches into ocm/status, with its caches."""
        return self.caches.fold

    def _inputs_key(self, tips: Tips) -> tuple[Any, ...]:
        """What a pass depends on: main, the scheduling part of ocm/status, and ocm/hub.

        Lease renewals and work reports change ocm/status without changing what
        scheduling reads, so they do not make the controller render again; a new
        registration request does (it may complete an acceptance), and so does a
        new report of a work whose rollout is in progress (it may move it).
        """
        blobs = self.caches.status_reader.read(tips.status, "clusters")
        if self._status_hash[0] is not blobs:
            self._status_hash = (blobs, hash(tuple(sorted(blobs.items()))))
        requests = reader.subtree_id(self.hub_store.repo, tips.status, admissions.REGISTRATIONS)
        check = self.source_check.generation if self.source_check is not None else None
        reports: tuple[str | None, ...] = ()
        if self._watching:
            status = reader.PathFiles(self.hub_store.repo, tips.status, self._trees)
            reports = tuple(status.blob(path) for path in self._watching)
        return (tips.main, self._status_hash[1], requests, tips.hub, check, reports)

    def _tips(self) -> Tips:
        repo, hub_repo = self.store.repo, self.hub_store.repo
        return Tips(
            main=refs.read_tip(repo, refs.branch_ref(self.branch)).id,
            status=refs.read_tip(hub_repo, refs.branch_ref(STATUS_BRANCH)).id,
            hub=refs.read_tip(hub_repo, refs.branch_ref(HUB_BRANCH)).id,
        )

    def forget_inputs(self) -> None:
        """Make the next pass run even if its inputs look unchanged (after a lost race)."""
        self._last_inputs = None

    def _read_inputs(self) -> PassInputs:
        """The pass's inputs, read once (the clock included): render and fold see the same."""
        return PassInputs(self._tips(), self.clock())

    def _reconcile(self, inputs: PassInputs) -> PassResult:
        tips, now = inputs.tips, inputs.now
        source_commit = tips.main
        if source_commit is None:
            return PassResult(None, True, skipped=True)
        if self.source_check is not None:
            self.source_check.refresh()
        due = self._requeue_at is not None and now >= self._requeue_at
        key = self._inputs_key(tips)
        if key == self._last_inputs and not due:
            return PassResult(source_commit, True, skipped=True)
        found = self._unverified(source_commit, tips)
        rendered: engine.Rendered | None = None
        if found:
            found = sorted([*found, *inputs.warnings])
        else:
            snapshot = source.load_revision(self.store.path, source_commit, self.caches.parse)
            found = [*validation.validate(snapshot, self.caches.findings), *inputs.warnings]
        if not has_errors(found):
            self._sets = _sets(snapshot)
            rendered = self._render(snapshot, tips, now)
            found = sorted([*found, *rendered.tree.problems])
        if rendered is None or has_errors(found):
            self.caches.engine.reset()  # its last render is not what ocm/hub holds
            self._engine_hub = None
            self._watching = ()
            result = self._refuse(source_commit, tips, found, now)
        else:
            result = self._publish(source_commit, tips, rendered, found, now)
        self._last_inputs = self._inputs_key(self._tips())
        return result

    def _unverified(self, source_commit: str, tips: Tips) -> list[Problem]:
        """Why ``--verify-source`` refuses the head (empty: verified, or no check)."""
        check = self.source_check
        if check is None:
            return []
        last = None
        if check.mode == "all":
            last = sourcecheck.published_source(self.hub_store.repo, tips.hub)
        return check.problems(self.store.repo, source_commit, last)

    def _render(self, snapshot: Any, tips: Tips, now: datetime.datetime) -> engine.Rendered:
        if tips.hub is None or tips.hub != self._engine_hub:
            self.caches.engine.reset()
        status = self._status_inputs(tips.status)
        self.caches.render.next_pass()
        admission = self._admission(snapshot, tips)
        self.awaiting = tuple(sorted(admission.awaiting))
        with collector.paused():  # reports are parsed: thousands of small documents
            infos = self.caches.inventory.build(
                snapshot, status, now, self._hub_inputs(tips.hub), admission.awaiting
            )
        previous = self._hub_tree(tips.hub)
        repo = self.hub_store.repo
        rollout = rollouts.Context(
            reader.PathFiles(repo, tips.hub, self._trees),
            reader.PathFiles(repo, tips.status, self._trees),
            now,
        )
        rendered = self.caches.engine.render(snapshot, infos, previous, now, admission, rollout)
        if self._resealer is not None:
            rendered = self._resealer.apply(rendered, admission)
        times = [
            r.outcome.requeue_at
            for r in rendered.tree.results.values()
            if r.outcome is not None and r.outcome.requeue_at is not None
        ]
        if rendered.tree.recheck_at is not None:
            times.append(rendered.tree.recheck_at)  # a soak or a deadline ends: a pass is due
        self._requeue_at = min(times) if times else None
        self._watching = rendered.tree.watching()
        done = (rolloutstate.SUCCEEDED, rolloutstate.ROLLED_BACK)
        phases = [s.state.phase for s in rendered.tree.rollouts.values()]
        self.rollouts_in_progress = sum(1 for phase in phases if phase not in done)
        return rendered

    def _admission(self, snapshot: Any, tips: Tips) -> admissions.Admission:
        """Who is admitted: main, ocm/hub's ``allowed_signers``, ocm/status's requests.

        Kept from the last pass while its inputs are the same objects and blobs:
        a pass that changed one work does not look at 10,000 clusters again.
        """
        repo = self.hub_store.repo
        objects = snapshot.of_kind("ManagedCluster")
        signers_blob = reader.blob_at(repo, tips.hub, admissions.PATH) if tips.hub else None
        requests_id = reader.subtree_id(repo, tips.status, admissions.REGISTRATIONS)
        key = (snapshot.config, signers_blob, requests_id)
        memo = self._admission_memo
        if memo is not None and memo[0] == key and _same_objects(memo[1], objects):
            return memo[2]
        previous: dict[str, bytes] = {}
        if signers_blob is not None:
            previous[admissions.PATH] = reader.read_blob(repo, signers_blob)
        requests: Mapping[str, bytes] = {}
        if requests_id is not None and tips.status is not None:
            blobs = reader.lazy_tree(repo, tips.status, admissions.REGISTRATIONS).blobs
            requests = self._lazy(
                {f"{admissions.REGISTRATIONS}/{path}": blob for path, blob in blobs.items()}
            )
        signer = self.author.signer
        hub_key = signer.public_key if signer is not None else None
        admission = admissions.admit(snapshot, previous, requests, hub_key)
        self._admission_memo = (key, list(objects), admission)
        return admission

    def _lazy(self, blobs: Mapping[str, str]) -> trees.LazyFiles:
        return trees.of_blobs(blobs, functools.partial(reader.read_blob, self.hub_store.repo))

    def _status_inputs(self, tip: str | None) -> Mapping[str, bytes]:
        """The part of ocm/status scheduling reads: cluster reports and placement scores."""
        return self._lazy(self.caches.status_reader.read(tip, "clusters"))

    def _hub_inputs(self, tip: str | None) -> Mapping[str, bytes]:
        """The clusters of ocm/hub: accepted clusters, with the taint times the inventory reads."""
        if tip is None:
            return {}
        return self._lazy(self.caches.hub_reader.read(tip, "clusters"))

    def _hub_tree(self, tip: str | None) -> Mapping[str, bytes]:
        """What a full render reads of ocm/hub: clusters, decisions, Placement statuses.

        Listed only when read: an incremental render never reads it.
        """
        if tip is None:
            return {}
        repo = self.hub_store.repo

        def load() -> trees.LazyFiles:
            blobs = dict(self.caches.hub_reader.read(tip, "clusters"))
            placed = reader.lazy_tree(repo, tip, "placements").blobs
            blobs.update((f"placements/{path}", blob) for path, blob in placed.items())
            return self._lazy(blobs)

        return trees.Deferred(load)

    def _publish(
        self,
        source_commit: str,
        tips: Tips,
        rendered: engine.Rendered,
        found: list[Problem],
        now: datetime.datetime,
    ) -> PassResult:
        repo = self.hub_store.repo
        tree = rendered.tree
        before = reader.folder_ids(repo, tips.hub, "clusters")
        try:
            if rendered.dirty is None or rendered.top_changes is None or tips.hub is None:
                prepared = layout.prepare(tree.top, tree.folders())
                candidates = set(before) | set(prepared.folder_ids)
            else:
                folders = {
                    f"clusters/{name}": tree.folder(name) if name in tree.clusters else None
                    for name in rendered.dirty
                }
                prepared = layout.prepare_changes(repo, tips.hub, rendered.top_changes, folders)
                candidates = set(folders)
            touched = {f for f in candidates if before.get(f) != prepared.folder_ids.get(f)}
            result = layout.commit(
                repo,
                HUB_BRANCH,
                prepared,
                f"hub: reconcile {source_commit[:12]}\n\n{len(touched)} clusters touched.",
                {"Source-Commit": source_commit},
                author=self.author,
                expected=None if rendered.full else tips.hub,
            )
        except BaseException:
            self.caches.engine.reset()
            self._engine_hub = None
            raise
        self._engine_hub = result.commit
        for folder, oid in prepared.folder_ids.items():
            self.caches.hub_reader.prime(oid, tree.clusters.get(folder.partition("/")[2], {}))
        written = 0
        if result.created:
            self.hub_store.push(HUB_BRANCH, result.previous)
            written = self._written(result.previous, result.commit, touched, before, prepared, tree)
        previous = self._controller_file(tips.status)
        self._write_status(previous, source_commit, source_commit, result.commit, found, now)
        return PassResult(
            source_commit,
            True,
            hub_commit=result.commit,
            files_written=written,
            clusters_touched=len(touched),
            problems=tuple(found),
        )

    def _written(
        self,
        old: str | None,
        new: str,
        touched: set[str],
        before: Mapping[str, str],
        prepared: layout.Prepared,
        tree: hub.HubTree,
    ) -> int:
        """Count the files that differ between two hub commits, diffing only what moved.

        ``touched`` folders have their new ids in ``prepared`` (absent: removed).
        """
        if old is None:
            return tree.size()
        repo = self.hub_store.repo
        after = prepared.folder_ids
        count = reader.count_changes(
            repo,
            reader.subtree_id(repo, old, "placements"),
            reader.subtree_id(repo, new, "placements"),
        )
        for folder in touched:
            count += reader.count_changes(repo, before.get(folder), after.get(folder))
        return count

    def _refuse(
        self,
        source_commit: str,
        tips: Tips,
        found: list[Problem],
        now: datetime.datetime,
    ) -> PassResult:
        previous = self._controller_file(tips.status)
        reconciled = report.last_reconciled(previous)
        self._write_status(previous, source_commit, reconciled, tips.hub, found, now)
        return PassResult(source_commit, False, hub_commit=tips.hub, problems=tuple(found))

    def _controller_file(self, status_tip: str | None) -> bytes | None:
        if status_tip is None:
            return None
        repo = self.hub_store.repo
        blob = reader.blob_at(repo, status_tip, report.PATH)
        return None if blob is None else reader.read_blob(repo, blob)

    def _write_status(
        self,
        previous: bytes | None,
        source_commit: str,
        reconciled: str | None,
        hub_commit: str | None,
        found: list[Problem],
        now: datetime.datetime,
    ) -> None:
        """Render ``controller.yaml`` for this pass; the fold commits it with everything else.

        So ``ocm/status`` gets one commit per pass (none when nothing changed).
        ``previous`` is the ``controller.yaml`` of the status tip the pass read.
        """
        self._controller_yaml = report.render(
            previous,
            source_commit=source_commit,
            reconciled_commit=reconciled,
            hub_commit=hub_commit,
            problems=found,
            now=now,
            awaiting=self.awaiting,
        )


Sets = tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], list[str]]]


def _same_objects(before: list[Any], now: list[Any]) -> bool:
    """Return whether two lists hold the very same parsed objects (unchanged files)."""
    return len(before) == len(now) and all(a is b for a, b in zip(before, now, strict=True))


def _sets(snapshot: Any) -> Sets:
    """Each ManifestWorkReplicaSet's placements and each PolicySet's policies, by (ns, name)."""
    replica_sets = {
        (o.namespace, o.name): [
            str(r.get("name")) for r in o.spec.get("placementRefs") or [] if isinstance(r, dict)
        ]
        for o in snapshot.of_kind("ManifestWorkReplicaSet")
    }
    policy_sets = {
        (o.namespace, o.name): [str(p) for p in o.spec.get("policies") or []]
        for o in snapshot.of_kind("PolicySet")
    }
    return replica_sets, policy_sets


class Heap:
    """Keeps Python's cyclic garbage collector off the controller's long-lived caches.

    The caches (parsed files, rendered bytes, the engine's tree) hold millions of
    objects; a full collection walks all of them, and allocation-heavy passes
    trigger many, which at fleet scale was a large share of a one-label pass. With
    management on, the collector is paused during a pass; after it, the young
    objects are collected (cycles made by the pass are freed) and the survivors
    are frozen out of later collections. Every ``full_every`` passes everything is
    unfrozen and collected, so cycles among old objects are freed too.
    """

    def __init__(self, enabled: bool, full_every: int = 100) -> None:
        self.enabled = enabled
        self.full_every = full_every
        self.passes = 0

    @contextlib.contextmanager
    def pass_(self) -> Iterator[None]:
        """Run one pass with the collector paused, then settle the heap."""
        if not self.enabled:
            yield
            return
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()
            self.passes += 1
            if self.passes % self.full_every == 0:
                gc.unfreeze()
                gc.collect()
            else:
                gc.collect(1)
            gc.freeze()


def reconcile_with_retry(controller: Controller, attempts: int = 8) -> PassResult:
    """Run a pass, redoing it when a compare-and-swap loses a race."""
    for attempt in range(attempts):
        try:
            return controller.reconcile()
        except errors.RefConflict:
            controller.forget_inputs()
            if attempt == attempts - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")
