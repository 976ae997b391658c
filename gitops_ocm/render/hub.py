"""The whole hub-store tree for one desired state (``ocm/hub``, docs/architecture.md).

Pure. Has every placement scheduled (``placement.settle``), then renders
accepted clusters, placements and their decision pages, direct and replicated
works and replicated policies, and runs the fleet checks that need decisions.
Given an :class:`registration.Admission`, clusters awaiting their agent get no
folder and the tree has ``allowed_signers`` at its root. The same inputs
(snapshot, status inventory, previous hub tree, ``now``, admission) always give
byte-identical files.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping, Sequence

from gitops_ocm.model import rendercache, timefmt, yamlout
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.placement import inventory, publication, settle
from gitops_ocm.problems import Problem
from gitops_ocm.render import admissions, fleetchecks, placements, policies, rollouts, works
from gitops_ocm.render import clusters as clusters_mod
from gitops_ocm.work import rolloutstate


@dataclasses.dataclass(frozen=True)
class HubTree:
    """The rendered hub tree, the scheduling results behind it, and fleet problems.

    ``top`` holds the files outside cluster folders (placements and their
    decisions); ``clusters`` holds each accepted cluster's own files
    (``cluster.yaml``, ``manifestworks/``) as ``{relative path: bytes}``, with
    identical bodies shared as one bytes object; ``policy_folders`` holds each
    cluster's ``policies/`` folder, one read-only dict shared by every cluster
    that receives the same replicas (see :func:`policies.folders`).
    """

    top: dict[str, bytes]
    clusters: dict[str, dict[str, bytes]]
    results: Mapping[tuple[str, str], publication.PlacementResult]
    works: tuple[works.Work, ...]
    problems: tuple[Problem, ...]
    policy_folders: Mapping[str, Mapping[str, bytes]] = dataclasses.field(default_factory=dict)
    rollouts: Mapping[tuple[str, str], rollouts.Step] = dataclasses.field(default_factory=dict)

    @property
    def recheck_at(self) -> datetime.datetime | None:
        """When a rollout's soak or deadline ends next: a pass is due then, push or not."""
        times = [s.recheck_at for s in self.rollouts.values() if s.recheck_at is not None]
        return min(times) if times else None

    def watching(self) -> tuple[str, ...]:
        """The status paths (work reports) whose change can move a rollout in progress."""
        return tuple(p for s in self.rollouts.values() for p in s.watching)

    @functools.cached_property
    def files(self) -> dict[str, bytes]:
        """Return the whole tree as ``{path: bytes}`` (for ``render --out`` and tests)."""
        flat = dict(self.top)
        for cluster, content in self.clusters.items():
            for rel, data in content.items():
                flat[f"clusters/{cluster}/{rel}"] = data
        for cluster, folder in self.policy_folders.items():
            for rel, data in folder.items():
                flat[f"clusters/{cluster}/policies/{rel}"] = data
        return dict(sorted(flat.items()))

    def folders(self) -> dict[str, dict[str, bytes | Mapping[str, bytes]]]:
        """Return the cluster folders keyed by their path in the tree.

        A folder's ``policies`` entry is the shared sub-folder mapping itself, so
        the publisher (``gitstore.layout``) hashes each distinct one once.
        """
        return {f"clusters/{name}": self.folder(name) for name in self.clusters}

    def folder(self, name: str) -> dict[str, bytes | Mapping[str, bytes]]:
        """Return one cluster's folder as :meth:`folders` gives it (empty if not accepted)."""
        folder: dict[str, bytes | Mapping[str, bytes]] = dict(self.clusters.get(name, {}))
        shared = self.policy_folders.get(name)
        if shared:
            folder["policies"] = shared
        return folder

    def size(self) -> int:
        """Return the number of files in the tree, without listing them."""
        clusters = sum(len(content) for content in self.clusters.values())
        shared = sum(len(folder) for folder in self.policy_folders.values())
        return len(self.top) + clusters + shared

    def decisions(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """Return the selected clusters of each placement."""
        return {key: result.clusters for key, result in self.results.items()}


def render(
    snapshot: Snapshot,
    cluster_infos: Sequence[inventory.ClusterInfo],
    previous: Mapping[str, bytes],
    now: datetime.datetime,
    cache: rendercache.RenderCache | None = None,
    admission: admissions.Admission | None = None,
    status: Mapping[str, bytes] | None = None,
) -> HubTree:
    """Render the hub tree of ``snapshot`` (assumed valid).

    A ``cache`` kept across passes (one per controller) saves re-reading the
    previous tree's files and re-serializing unchanged objects; the output is
    the same with or without it. Without ``admission`` every accepted cluster
    is published and there is no ``allowed_signers`` (what ``plan`` compares).
    With a ``status`` tree, sets that roll out in steps take this pass's step
    from ``previous``, ``status`` and ``now`` (:mod:`render.rollouts`); without
    one, every set gives its template to every selected cluster (the end state
    of every rollout, what ``plan`` and ``validate`` judge).
    """
    results = settle.schedule_all(snapshot, cluster_infos, previous, now, cache)
    ctx = None if status is None else rollouts.Context(previous, status, now)
    return assemble(snapshot, cluster_infos, results, cache, admission, ctx)


def assemble(
    snapshot: Snapshot,
    cluster_infos: Sequence[inventory.ClusterInfo],
    results: Mapping[tuple[str, str], publication.PlacementResult],
    cache: rendercache.RenderCache | None = None,
    admission: admissions.Admission | None = None,
    rollout: rollouts.Context | None = None,
) -> HubTree:
    """Render the hub tree of ``snapshot`` for given scheduling ``results``."""
    decisions = {key: result.clusters for key, result in results.items()}
    awaiting = admission.awaiting if admission is not None else frozenset()
    accepted = set(clusters_mod.accepted(snapshot, awaiting))
    folders: dict[str, dict[str, bytes]] = {name: {} for name in sorted(accepted)}
    prefix = len("clusters/")
    for path, data in clusters_mod.render(snapshot, cluster_infos, cache, awaiting).items():
        folders[path[prefix:].partition("/")[0]]["cluster.yaml"] = data
    steps: dict[tuple[str, str], rollouts.Step] = {}
    replicated: list[works.Work] = []
    for obj in snapshot.of_kind("ManifestWorkReplicaSet"):
        if rollout is not None and rolloutstate.is_rollout(obj.spec, obj.annotations):
            done = steps[(obj.namespace, obj.name)] = rollouts.step(
                obj, results, accepted, rollout, cache=cache
            )
            replicated.extend(done.works)
        else:
            replicated.extend(works.replicated_one(obj, decisions, accepted))
    all_works = (*works.direct(snapshot, accepted), *replicated)
    for cluster, content in works.by_cluster(list(all_works), cache).items():
        folders[cluster].update(content)
    shared = policies.folders(snapshot, decisions, accepted, cache)
    bodies = {(o.namespace, o.name): o.body for o in snapshot.of_kind("Placement")}
    top = placements.files(results, bodies, cache)
    signers_file = admission.signers_file() if admission is not None else None
    if signers_file is not None:
        top = {**top, admissions.PATH: signers_file}
    if steps:
        top = {**top, **{done.path: done.data for done in steps.values()}}
    found = [
        *(admission.problems if admission is not None else ()),
        *fleetchecks.claims(snapshot, all_works),
        *fleetchecks.empty_placements(snapshot, decisions),
        *fleetchecks.sizes(snapshot, all_works, folders),
    ]
    return HubTree(top, folders, results, all_works, tuple(sorted(found)), shared, steps)


def assume_available(snapshot: Snapshot, now: datetime.datetime) -> dict[str, bytes]:
    """Return a status tree in which every accepted cluster reports Available=True.

    ``validate`` uses it when no status tree is given: fleet checks then ask
    "would this be right if the whole fleet were healthy?", which is what a
    pull request should be judged on.
    """
    stamp = timefmt.format_seconds(now)
    out: dict[str, bytes] = {}
    for name in clusters_mod.accepted(snapshot):
        body = {
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": name},
            "status": {
                "conditions": [
                    {
                        "type": inventory.AVAILABLE,
                        "status": "True",
                        "reason": "ManagedClusterAvailable",
                        "message": "assumed available for validation",
                        "lastTransitionTime": stamp,
                    }
                ]
            },
        }
        out[f"clusters/{name}/cluster.yaml"] = yamlout.dump(body)
    return out
