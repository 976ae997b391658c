"""Writing many new objects at once as one packfile instead of loose files.

Mixed: :func:`encode` and :func:`index` are pure; :func:`write` puts a pack and its index into a
repository (I/O). pygit2 exposes neither a pack writer nor libgit2's indexer,
and libgit2 writes each new object as its own zlib-compressed file: 100,000
loose files cost seconds and tens of megabytes, where one pack costs a
fraction of that. The writer uses this path when a publish brings many new
objects or many bytes (a cold start, a placement's pages shifting, large status
files), and loose writes otherwise.

The caller knows every object's id (it hashed them to build its trees), so the
version-2 index is written here too, rather than by ``git index-pack``, which
would hash and inflate the whole pack again in a subprocess, a sizeable part
of a cold start (figures: benchmarks/README.md). ``tests/gitstore/test_pack.py``
checks that both indexes are byte-for-byte the same and that ``git fsck``
accepts the result.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import zlib
from collections.abc import Iterable, Sequence

from gitops_ocm import errors

TREE = 2
BLOB = 3
_BLOCK = 0xFFFF


def _header(kind: int, size: int) -> bytes:
    """Encode a pack entry header: type and size in Git's varint layout."""
    out = bytearray()
    byte = (kind << 4) | (size & 0x0F)
    size >>= 4
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


_DEFLATE_FROM = 32 << 10


def _deflated(payload: bytes) -> bytes:
    """Return ``payload`` as a zlib stream: compressed (fast level) when large, else stored."""
    if len(payload) >= _DEFLATE_FROM:  # large status files compress well even so
        return zlib.compress(payload, 1)
    return _stored(payload)


def _stored(payload: bytes) -> bytes:
    """Wrap ``payload`` in a zlib stream of stored (uncompressed) blocks.

    ``zlib.compress`` pays a set-up cost on every call, which dominates for
    100,000 small objects; stored blocks cost almost nothing. ``git gc``
    compresses later.
    """
    out = [b"\x78\x01"]
    for start in range(0, max(len(payload), 1), _BLOCK):
        chunk = payload[start : start + _BLOCK]
        final = start + _BLOCK >= len(payload)
        out.append(struct.pack("<BHH", int(final), len(chunk), len(chunk) ^ 0xFFFF))
        out.append(chunk)
    out.append(struct.pack(">I", zlib.adler32(payload)))
    return b"".join(out)


def encode(
    objects: Iterable[tuple[int, bytes, bytes]],
) -> tuple[bytes, list[tuple[bytes, int, int]]]:
    """Return a version-2 packfile of (kind, payload, id), without deltas.

    Also returns its entries as (id, CRC-32 of the entry, offset), for :func:`index`.
    """
    body = bytearray(b"PACK" + struct.pack(">II", 2, 0))
    entries: list[tuple[bytes, int, int]] = []
    for kind, payload, oid in objects:
        entry = _header(kind, len(payload)) + _deflated(payload)
        entries.append((oid, zlib.crc32(entry), len(body)))
        body += entry
    struct.pack_into(">I", body, 8, len(entries))
    body += hashlib.sha1(body, usedforsecurity=False).digest()
    return bytes(body), entries


def index(entries: Sequence[tuple[bytes, int, int]], pack_checksum: bytes) -> bytes:
    """Return the version-2 ``.idx`` of a pack whose entries are (id, CRC-32, offset)."""
    ordered = sorted(entries)
    fanout = [0] * 256
    for oid, _crc, _offset in ordered:
        fanout[oid[0]] += 1
    total = 0
    for byte in range(256):
        total += fanout[byte]
        fanout[byte] = total
    small: list[int] = []
    large: list[int] = []
    for _oid, _crc, offset in ordered:
        if offset < 0x80000000:
            small.append(offset)
        else:
            small.append(0x80000000 | len(large))
            large.append(offset)
    out = bytearray(b"\xfftOc" + struct.pack(">I", 2))
    out += struct.pack(">256I", *fanout)
    out += b"".join(oid for oid, _crc, _offset in ordered)
    out += struct.pack(f">{len(ordered)}I", *(crc for _oid, crc, _offset in ordered))
    out += struct.pack(f">{len(small)}I", *small)
    out += struct.pack(f">{len(large)}Q", *large)
    out += pack_checksum
    out += hashlib.sha1(out, usedforsecurity=False).digest()
    return bytes(out)


def write(git_dir: str, objects: Iterable[tuple[int, bytes, bytes]]) -> str:
    """Store (kind, payload, raw id) objects as one new pack of the repository at ``git_dir``.

    Ids must be distinct and must be the objects' real ids. The pack is renamed
    into place before its index, so a reader (or a crash) never sees an index
    without its pack. Returns the pack's name.
    """
    data, entries = encode(objects)
    checksum = data[-20:]
    name = f"pack-{checksum.hex()}"
    folder = os.path.join(git_dir, "objects", "pack")
    try:
        os.makedirs(folder, exist_ok=True)
        _put(folder, f"{name}.pack", data)
        _put(folder, f"{name}.idx", index(entries, checksum))
    except OSError as exc:
        raise errors.Transient(f"cannot write a pack: {exc.strerror or exc}") from exc
    return name


def _put(folder: str, name: str, data: bytes) -> None:
    """Write a read-only file into ``folder`` under ``name`` at once (rename from a temp file)."""
    handle, temp = tempfile.mkstemp(prefix="tmp_", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o444)
        os.replace(temp, os.path.join(folder, name))
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
