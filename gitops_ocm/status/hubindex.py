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
from collections.abc import Callable, Hashable, Mapping
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


@dataclasses.dataclass(frozen=True)
class Listing:
    """One hub folder: ``{file name: blob id}``, and a key that changes when the files do.

    The key is the folder's tree id when read from Git (:func:`listing` makes
    one from the files otherwise), so an unchanged folder is recognised without
    looking at its files.
    """

    key: Hashable
    files: Mapping[str, str]


def listing(files: Mapping[str, str]) -> Listing:
    """A listing keyed by its own content (for callers without tree ids)."""
    return Listing(tuple(sorted(files.items())), dict(files))


Reader = Callable[[str], bytes]
"""Reads a hub blob by id."""


def index(
    hub: Mapping[str, bytes], hub_blobs: Mapping[str, str] | None, cache: FoldCache
) -> HubIndex:
    """Index the hub tree (``hub_blobs``, when given, saves reading and hashing files)."""
    works, placements, read = split(hub, hub_blobs)
    return HubIndex(
        {c: found for c, w in sorted(works.items()) if (found := works_of(w, read, cache))},
        {key: placement_of(key, f, read, cache) for key, f in sorted(placements.items())},
    )


def split(
    hub: Mapping[str, bytes], hub_blobs: Mapping[str, str] | None
) -> tuple[dict[str, Listing], dict[tuple[str, str], Listing], Reader]:
    """A flat hub tree as listings: works folders by cluster, placement folders by key."""
    blobs = hub_blobs if hub_blobs is not None else {p: blob_id(d) for p, d in hub.items()}
    paths = {blob: path for path, blob in blobs.items()}
    works: dict[str, dict[str, str]] = {}
    folders: dict[tuple[str, str], dict[str, str]] = {}
    for path, blob in blobs.items():
        parts = path.split("/")
        if len(parts) != 4:
            continue
        if parts[0] == "clusters" and parts[2] == "manifestworks":
            works.setdefault(parts[1], {})[parts[3]] = blob
        elif parts[0] == "placements":
            folders.setdefault((parts[1], parts[2]), {})[parts[3]] = blob
    return (
        {c: listing(files) for c, files in works.items()},
        {key: listing(files) for key, files in folders.items()},
        lambda blob: hub[paths[blob]],
    )


def works_of(folder: Listing, read: Reader, cache: FoldCache) -> tuple[HubWork, ...]:
    """The works of one cluster's ``manifestworks/`` folder, sorted by name."""
    found = [
        _work(name[:-5], blob, functools.partial(read, blob), cache)
        for name, blob in folder.files.items()
        if name.endswith(".yaml")
    ]
    return tuple(sorted(found, key=lambda w: w.name))


def placement_of(
    key: tuple[str, str], folder: Listing, read: Reader, cache: FoldCache
) -> HubPlacement:
    """One placement folder: ``placement.yaml``'s status and the clusters of its decision pages."""
    status: Mapping[str, Any] = {}
    clusters: set[str] = set()
    source = ""
    for name, oid in sorted(folder.files.items()):
        if not name.endswith(".yaml"):
            continue
        if name == "placement.yaml":
            source = oid
            status = cache.get("placement", oid, functools.partial(_status, read, oid))
        else:
            clusters.update(cache.get("decisions", oid, functools.partial(_decisions, read, oid)))
    return HubPlacement(key[0], key[1], status, tuple(sorted(clusters)), source)


def _work(name: str, blob: str, read: Callable[[], bytes], cache: FoldCache) -> HubWork:
    labels = cache.get("hub-labels", blob, lambda: scan.labels(read()))
    owner = labels.get(MWRS_LABEL, "")
    namespace, dot, set_name = owner.partition(".")
    replica_set = (namespace, set_name) if dot and namespace and set_name else None
    return HubWork(name, blob, replica_set, labels.get(PLACEMENT_LABEL) or None)


def _status(read: Reader, blob: str) -> Mapping[str, Any]:
    return scan.as_mapping(scan.body(read(blob)).get("status"))


def _decisions(read: Reader, blob: str) -> tuple[str, ...]:
    return scan.decisions(read(blob))
