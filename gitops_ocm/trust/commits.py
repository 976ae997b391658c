"""What Git signs in a commit: the ``gpgsig`` header and the payload around it.

Pure. A signed commit object (as ``git cat-file commit`` prints it) is the
unsigned commit with one more header, ``gpgsig``, whose value is the armored
signature, its second and later lines indented by one space. The signature is
over the payload: the commit with that header removed. ``split`` takes a commit
apart into (signature, payload) as ``git verify-commit`` does; ``insert`` is the
reverse and puts the header after the last header, where git and libgit2 put it.
libgit2's ``create_commit_with_signature`` writes the same bytes as ``insert`` when
given the signature without its final newline; with it, libgit2 adds a last
continuation line holding one space, which ``split`` (like git) reads as an empty
last line of the signature, harmless to verification.

Strict, because commits are untrusted: a commit over ``MAX_BYTES``, two ``gpgsig``
headers (git would concatenate them), a ``gpgsig-sha256`` header (the signature
of a SHA-256 repository, or a second signature; our repositories are SHA-1), any
other header starting with ``gpgsig``, or a signature that is not ASCII is
refused with T611 rather than interpreted.
Lines end at ``\n`` only (a carriage return is part of a line, as for git); headers
end at the first empty line; a ``gpgsig`` line in the message is message text.
"""

from __future__ import annotations

import dataclasses

from gitops_ocm.trust import failure

HEADER = b"gpgsig"
MAX_BYTES = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Parts:
    """A commit taken apart: the armored signature (None when unsigned) and the signed payload."""

    signature: str | None
    payload: bytes


def split(raw: bytes) -> Parts:
    """Return the signature and the payload of a raw commit object."""
    _check_size(raw)
    header_end = _header_end(raw)
    payload: list[bytes] = []
    signature: list[bytes] = []
    signed = in_signature = False
    for line in _lines(raw[:header_end]):
        if in_signature and line.startswith(b" "):
            signature.append(line[1:])
            continue
        name = line.split(b" ", 1)[0].rstrip(b"\n")
        in_signature = name.startswith(HEADER)
        if in_signature:
            _check_header(name, line, signed)
            signature.append(line[len(HEADER) + 1 :])
            signed = True
        else:
            payload.append(line)
    return Parts(_text(signature) if signed else None, b"".join(payload) + raw[header_end:])


def insert(unsigned: bytes, armored: str) -> bytes:
    """Return ``unsigned`` with ``armored`` as its ``gpgsig`` header (the reverse of ``split``)."""
    if split(unsigned).signature is not None:
        raise failure.TrustError(failure.COMMIT, "the commit is signed already")
    lines = armored.rstrip("\n").split("\n")
    if not armored.isascii() or any(not line or "\r" in line for line in lines):
        raise failure.TrustError(failure.COMMIT, "a signature header holds ASCII lines, none empty")
    header_end = _header_end(unsigned)
    field = b"gpgsig " + b"\n ".join(line.encode("ascii") for line in lines) + b"\n"
    return unsigned[:header_end] + field + unsigned[header_end:]


def _check_size(raw: bytes) -> None:
    """Refuse a commit object over the bound."""
    if len(raw) > MAX_BYTES:
        raise failure.TrustError(failure.COMMIT, f"a commit holds at most {MAX_BYTES} bytes")


def _header_end(raw: bytes) -> int:
    """Return the offset just after the headers' last newline (the empty line starts there)."""
    if not raw.startswith(b"tree "):
        raise failure.TrustError(failure.COMMIT, "a commit object starts with its tree header")
    at = raw.find(b"\n\n")
    if at < 0:
        raise failure.TrustError(
            failure.COMMIT, "a commit object has an empty line after its headers"
        )
    return at + 1


def _lines(headers: bytes) -> list[bytes]:
    """Return the header lines with their newlines; only ``\n`` ends a line, as for git."""
    return [line + b"\n" for line in headers[:-1].split(b"\n")]


def _check_header(name: bytes, line: bytes, signed: bool) -> None:
    """Refuse a second signature header and every signature header but ``gpgsig <value>``."""
    if name != HEADER or not line.startswith(HEADER + b" "):
        shown = name[:40].decode("ascii", "replace")
        raise failure.TrustError(
            failure.COMMIT, f"the commit carries a {shown!r} header, which is not supported"
        )
    if signed:
        raise failure.TrustError(failure.COMMIT, "the commit carries two gpgsig headers")


def _text(signature: list[bytes]) -> str:
    """Return the collected signature as text; it must be ASCII."""
    data = b"".join(signature)
    if not data.isascii():
        raise failure.TrustError(failure.COMMIT, "the commit's signature is not ASCII")
    return data.decode("ascii")
