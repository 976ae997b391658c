"""Packs we write (pack and index) are exactly what Git would write, and Git accepts them."""

from __future__ import annotations

import random
import struct
import subprocess
from pathlib import Path

import pygit2
import pytest
from gitkit import fsck, new_bare, raw

from gitops_ocm.gitstore import objects, pack


def _blobs(rng: random.Random, count: int) -> list[tuple[int, bytes, bytes]]:
    out: dict[bytes, bytes] = {}
    while len(out) < count:
        size = rng.choice([0, 1, 10, 200, 0xFFFF, 0x10000, 70_000])
        data = bytes(rng.getrandbits(8) for _ in range(min(size, 64))) * (size // 64 + 1)
        data = data[:size]
        out[objects.object_id("blob", data)] = data
    return [(pack.BLOB, data, oid) for oid, data in out.items()]


@pytest.mark.parametrize("seed", [1, 2])
def test_our_index_is_the_one_git_writes(tmp_path: Path, seed: int) -> None:
    """``git index-pack`` of our pack gives our index byte for byte; every object reads back."""
    rng = random.Random(seed)
    items = _blobs(rng, 60)
    tree = objects.tree_payload(
        {f"f{i}": objects.Leaf(0o100644, oid) for i, (_k, _d, oid) in enumerate(items)}
    )
    items.append((pack.TREE, tree, objects.object_id("tree", tree)))
    bare = raw(new_bare(tmp_path))
    name = pack.write(bare.path, items)
    folder = Path(bare.path) / "objects" / "pack"
    theirs = tmp_path / "theirs.idx"
    subprocess.run(
        ["git", "index-pack", "-o", str(theirs), str(folder / f"{name}.pack")],
        check=True,
        capture_output=True,
    )
    assert (folder / f"{name}.idx").read_bytes() == theirs.read_bytes()
    subprocess.run(["git", "verify-pack", str(folder / f"{name}.idx")], check=True)
    for kind, data, oid in items:
        obj = bare[pygit2.Oid(raw=oid)]
        expected = (
            pygit2.enums.ObjectType.TREE if kind == pack.TREE else pygit2.enums.ObjectType.BLOB
        )
        assert obj.type == expected
        assert obj.read_raw() == data
    fsck(bare.path)


def test_offsets_past_two_gigabytes_use_the_large_table() -> None:
    """Offsets of 2^31 and more go to the 64-bit table, as the format requires."""
    entries = [(bytes([1]) + b"\0" * 19, 7, 12), (bytes([2]) + b"\0" * 19, 8, 1 << 33)]
    data = pack.index(entries, b"\xaa" * 20)
    base = 8 + 256 * 4 + 2 * 20 + 2 * 4
    assert struct.unpack(">2I", data[base : base + 8]) == (12, 0x80000000)
    assert struct.unpack(">Q", data[base + 8 : base + 16]) == (1 << 33,)
    assert data[base + 16 : base + 36] == b"\xaa" * 20
    assert len(data) == base + 16 + 40
