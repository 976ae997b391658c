"""Keeping the rendered hub tree current across passes: redo only what a change reaches.

Pure: an :class:`Engine` is a long-lived object (one per controller), like
:class:`queue.Scheduler`, holding the last rendered tree and what it was
made from. :meth:`Engine.render` takes the next desired state and inventory and
returns the new tree, with the cluster folders and top-level files that changed.

Scheduling is event-driven, as OCM's scheduler is. A placement is scheduled
again, in full, when its spec changes, when a changed cluster can affect it
(:class:`incremental.Watch`) or when its requeue time (tolerationSeconds) comes;
each time against the current inventory and the decisions last published,
which Steady and Balance read. A placement no event reaches keeps its result,
so a push that changes one work template moves no cluster.

Everything after scheduling is exact: the tree equals :func:`hub.assemble` of the
same snapshot, inventory and scheduling results (the tests check it over random
changes). Works are rendered again per source (a ManifestWorkReplicaSet whose
body or placements' decisions changed, a changed ManifestWork); ``cluster.yaml``
per changed cluster; ``policies/`` per cluster whose coverage changed; the
placement files of rescheduled placements.

A full render (every placement scheduled) happens on the first pass and after
:meth:`Engine.reset`, and when cluster sets or their bindings change, clusters
are accepted or removed (or stop or start awaiting their agent), placements are
added or removed, or the fleet has conflicting works (F401, F404), whose
messages depend on the whole fleet. ``allowed_signers`` is a top-level file
like the placement files: replaced whenever its bytes change.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gitops_ocm.model import rendercache
from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.placement import history, inventory, publication, queue, settle, spec
from gitops_ocm.problems import Problem
from gitops_ocm.render import admissions, fleetchecks, hub, placements, policies, rollouts, works
from gitops_ocm.render import clusters as clusters_mod
from gitops_ocm.work import rolloutstate

Key = tuple[str, str]
Source = tuple[str, str, str]  # (kind, namespace, name) of a work's source object

# Kinds whose change makes the next render a full one.
_STRUCTURAL = ("ManagedClusterSet", "ManagedClusterSetBinding")
# Kinds the policy folders are made from.
_POLICY_KINDS = ("Policy", "PlacementBinding", "PolicySet")
_CONFLICTS = ("F401", "F404")


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A render: the tree, and what changed since the previous render of the engine.

    ``dirty`` names the clusters whose folders changed, and ``top_changes`` the
    files outside cluster folders (None: deleted); both are None after a full
    render, when the publisher compares every folder.
    """

    tree: hub.HubTree
    dirty: frozenset[str] | None
    top_changes: Mapping[str, bytes | None] | None
    rescheduled: tuple[Key, ...]

    @property
    def full(self) -> bool:
        """Return whether this was a full render."""
        return self.dirty is None


@dataclasses.dataclass
class _State:
    """What the last render was made from, and its parts by origin."""

    snapshot: Snapshot
    accepted: frozenset[str]
    infos: dict[str, inventory.ClusterInfo]
    scheduler: queue.Scheduler
    top: dict[str, bytes]
    top_of: dict[Key, dict[str, bytes]]
    clusters: dict[str, dict[str, bytes]]
    policy_folders: dict[str, Mapping[str, bytes]]
    plan: policies.Plan
    chosen: dict[Key, frozenset[str]]
    works_of: dict[Source, tuple[works.Work, ...]]
    on_cluster: dict[str, dict[Source, works.Work]]
    sizes_of: dict[Source, tuple[Problem, ...]]
    claims: tuple[Problem, ...]
    awaiting: frozenset[str] = frozenset()
    steps: dict[Source, rollouts.Step] = dataclasses.field(default_factory=dict)


class Engine:
    """The hub tree of the last render, updated in place by the next one."""

    def __init__(self, cache: rendercache.RenderCache | None = None) -> None:
        self.cache = cache
        self._state: _State | None = None

    def reset(self) -> None:
        """Forget the last render: the next one is full (e.g. ``ocm/hub`` moved elsewhere)."""
        self._state = None

    def render(
        self,
        snapshot: Snapshot,
        cluster_infos: Sequence[inventory.ClusterInfo],
        previous: Mapping[str, bytes],
        now: datetime.datetime,
        admission: admissions.Admission | None = None,
        rollout: rollouts.Context | None = None,
    ) -> Rendered:
        """Render ``snapshot`` (assumed valid); ``previous`` is read only by a full render.

        ``previous`` must be the tree this engine rendered last when it was
        published, or what ``ocm/hub`` holds otherwise (after :meth:`reset`).
        ``admission`` is as for :func:`hub.render`. With ``rollout`` (its
        ``previous`` is the whole ``ocm/hub`` tree, read only by a full render)
        sets that roll out in steps take this pass's step; a set is stepped
        again when it or its placements change, when a soak or deadline of its
        ends, or when a work report its rollout watches changes.
        """
        state = self._state
        infos = {c.name: c for c in cluster_infos}
        if state is not None and self._incremental_ok(state, snapshot, infos, admission):
            return self._update(state, snapshot, infos, now, admission, rollout)
        return self._full(snapshot, cluster_infos, previous, now, admission, rollout)

    # -- full ---------------------------------------------------------------

    def _full(
        self,
        snapshot: Snapshot,
        cluster_infos: Sequence[inventory.ClusterInfo],
        previous: Mapping[str, bytes],
        now: datetime.datetime,
        admission: admissions.Admission | None,
        rollout: rollouts.Context | None,
    ) -> Rendered:
        cache = self.cache
        inputs = publication.prepare(snapshot, cluster_infos, previous, now, cache)
        scheduler = queue.Scheduler(settle.placements(snapshot), inputs, settled=True)
        tree = hub.assemble(snapshot, cluster_infos, scheduler.results, cache, admission, rollout)
        scheduler.refresh(history.from_tree(tree.top, cache), now)
        works_of: dict[Source, list[works.Work]] = {}
        on_cluster: dict[str, dict[Source, works.Work]] = {}
        for work in tree.works:
            source = _source(work.source)
            works_of.setdefault(source, []).append(work)
            on_cluster.setdefault(work.cluster, {})[source] = work
        frozen = {source: tuple(found) for source, found in works_of.items()}
        sizes_of = {
            source: tuple(fleetchecks.sizes(snapshot, found, tree.clusters))
            for source, found in frozen.items()
        }
        self._state = _State(
            snapshot=snapshot,
            accepted=frozenset(tree.clusters),
            infos={c.name: c for c in cluster_infos},
            scheduler=scheduler,
            top=dict(tree.top),
            top_of=_by_placement(tree.top),
            clusters=dict(tree.clusters),
            policy_folders=dict(tree.policy_folders),
            plan=policies.plan(snapshot, cache),
            chosen={k: frozenset(r.clusters) for k, r in scheduler.results.items()},
            works_of=frozen,
            on_cluster=on_cluster,
            sizes_of=sizes_of,
            claims=tuple(p for p in tree.problems if p.code in _CONFLICTS),
            awaiting=_awaiting(admission),
            steps={("ManifestWorkReplicaSet", *key): done for key, done in tree.rollouts.items()},
        )
        return Rendered(tree, None, None, tuple(sorted(scheduler.results)))

    # -- incremental --------------------------------------------------------

    def _incremental_ok(
        self,
        state: _State,
        snapshot: Snapshot,
        infos: Mapping[str, inventory.ClusterInfo],
        admission: admissions.Admission | None,
    ) -> bool:
        """Return whether ``snapshot`` can be rendered from ``state`` by parts."""
        old = state.snapshot
        if state.claims or infos.keys() != state.infos.keys():
            return False
        awaiting = _awaiting(admission)
        same_clusters = _same_kind(old, snapshot, "ManagedCluster") and awaiting == state.awaiting
        if not same_clusters:
            accepted = frozenset(clusters_mod.accepted(snapshot, awaiting))
            if accepted != state.accepted:
                return False
        for kind in _STRUCTURAL:
            if _bodies(snapshot.of_kind(kind)) != _bodies(old.of_kind(kind)):
                return False
        if _same_kind(old, snapshot, "Placement"):
            return True
        before = {(o.namespace, o.name) for o in old.of_kind("Placement")}
        after = {(o.namespace, o.name) for o in snapshot.of_kind("Placement")}
        return before == after

    def _update(
        self,
        state: _State,
        snapshot: Snapshot,
        infos: dict[str, inventory.ClusterInfo],
        now: datetime.datetime,
        admission: admissions.Admission | None,
        rollout: rollouts.Context | None,
    ) -> Rendered:
        cache = self.cache
        old = state.snapshot
        state.awaiting = _awaiting(admission)
        scheduler = state.scheduler
        scheduler.refresh(scheduler.inputs.history, now)
        changed: set[Key] = set()
        # Events: placements whose spec changed, clusters that changed, requeues due.
        edited = _changed(old, snapshot, "Placement")
        specs = scheduler.specs() if edited else {}
        for obj in edited:
            placement = spec.from_body(obj.body)
            if placement.key in specs and placement != specs[placement.key]:
                changed.update(scheduler.set_placement(placement))
        moved = [
            info
            for name, info in infos.items()
            if state.infos[name] is not info and state.infos[name] != info
        ]
        changed.update(scheduler.update_clusters(moved))
        changed.update(scheduler.reschedule(scheduler.due(now)))
        state.infos = dict(infos)

        results = scheduler.results
        before = {key: state.chosen[key] for key in changed}
        for key in changed:
            state.chosen[key] = frozenset(results[key].clusters)
        decisions = {key: result.clusters for key, result in results.items()}
        dirty: set[str] = set()

        # cluster.yaml of clusters whose object or inventory entry changed.
        redo = {info.name for info in moved}
        redo.update(o.name for o in _changed(old, snapshot, "ManagedCluster"))
        redo &= state.accepted
        if redo:
            objs = {o.name: o for o in snapshot.of_kind("ManagedCluster")}
            for name in sorted(redo):
                data = clusters_mod.render_one(objs[name], infos.get(name), cache)
                if state.clusters[name].get("cluster.yaml") != data:
                    state.clusters[name] = {**state.clusters[name], "cluster.yaml": data}
                    dirty.add(name)

        # Works of changed sources, and of replica sets whose placements were rescheduled.
        fresh: dict[Source, list[works.Work]] = {}
        for obj in _changed(old, snapshot, "ManifestWork"):
            fresh[_source(obj)] = list(works.direct_one(obj, state.accepted))
        known = {id(o) for o in old.of_kind("ManifestWorkReplicaSet")}
        stepped: dict[Source, rollouts.Step | None] = {}
        for obj in snapshot.of_kind("ManifestWorkReplicaSet"):
            refs = {(obj.namespace, name) for name in works.placement_names(obj)}
            touched = id(obj) not in known or bool(refs & changed)
            source = _source(obj)
            if rollout is not None and rolloutstate.is_rollout(obj.spec, obj.annotations):
                last = state.steps.get(source)
                if touched or last is None or not (last.settled or last.still(rollout)):
                    done = self._step(state, obj, results, rollout)
                    stepped[source] = done
                    fresh[source] = list(done.works)
            else:
                if source in state.steps:
                    stepped[source] = None
                if touched:
                    fresh[source] = list(works.replicated_one(obj, decisions, state.accepted))
        gone = {_source(o) for o in _removed(old, snapshot, "ManifestWork")}
        gone |= {_source(o) for o in _removed(old, snapshot, "ManifestWorkReplicaSet")}
        stepped.update((source, None) for source in gone if source in state.steps)
        dirty |= self._replace_works(state, snapshot, fresh, gone)

        # Policy folders: all again when a policy object changed, else per cluster.
        if any(not _same_kind(old, snapshot, kind) for kind in _POLICY_KINDS):
            state.plan = policies.plan(snapshot, cache)
            everyone = policies.folders(snapshot, decisions, set(state.accepted), cache)
            dirty |= _swap_policies(state, everyone, state.accepted)
        else:
            redo_policies: set[str] = set()
            for key in changed & state.plan.placements:
                redo_policies |= before[key] ^ state.chosen[key]
            dirty |= self._replace_policies(state, redo_policies & state.accepted)

        # Placement files of rescheduled placements.
        top_changes: dict[str, bytes | None] = {}
        if changed:
            bodies = {(o.namespace, o.name): o.body for o in snapshot.of_kind("Placement")}
            subset = {key: results[key] for key in changed}
            new_files = _by_placement(placements.files(subset, bodies, cache))
            for key in sorted(changed):
                was = state.top_of.get(key, {})
                now_files = new_files.get(key, {})
                for path in was.keys() - now_files.keys():
                    top_changes[path] = None
                    del state.top[path]
                for path, data in now_files.items():
                    if was.get(path) != data:
                        top_changes[path] = data
                        state.top[path] = data
                state.top_of[key] = now_files
            past = history.replaced(scheduler.inputs.history, dict(new_files), cache)
            scheduler.refresh(past, now)
        _replace_signers(state, admission, top_changes)
        _replace_steps(state, stepped, top_changes)

        # Fleet checks.
        state.snapshot = snapshot
        found = [
            *(admission.problems if admission is not None else ()),
            *self._claims(state, snapshot, dirty),
            *fleetchecks.empty_placements(snapshot, decisions),
            *(p for problems in state.sizes_of.values() for p in problems),
        ]
        tree = self._tree(state, results, tuple(sorted(found)))
        return Rendered(tree, frozenset(dirty), top_changes, tuple(sorted(changed)))

    def _step(
        self,
        state: _State,
        obj: Obj,
        results: Mapping[Key, publication.PlacementResult],
        rollout: rollouts.Context,
    ) -> rollouts.Step:
        """This pass's step of one rolling set, from the engine's own last tree."""
        path = f"manifestworks/{works.mwrs_work_name(obj.namespace, obj.name)}.yaml"

        def held(cluster: str) -> bytes | None:
            return state.clusters.get(cluster, {}).get(path)

        local = rollouts.Context(state.top, rollout.status, rollout.now)
        return rollouts.step(obj, results, state.accepted, local, held, self.cache)

    def _replace_works(
        self,
        state: _State,
        snapshot: Snapshot,
        fresh: Mapping[Source, list[works.Work]],
        gone: set[Source],
    ) -> set[str]:
        """Swap the works of changed sources into the cluster folders; return touched clusters."""
        touched: set[str] = set()
        edits: dict[str, dict[str, bytes | None]] = {}
        for source in sorted(set(fresh) | gone):
            for work in state.works_of.pop(source, ()):
                edits.setdefault(work.cluster, {})[f"manifestworks/{work.name}.yaml"] = None
                state.on_cluster[work.cluster].pop(source, None)
            state.sizes_of.pop(source, None)
        serialized: dict[int, bytes] = {}
        for source, found in fresh.items():
            if not found:
                continue
            state.works_of[source] = tuple(found)
            for work in found:
                data = serialized.get(id(work.body))
                if data is None:
                    data = serialized[id(work.body)] = rendercache.dump_with(self.cache, work.body)
                edits.setdefault(work.cluster, {})[f"manifestworks/{work.name}.yaml"] = data
                state.on_cluster.setdefault(work.cluster, {})[source] = work
        for cluster, changes in edits.items():
            folder = dict(state.clusters[cluster])
            for path, data in changes.items():
                if data is None:
                    folder.pop(path, None)
                else:
                    folder[path] = data
            if folder != state.clusters[cluster]:
                state.clusters[cluster] = folder
                touched.add(cluster)
        for source, found in fresh.items():
            if found:
                state.sizes_of[source] = tuple(fleetchecks.sizes(snapshot, found, state.clusters))
        return touched

    def _replace_policies(self, state: _State, clusters: set[str]) -> set[str]:
        """Recompute the ``policies/`` folder of ``clusters``; return those that changed."""
        entries = state.plan.entries
        shared: dict[tuple[int, ...], dict[str, bytes]] = {}
        folders: dict[str, Mapping[str, bytes]] = {}
        for cluster in clusters:
            code = policies.signature(entries, state.chosen, cluster)
            folder = shared.get(code)
            if folder is None:
                folder = shared[code] = policies.folder_of(entries, code)
            folders[cluster] = folder
        return _swap_policies(state, folders, clusters)

    def _claims(self, state: _State, snapshot: Snapshot, dirty: set[str]) -> list[Problem]:
        """F401/F404 over the changed clusters; over the whole fleet if any is found."""
        local = [w for c in sorted(dirty) for w in state.on_cluster.get(c, {}).values()]
        if not any(True for _ in fleetchecks.claims(snapshot, local)):
            return []
        everything = _all_works(state, snapshot)
        state.claims = tuple(fleetchecks.claims(snapshot, everything))
        return list(state.claims)

    def _tree(
        self,
        state: _State,
        results: Mapping[Key, publication.PlacementResult],
        found: tuple[Problem, ...],
    ) -> hub.HubTree:
        return hub.HubTree(
            dict(state.top),
            dict(state.clusters),
            dict(results),
            _all_works(state, state.snapshot),
            found,
            dict(state.policy_folders),
            {(source[1], source[2]): done for source, done in state.steps.items()},
        )


def _source(obj: Obj) -> Source:
    return (obj.kind, obj.namespace, obj.name)


def _awaiting(admission: admissions.Admission | None) -> frozenset[str]:
    return admission.awaiting if admission is not None else frozenset()


def _replace_signers(
    state: _State,
    admission: admissions.Admission | None,
    top_changes: dict[str, bytes | None],
) -> None:
    """Put this render's ``allowed_signers`` in the top files when its bytes changed."""
    data = admission.signers_file() if admission is not None else None
    if state.top.get(admissions.PATH) == data:
        return
    top_changes[admissions.PATH] = data
    if data is None:
        state.top.pop(admissions.PATH, None)
    else:
        state.top[admissions.PATH] = data


def _replace_steps(
    state: _State,
    stepped: Mapping[Source, rollouts.Step | None],
    top_changes: dict[str, bytes | None],
) -> None:
    """Keep the new steps, and put their state files (None: removed) in the top files."""
    for source, done in stepped.items():
        last = state.steps.pop(source, None)
        path = done.path if done is not None else last.path if last is not None else None
        if path is None:
            continue
        data = done.data if done is not None else None
        if done is not None:
            state.steps[source] = done
        if state.top.get(path) == data:
            continue
        top_changes[path] = data
        if data is None:
            state.top.pop(path, None)
        else:
            state.top[path] = data


def _swap_policies(
    state: _State, folders: Mapping[str, Mapping[str, bytes]], clusters: Iterable[str]
) -> set[str]:
    """Put ``folders`` (each cluster's new ``policies/``) in place; return clusters changed."""
    touched: set[str] = set()
    for cluster in clusters:
        folder = folders.get(cluster)
        before = state.policy_folders.get(cluster)
        if folder:
            if before is None or before != folder:
                touched.add(cluster)
            state.policy_folders[cluster] = folder
        elif before is not None:
            del state.policy_folders[cluster]
            touched.add(cluster)
    return touched


def _all_works(state: _State, snapshot: Snapshot) -> tuple[works.Work, ...]:
    """Every work in :func:`hub.assemble`'s order: direct works, then replica sets'."""
    out: list[works.Work] = []
    for kind in ("ManifestWork", "ManifestWorkReplicaSet"):
        for obj in snapshot.of_kind(kind):
            out.extend(state.works_of.get(_source(obj), ()))
    return tuple(out)


def _by_placement(top: Mapping[str, bytes]) -> dict[Key, dict[str, bytes]]:
    """Group ``placements/<ns>/<name>/<file>`` paths by placement."""
    out: dict[Key, dict[str, bytes]] = {}
    for path, data in top.items():
        parts = path.split("/")
        if len(parts) == 4 and parts[0] == "placements":
            out.setdefault((parts[1], parts[2]), {})[path] = data
    return out


def _bodies(objs: Sequence[Obj]) -> list[dict[str, Any]]:
    return [o.body for o in objs]


def _same_kind(old: Snapshot, new: Snapshot, kind: str) -> bool:
    """Return whether both snapshots hold the very same objects of ``kind``."""
    a, b = old.of_kind(kind), new.of_kind(kind)
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _changed(old: Snapshot, new: Snapshot, kind: str) -> list[Obj]:
    """Return the objects of ``kind`` in ``new`` that ``old`` does not hold (new or edited)."""
    if _same_kind(old, new, kind):
        return []
    known = {id(o) for o in old.of_kind(kind)}
    return [o for o in new.of_kind(kind) if id(o) not in known]


def _removed(old: Snapshot, new: Snapshot, kind: str) -> list[Obj]:
    """Return the objects of ``kind`` in ``old`` whose (namespace, name) ``new`` lacks."""
    if _same_kind(old, new, kind):
        return []
    kept = {(o.namespace, o.name) for o in new.of_kind(kind)}
    return [o for o in old.of_kind(kind) if (o.namespace, o.name) not in kept]
