"""OpenSSH's wire encoding (RFC 4251 §5): uint32 and length-prefixed strings.

Pure. The reader checks every length against what is left, so a hostile length
field can never make it read past the end or allocate more than the input.
"""

from __future__ import annotations

import struct

from gitops_ocm.trust import failure


def string(data: bytes) -> bytes:
    """Return ``data`` as an SSH string: its length as a big-endian uint32, then the bytes."""
    return struct.pack(">I", len(data)) + data


class Reader:
    """Reads uint32s and strings from a buffer; a short or overlong field raises ``TrustError``."""

    def __init__(self, data: bytes, code: str, what: str) -> None:
        self._data = data
        self._at = 0
        self._code = code
        self._what = what

    def raw(self, size: int) -> bytes:
        """Return the next ``size`` bytes, or fail when fewer are left."""
        if size > len(self._data) - self._at:
            raise failure.TrustError(self._code, f"{self._what} is truncated")
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def uint32(self) -> int:
        """Return the next big-endian uint32."""
        value: int = struct.unpack(">I", self.raw(4))[0]
        return value

    def string(self) -> bytes:
        """Return the next length-prefixed string."""
        return self.raw(self.uint32())

    def text(self) -> str:
        """Return the next string, which must be printable ASCII."""
        data = self.string()
        if any(not 0x20 < byte < 0x7F for byte in data):
            raise failure.TrustError(self._code, f"{self._what} holds a name that is not ASCII")
        return data.decode("ascii")

    def end(self) -> None:
        """Fail when bytes are left over after the last field."""
        if self._at != len(self._data):
            raise failure.TrustError(self._code, f"{self._what} has trailing bytes")
