"""The inventory indexed for fast selection: integer bitmaps per label and per claim.

Pure. Cluster ``i`` (in name order) is bit ``i`` of a Python int
(:class:`gitops_ocm.placement.bitmap.Bitmap` where plugins see it). A label
selector over 10,000 clusters then costs a few big-integer operations instead
of 10,000 dictionary lookups, which is what keeps scheduling a whole fleet
within its target (benchmarks/placement.py; figures in benchmarks/README.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from gitops_ocm.placement import bitmap as bitmap_mod
from gitops_ocm.placement import inventory


@dataclasses.dataclass(frozen=True)
class Index:
    """Bitmaps of the clusters carrying each (key, value) pair and each key."""

    pairs: Mapping[tuple[str, str], int]
    keys: Mapping[str, int]

    def pair(self, key: str, value: str) -> int:
        """Return the clusters whose ``key`` equals ``value``."""
        return self.pairs.get((key, value), 0)

    def key(self, key: str) -> int:
        """Return the clusters that have ``key`` at all."""
        return self.keys.get(key, 0)


@dataclasses.dataclass(frozen=True)
class Resource:
    """One resource's allocatable values by position, and the positions sorted by value."""

    values: Mapping[int, float]
    ascending: tuple[int, ...]
    members: bitmap_mod.Bitmap

    def extremes(self, among: bitmap_mod.Bitmap) -> tuple[float, float] | None:
        """Return the lowest and highest value among the clusters of ``among`` (None if none)."""
        bitmap = among.bits
        if bitmap.bit_count() * 32 < len(self.ascending):
            found = [self.values[i] for i in bitmap_mod.bits(bitmap) if i in self.values]
            return (min(found), max(found)) if found else None
        low = next((i for i in self.ascending if bitmap >> i & 1), None)
        if low is None:
            return None
        high = next(i for i in reversed(self.ascending) if bitmap >> i & 1)
        return self.values[low], self.values[high]


def _resource(clusters: Sequence[inventory.ClusterInfo], name: str) -> Resource:
    values = {
        i: c.allocatable[name]
        for i, c in enumerate(clusters)
        if name in c.allocatable and name in c.capacity
    }
    members = 0
    if values:
        flags = bytearray(b"0" * len(clusters))
        for i in values:
            flags[i] = ord("1")
        members = int(flags[::-1].decode("ascii"), 2)
    ascending = tuple(sorted(values, key=lambda i: (values[i], i)))
    return Resource(values, ascending, bitmap_mod.Bitmap(members))


@dataclasses.dataclass(frozen=True)
class Fleet:
    """Clusters in name order with their label and claim indexes."""

    clusters: tuple[inventory.ClusterInfo, ...]
    position: Mapping[str, int]
    labels: Index
    claims: Index
    tainted: bitmap_mod.Bitmap
    ordered_names: tuple[str, ...] = ()
    resources: dict[str, Resource] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def resource(self, name: str) -> Resource:
        """Return the clusters reporting allocatable and capacity of ``name``, by value (cached)."""
        found = self.resources.get(name)
        if found is None:
            found = _resource(self.clusters, name)
            self.resources[name] = found
        return found

    @property
    def all(self) -> int:
        """Return the bitmap of every cluster."""
        return (1 << len(self.clusters)) - 1

    @property
    def everyone(self) -> bitmap_mod.Bitmap:
        """Return the Bitmap of every cluster."""
        return bitmap_mod.Bitmap(self.all)

    def names(self, members: bitmap_mod.Bitmap) -> list[str]:
        """Return the names of the clusters in ``members``, in name order."""
        return members.pick(self.ordered_names)

    def members(self, members: bitmap_mod.Bitmap) -> list[inventory.ClusterInfo]:
        """Return the clusters in ``members``, in name order."""
        return members.pick(self.clusters)

    def bitmap(self, names: Iterable[str]) -> bitmap_mod.Bitmap:
        """Return the Bitmap of the named clusters that exist (others are ignored)."""
        out = 0
        for name in names:
            i = self.position.get(name)
            if i is not None:
                out |= 1 << i
        return bitmap_mod.Bitmap(out)


def build(clusters: Sequence[inventory.ClusterInfo]) -> Fleet:
    """Index clusters (sorted by name here, so callers need not)."""
    ordered = tuple(sorted(clusters, key=lambda c: c.name))
    tainted = 0
    for i, cluster in enumerate(ordered):
        if cluster.taints:
            tainted |= 1 << i
    return Fleet(
        clusters=ordered,
        position={c.name: i for i, c in enumerate(ordered)},
        labels=_index([c.labels for c in ordered]),
        claims=_index([c.claims for c in ordered]),
        tainted=bitmap_mod.Bitmap(tainted),
        ordered_names=tuple(c.name for c in ordered),
    )


def replace(everyone: Fleet, cluster: inventory.ClusterInfo) -> Fleet:
    """Return the fleet with one existing cluster replaced (indexes updated, not rebuilt)."""
    i = everyone.position[cluster.name]
    old = everyone.clusters[i]
    clusters = (*everyone.clusters[:i], cluster, *everyone.clusters[i + 1 :])
    bit = 1 << i
    tainted = everyone.tainted.with_position(i, cluster.taints)
    return Fleet(
        clusters,
        everyone.position,
        _reindex(everyone.labels, old.labels, cluster.labels, bit),
        _reindex(everyone.claims, old.claims, cluster.claims, bit),
        tainted,
        everyone.ordered_names,
        _kept_resources(everyone, old, cluster),
    )


def _kept_resources(
    everyone: Fleet, old: inventory.ClusterInfo, new: inventory.ClusterInfo
) -> dict[str, Resource]:
    """Keep the per-resource caches when the replaced cluster reports the same resources."""
    if old.allocatable == new.allocatable and old.capacity == new.capacity:
        return dict(everyone.resources)
    return {}


def _reindex(index: Index, old: Mapping[str, str], new: Mapping[str, str], bit: int) -> Index:
    if old == new:
        return index
    pairs = dict(index.pairs)
    keys = dict(index.keys)
    for key, value in old.items():
        pairs[(key, value)] &= ~bit
        keys[key] &= ~bit
    for key, value in new.items():
        pairs[(key, value)] = pairs.get((key, value), 0) | bit
        keys[key] = keys.get(key, 0) | bit
    return Index(pairs, keys)


def _index(maps: Sequence[Mapping[str, str]]) -> Index:
    pairs: dict[tuple[str, str], int] = {}
    keys: dict[str, int] = {}
    for i, labels in enumerate(maps):
        bit = 1 << i
        for key, value in labels.items():
            pairs[(key, value)] = pairs.get((key, value), 0) | bit
            keys[key] = keys.get(key, 0) | bit
    return Index(pairs, keys)


# The int helpers live with the Bitmap type; these names are kept for callers of the int form.
flags = bitmap_mod.flags
pick = bitmap_mod.pick
bits = bitmap_mod.bits
positions = bitmap_mod.positions
first = bitmap_mod.first
