"""ManifestWorks for each cluster: direct works, and ManifestWorkReplicaSets fanned out.

Pure. A work is published at ``clusters/<cluster>/manifestworks/<name>.yaml``.
The cluster is given by the path and not repeated inside the file, so one work
sent to 5,000 clusters is one Git blob; the agent (or the Kubernetes hub
backend) sets ``metadata.namespace`` when it materializes the object.

A ManifestWorkReplicaSet's work is named ``<mwrs>-<suffix>``: OCM names new works
with ``generateName: <mwrs>``, which is random; ours is the first five base-32
characters of a hash of ``<namespace>/<name>``, so the name is stable across
commits and two sets of one name in different namespaces never collide. Labels
are OCM's: ``work.open-cluster-management.io/manifestworkreplicaset=<ns>.<name>``
and ``work.open-cluster-management.io/placementname=<placement>``. When two
placementRefs select the same cluster, the first one in the list owns the work.
This module gives every selected cluster the template at once (rollout type
All); a set that rolls out in steps is rendered by :mod:`render.rollouts`,
which decides per cluster which revision of the template it holds.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Iterator
from typing import Any

from gitops_ocm.model import rendercache
from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.render import common

MWRS_LABEL = "work.open-cluster-management.io/manifestworkreplicaset"
PLACEMENT_LABEL = "work.open-cluster-management.io/placementname"


@dataclasses.dataclass(frozen=True)
class Work:
    """One ManifestWork for one cluster, with where it came from."""

    cluster: str
    name: str
    body: dict[str, Any]
    source: Obj


def mwrs_work_name(namespace: str, name: str) -> str:
    """Return the stable name of the works of ManifestWorkReplicaSet ``namespace/name``."""
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    return f"{name}-{base64.b32encode(digest).decode().lower()[:5]}"


def direct(snapshot: Snapshot, accepted: set[str] | frozenset[str]) -> Iterator[Work]:
    """Yield the ManifestWorks declared directly for accepted clusters."""
    for obj in snapshot.of_kind("ManifestWork"):
        yield from direct_one(obj, accepted)


def direct_one(obj: Obj, accepted: set[str] | frozenset[str]) -> Iterator[Work]:
    """Yield the work of one ManifestWork when its namespace is an accepted cluster."""
    if obj.namespace not in accepted:
        return
    body = {
        "apiVersion": obj.api_version,
        "kind": "ManifestWork",
        "metadata": common.trimmed_metadata(obj.metadata, namespace=False),
        "spec": obj.spec,
    }
    yield Work(obj.namespace, obj.name, body, obj)


def replicated(
    snapshot: Snapshot, decisions: common.Decisions, accepted: set[str] | frozenset[str]
) -> Iterator[Work]:
    """Yield one work per cluster selected by each ManifestWorkReplicaSet's placements."""
    for obj in snapshot.of_kind("ManifestWorkReplicaSet"):
        yield from replicated_one(obj, decisions, accepted)


def placement_names(obj: Obj) -> list[str]:
    """Return the names in a ManifestWorkReplicaSet's ``placementRefs``, in order."""
    return [
        str(ref.get("name") if isinstance(ref, dict) else None)
        for ref in obj.spec.get("placementRefs") or []
    ]


def replicated_one(
    obj: Obj, decisions: common.Decisions, accepted: set[str] | frozenset[str]
) -> Iterator[Work]:
    """Yield the works of one ManifestWorkReplicaSet (see :func:`replicated`)."""
    template = obj.spec.get("manifestWorkTemplate")
    if not isinstance(template, dict):
        return
    name = mwrs_work_name(obj.namespace, obj.name)
    owner: dict[str, str] = {}
    for placement in placement_names(obj):
        for cluster in decisions.get((obj.namespace, placement), ()):
            if cluster in accepted:
                owner.setdefault(cluster, placement)
    for placement in sorted(set(owner.values())):
        body = mwrs_body(obj, name, template, placement)
        for cluster in sorted(c for c, p in owner.items() if p == placement):
            yield Work(cluster, name, body, obj)


def mwrs_body(obj: Obj, name: str, template: dict[str, Any], placement: str) -> dict[str, Any]:
    """Return the work a ManifestWorkReplicaSet gives the clusters of one placement."""
    labels = dict(obj.labels)
    labels[MWRS_LABEL] = f"{obj.namespace}.{obj.name}"
    labels[PLACEMENT_LABEL] = placement
    return {
        "apiVersion": "work.open-cluster-management.io/v1",
        "kind": "ManifestWork",
        "metadata": {"name": name, "labels": labels},
        "spec": template,
    }


def by_cluster(
    works: list[Work], cache: rendercache.RenderCache | None = None
) -> dict[str, dict[str, bytes]]:
    """Return each cluster's work files (``manifestworks/<name>.yaml``), bodies serialized once."""
    out: dict[str, dict[str, bytes]] = {}
    blobs: dict[int, bytes] = {}
    for work in works:
        data = blobs.get(id(work.body))
        if data is None:
            data = blobs[id(work.body)] = rendercache.dump_with(cache, work.body)
        out.setdefault(work.cluster, {})[f"manifestworks/{work.name}.yaml"] = data
    return out
