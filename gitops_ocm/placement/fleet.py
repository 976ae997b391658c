"""The inventory indexed for fast selection: integer bitmaps per label and per claim.

Pure. Cluster ``i`` (in name order) is bit ``i`` of a Python int. A label
selector over 10,000 clusters then costs a few big-integer operations instead
of 10,000 dictionary lookups, which is what keeps scheduling a whole fleet
within its target (benchmarks/placement.py; figures in benchmarks/README.md).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from gitops_ocm.placement import inventory

_T = TypeVar("_T")


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
    members: int

    def extremes(self, bitmap: int) -> tuple[float, float] | None:
        """Return the lowest and highest value among the clusters of ``bitmap`` (None if none)."""
        if bitmap.bit_count() * 32 < len(self.ascending):
            found = [self.values[i] for i in bits(bitmap) if i in self.values]
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
    return Resource(values, tuple(sorted(values, key=lambda i: (values[i], i))), members)


@dataclasses.dataclass(frozen=True)
class Fleet:
    """Clusters in name order with their label and claim indexes."""

    clusters: tuple[inventory.ClusterInfo, ...]
    position: Mapping[str, int]
    labels: Index
    claims: Index
    tainted: int
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

    def names(self, bitmap: int) -> list[str]:
        """Return the names of the clusters in ``bitmap``, in name order."""
        return pick(self.ordered_names, bitmap)

    def members(self, bitmap: int) -> list[inventory.ClusterInfo]:
        """Return the clusters in ``bitmap``, in name order."""
        return pick(self.clusters, bitmap)

    def bitmap(self, names: Iterator[str] | Sequence[str] | frozenset[str]) -> int:
        """Return the bitmap of the named clusters that exist (others are ignored)."""
        out = 0
        for name in names:
            i = self.position.get(name)
            if i is not None:
                out |= 1 << i
        return out


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
        tainted=tainted,
        ordered_names=tuple(c.name for c in ordered),
    )


def replace(everyone: Fleet, cluster: inventory.ClusterInfo) -> Fleet:
    """Return the fleet with one existing cluster replaced (indexes updated, not rebuilt)."""
    i = everyone.position[cluster.name]
    old = everyone.clusters[i]
    clusters = (*everyone.clusters[:i], cluster, *everyone.clusters[i + 1 :])
    bit = 1 << i
    tainted = (everyone.tainted & ~bit) | (bit if cluster.taints else 0)
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


_FLAGS = bytes.maketrans(b"01", b"\0\1")
_SPARSE = 24


def flags(bitmap: int) -> bytes:
    """Return one byte per position up to the highest set bit: 1 when set, else 0."""
    return bin(bitmap)[:1:-1].encode("ascii").translate(_FLAGS)


_SET = re.compile(b"\x01")


def pick(items: Sequence[_T], bitmap: int) -> list[_T]:
    """Return the items at the set positions of ``bitmap``, in position order (in C).

    A few bits are walked; up to one in eight are found by a regex over the
    flags (the common case: a placement's few hundred feasible clusters of
    10,000, where the regex beats compressing); denser bitmaps are compressed.
    """
    if not bitmap:
        return []
    count = bitmap.bit_count()
    if count < _SPARSE:
        return [items[i] for i in _low_bits(bitmap)]
    if count * 8 < bitmap.bit_length():
        return [items[m.start()] for m in _SET.finditer(flags(bitmap))]
    return list(itertools.compress(items, flags(bitmap)))


def bits(bitmap: int) -> Iterator[int]:
    """Yield the positions of the set bits of ``bitmap``, lowest first."""
    if bitmap.bit_count() < _SPARSE:
        return _low_bits(bitmap)
    return iter(positions(bitmap))


def _low_bits(bitmap: int) -> Iterator[int]:
    while bitmap:
        low = bitmap & -bitmap
        yield low.bit_length() - 1
        bitmap ^= low


def positions(bitmap: int) -> list[int]:
    """Return the positions of the set bits of ``bitmap``, lowest first."""
    return pick(range(bitmap.bit_length()), bitmap)


def first(bitmap: int, count: int) -> list[int]:
    """Return the ``count`` lowest set positions of ``bitmap`` (all when it has fewer)."""
    if count < _SPARSE:
        return list(itertools.islice(_low_bits(bitmap), count))
    return positions(bitmap)[:count]
