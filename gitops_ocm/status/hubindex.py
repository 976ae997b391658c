"""What the fold needs from the hub tree: each cluster's works, and placements with decisions.

Pure; the hub tree is a mapping given by the caller (lazy: only files whose
blob id is not in the cache are read). ManifestWorkReplicaSets are not in the
hub tree (they live on ``main``); a work generated from one carries OCM's
labels ``work.open-cluster-management.io/manifestworkreplicaset=<ns>.<name>``
and ``work.open-cluster-management.io/placementname=<placement>``, which is
how the fold finds them. A namespace is a DNS label (no dots), so the first
dot splits the label value.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping
from typing import Any

from gitops_ocm.status import scan
from gitops_ocm.status.cache import FoldCache

MWRS_LABEL = "work.open-cluster-management.io/manifestworkreplicaset"
PLACEMENT_LABEL = "work.open-cluster-management.io/placementname"


@dataclasses.dataclass(frozen=True)
class HubWork:
    """One published work: its file's blob id and the replica set that generated it."""

    name: str
    blob: str
    replica_set: tuple[str, str] | None
    placement: str | None


@dataclasses.dataclass(frozen=True)
class HubPlacement:
    """One published Placement: its status and the clusters of its decision pages."""

    namespace: str
    name: str
    status: Mapping[str, Any]
    clusters: tuple[str, ...]
    source: str = ""  # blob id of placement.yaml

    @property
    def selected(self) -> int:
        """``status.numberOfSelectedClusters`` (the decided clusters when absent)."""
        value = self.status.get("numberOfSelectedClusters")
        return value if isinstance(value, int) else len(self.clusters)

    @property
    def groups(self) -> int:
        """How many decision groups the status lists."""
        groups = self.status.get("decisionGroups")
        return len(groups) if isinstance(groups, list) else 0

    def condition(self, kind: str) -> Mapping[str, Any]:
        """The status condition of type ``kind`` (empty when absent)."""
        for cond in self.status.get("conditions") or []:
            if isinstance(cond, dict) and cond.get("type") == kind:
                return cond
        return {}


@dataclasses.dataclass(frozen=True)
class HubIndex:
    """Works by cluster (sorted by name) and placements by (namespace, name)."""

    works: Mapping[str, tuple[HubWork, ...]]
    placements: Mapping[tuple[str, str], HubPlacement]


def blob_id(data: bytes) -> str:
    """Git's id of a blob with this content."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def index(
    hub: Mapping[str, bytes], hub_blobs: Mapping[str, str] | None, cache: FoldCache
) -> HubIndex:
    """Index the hub tree (``hub_blobs``, when given, saves reading and hashing files)."""
    paths: Mapping[str, Any] = hub_blobs if hub_blobs is not None else hub

    def blob(path: str) -> str:
        return hub_blobs[path] if hub_blobs is not None else blob_id(hub[path])

    works: dict[str, list[HubWork]] = {}
    folders: dict[tuple[str, str], dict[str, str]] = {}
    for path in paths:
        parts = path.split("/")
        if len(parts) != 4 or not parts[3].endswith(".yaml"):
            continue
        if parts[0] == "clusters" and parts[2] == "manifestworks":
            found = _work(parts[3][:-5], blob(path), lambda p=path: hub[p], cache)
            works.setdefault(parts[1], []).append(found)
        elif parts[0] == "placements":
            folders.setdefault((parts[1], parts[2]), {})[parts[3]] = path
    placements = {
        key: _placement(key, files, blob, hub, cache) for key, files in sorted(folders.items())
    }
    return HubIndex(
        {c: tuple(sorted(ws, key=lambda w: w.name)) for c, ws in sorted(works.items())},
        placements,
    )


def _work(name: str, blob: str, read: Any, cache: FoldCache) -> HubWork:
    labels = cache.get("hub-labels", blob, lambda: scan.labels(read()))
    owner = labels.get(MWRS_LABEL, "")
    namespace, dot, set_name = owner.partition(".")
    replica_set = (namespace, set_name) if dot and namespace and set_name else None
    return HubWork(name, blob, replica_set, labels.get(PLACEMENT_LABEL) or None)


def _placement(
    key: tuple[str, str],
    files: Mapping[str, str],
    blob: Any,
    hub: Mapping[str, bytes],
    cache: FoldCache,
) -> HubPlacement:
    status: Mapping[str, Any] = {}
    clusters: set[str] = set()
    source = ""
    for name, path in sorted(files.items()):
        oid = blob(path)
        if name == "placement.yaml":
            source = oid
            status = cache.get("placement", oid, functools.partial(_status, hub, path))
        else:
            clusters.update(cache.get("decisions", oid, functools.partial(_decisions, hub, path)))
    return HubPlacement(key[0], key[1], status, tuple(sorted(clusters)), source)


def _status(hub: Mapping[str, bytes], path: str) -> Mapping[str, Any]:
    return scan.as_mapping(scan.body(hub[path]).get("status"))


def _decisions(hub: Mapping[str, bytes], path: str) -> tuple[str, ...]:
    return scan.decisions(hub[path])
