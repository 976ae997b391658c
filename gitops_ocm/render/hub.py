"""The whole hub-store tree for one desired state: DESIGN.md section 3.

Pure. Schedules every placement, then renders accepted clusters, placements and
their decision pages, direct and replicated works and replicated policies, and
runs the fleet checks that need decisions. The same inputs (snapshot, status
inventory, previous hub tree, ``now``) always give byte-identical files.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence

from gitops_ocm.model import yamlout
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.placement import inventory
from gitops_ocm.problems import Problem
from gitops_ocm.render import clusters as clusters_mod
from gitops_ocm.render import placements, policies, works
from gitops_ocm.validation import fleet


@dataclasses.dataclass(frozen=True)
class HubTree:
    """The rendered hub tree, the scheduling results behind it, and fleet problems."""

    files: dict[str, bytes]
    results: Mapping[tuple[str, str], placements.PlacementResult]
    works: tuple[works.Work, ...]
    problems: tuple[Problem, ...]

    def decisions(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """Return the selected clusters of each placement."""
        return {key: result.clusters for key, result in self.results.items()}


def render(
    snapshot: Snapshot,
    cluster_infos: Sequence[inventory.ClusterInfo],
    previous: Mapping[str, bytes],
    now: datetime.datetime,
) -> HubTree:
    """Render the hub tree of ``snapshot`` (assumed valid)."""
    results = placements.schedule_all(snapshot, cluster_infos, previous, now)
    decisions = {key: result.clusters for key, result in results.items()}
    accepted = set(clusters_mod.accepted(snapshot))
    files: dict[str, bytes] = {}
    files.update(clusters_mod.render(snapshot, cluster_infos))
    bodies = {(o.namespace, o.name): o.body for o in snapshot.of_kind("Placement")}
    files.update(placements.files(results, bodies))
    all_works = (
        *works.direct(snapshot, accepted),
        *works.replicated(snapshot, decisions, accepted),
    )
    files.update(works.render(list(all_works)))
    files.update(policies.render(snapshot, decisions, accepted))
    found = [
        *fleet.claims(snapshot, all_works),
        *fleet.empty_placements(snapshot, decisions),
        *fleet.sizes(snapshot, all_works, files),
    ]
    return HubTree(dict(sorted(files.items())), results, tuple(all_works), tuple(sorted(found)))


def assume_available(snapshot: Snapshot, now: datetime.datetime) -> dict[str, bytes]:
    """Return a status tree in which every accepted cluster reports Available=True.

    ``validate`` uses it when no status tree is given: fleet checks then ask
    "would this be right if the whole fleet were healthy?", which is what a
    pull request should be judged on.
    """
    stamp = inventory.format_time(now)
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
