"""A set of fleet positions held in one Python int: the scheduler's fast path.

Pure. Cluster ``i`` of a fleet (in name order) is bit ``i``. A label selector
over 10,000 clusters then costs a few big-integer operations instead of 10,000
dictionary lookups (benchmarks/placement.py). :class:`Bitmap` wraps the int so
that plugin signatures and results say what they carry; it is immutable, has
``__slots__`` and every operation is one int operation underneath. The
module-level functions work on the bare int, for the indexes in
:mod:`gitops_ocm.placement.fleet` and for code that walks positions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

_T = TypeVar("_T")
_FLAGS = bytes.maketrans(b"01", b"\0\1")
_SPARSE = 24
_SET = re.compile(b"\x01")


class Bitmap:
    """An immutable set of fleet positions (bit ``i`` set: cluster ``i`` is a member).

    ``bits`` is the int underneath. Instances refuse attribute assignment; the
    constructor sets the slot through its descriptor, which is also faster than
    a property would be to read.
    """

    __slots__ = ("bits",)
    bits: int

    def __init__(self, bits: int = 0) -> None:
        """Wrap ``bits`` (a non-negative int)."""
        _set_bits(self, bits)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Bitmap is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Bitmap is immutable (cannot delete {name!r})")

    @classmethod
    def of(cls, positions: Iterable[int]) -> Bitmap:
        """Return the bitmap of ``positions``."""
        out = 0
        for i in positions:
            out |= 1 << i
        return cls(out)

    def __and__(self, other: Bitmap) -> Bitmap:
        return Bitmap(self.bits & other.bits)

    def __or__(self, other: Bitmap) -> Bitmap:
        return Bitmap(self.bits | other.bits)

    def __sub__(self, other: Bitmap) -> Bitmap:
        return Bitmap(self.bits & ~other.bits)

    def complement(self, size: int) -> Bitmap:
        """Return the positions below ``size`` that are not members (``~`` within a fleet)."""
        return Bitmap(((1 << size) - 1) & ~self.bits)

    def with_position(self, position: int, member: object) -> Bitmap:
        """Return this bitmap with ``position`` added (``member`` true) or removed."""
        bit = 1 << position
        return Bitmap(self.bits | bit if member else self.bits & ~bit)

    def __len__(self) -> int:
        return self.bits.bit_count()

    def __bool__(self) -> bool:
        return self.bits != 0

    def __contains__(self, position: object) -> bool:
        return isinstance(position, int) and position >= 0 and bool(self.bits >> position & 1)

    def __iter__(self) -> Iterator[int]:
        return bits(self.bits)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bitmap) and self.bits == other.bits

    def __hash__(self) -> int:
        return hash(self.bits)

    def __repr__(self) -> str:
        return f"Bitmap.of({positions(self.bits)})"

    def positions(self) -> list[int]:
        """Return the member positions, lowest first."""
        return positions(self.bits)

    def first(self, count: int) -> list[int]:
        """Return the ``count`` lowest member positions (all when there are fewer)."""
        return first(self.bits, count)

    def pick(self, items: Sequence[_T]) -> list[_T]:
        """Return the items at the member positions, in position order."""
        return pick(items, self.bits)


# The slot's own setter: what ``Bitmap.__init__`` uses, since instances refuse assignment.
_set_bits: Callable[[Bitmap, int], None] = Bitmap.__dict__["bits"].__set__


EMPTY = Bitmap()


def flags(bitmap: int) -> bytes:
    """Return one byte per position up to the highest set bit: 1 when set, else 0."""
    return bin(bitmap)[:1:-1].encode("ascii").translate(_FLAGS)


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
