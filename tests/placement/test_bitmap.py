"""The Bitmap type: a set of fleet positions with set operations over one int."""

from __future__ import annotations

import fleetkit as fk
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_ocm.placement import bitmap, fleet

B = bitmap.Bitmap.of

CASES = [
    ("and", B([1, 2, 5]) & B([2, 5, 9]), [2, 5]),
    ("or", B([1]) | B([0, 70]), [0, 1, 70]),
    ("minus", B([1, 2, 5]) - B([2, 9]), [1, 5]),
    ("complement", B([0, 2]).complement(4), [1, 3]),
    ("complement-ignores-beyond-size", B([0, 9]).complement(3), [1, 2]),
    ("add-position", B([1]).with_position(3, True), [1, 3]),
    ("remove-position", B([1, 3]).with_position(3, False), [1]),
    ("remove-absent", B([1]).with_position(7, False), [1]),
    ("empty", bitmap.EMPTY, []),
    ("of-duplicates", B([4, 4, 0]), [0, 4]),
]


@pytest.mark.parametrize(("result", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operations(result, expected):
    """Each operation gives the expected member positions."""
    assert result.positions() == expected
    assert list(result) == expected
    assert len(result) == len(expected)
    assert bool(result) == bool(expected)


def test_membership_equality_and_hash():
    """Membership is by position; equal members mean equal bitmaps (usable as keys)."""
    value = B([0, 3])
    assert 3 in value
    assert 1 not in value
    assert -1 not in value
    assert "3" not in value
    assert value == bitmap.Bitmap(0b1001)
    assert value != 0b1001
    assert {value: 1}[bitmap.Bitmap(9)] == 1
    assert value.bits == 9
    assert repr(value) == "Bitmap.of([0, 3])"


def test_first_and_pick():
    """``first`` gives the lowest positions; ``pick`` the items at the members, in order."""
    dense = B(range(0, 300, 3))
    assert dense.first(2) == [0, 3]
    assert dense.first(30) == list(range(0, 90, 3))
    assert B([2]).first(5) == [2]
    assert B([2, 0]).pick("abc") == ["a", "c"]
    assert dense.pick(range(300)) == list(range(0, 300, 3))


def test_immutable():
    """A Bitmap refuses to have its int set, replaced or deleted, or any other attribute."""
    value = B([1])
    with pytest.raises(AttributeError, match="immutable"):
        value.bits = 3
    with pytest.raises(AttributeError, match="immutable"):
        del value.bits
    with pytest.raises(AttributeError):
        value.other = 3
    assert value.bits == 2


def test_names_through_the_fleet():
    """A fleet turns names into a Bitmap (unknown ones ignored) and back, in name order."""
    everyone = fleet.build([fk.cluster(n) for n in ("c", "a", "b")])
    chosen = everyone.bitmap(["c", "a", "nope"])
    assert chosen == B([0, 2])
    assert everyone.names(chosen) == ["a", "c"]
    assert [c.name for c in everyone.members(chosen)] == ["a", "c"]
    assert everyone.everyone == B([0, 1, 2])
    assert everyone.names(chosen.complement(len(everyone.clusters))) == ["b"]


sets_of_positions = st.sets(st.integers(0, 200), max_size=60)


@given(sets_of_positions, sets_of_positions)
def test_operations_match_python_sets(left, right):
    """&, |, -, complement, len and iteration agree with Python's sets."""
    a, b = B(left), B(right)
    assert list(a & b) == sorted(left & right)
    assert list(a | b) == sorted(left | right)
    assert list(a - b) == sorted(left - right)
    assert list(a.complement(201)) == sorted(set(range(201)) - left)
    assert len(a) == len(left)
    assert all(i in a for i in left)
