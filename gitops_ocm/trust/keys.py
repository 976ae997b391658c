"""Public keys: the OpenSSH wire blob, the ``ssh-ed25519 AAAA... comment`` line, fingerprints.

Pure. A key arrives as text from a registration request or an allowed-signers
file, so the line and the blob inside it are bounded and checked field by field.
Only ``ssh-ed25519`` keys are supported (docs/security.md); any other type is
refused with T604. The fingerprint is the one ``ssh-keygen -l -E sha256`` prints,
``SHA256:`` and the unpadded base64 of the SHA-256 of the blob.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib

from gitops_ocm.trust import failure, wire

ED25519 = "ssh-ed25519"
RAW_SIZE = 32
MAX_LINE = 2048  # an Ed25519 line is 80 characters and a comment
MAX_COMMENT = 1024


@dataclasses.dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key as its OpenSSH wire blob; the comment is not part of its identity."""

    blob: bytes
    comment: str = dataclasses.field(default="", compare=False)

    @property
    def raw(self) -> bytes:
        """Return the 32 bytes of the Ed25519 point."""
        return self.blob[-RAW_SIZE:]

    @property
    def fingerprint(self) -> str:
        """Return ``SHA256:<unpadded base64>`` exactly as ``ssh-keygen -l -E sha256`` prints it."""
        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")

    def to_line(self) -> str:
        """Return the ``ssh-ed25519 AAAA...[ comment]`` line, without a newline."""
        text = f"{ED25519} {base64.b64encode(self.blob).decode('ascii')}"
        return f"{text} {self.comment}" if self.comment else text


def from_raw(raw: bytes, comment: str = "") -> PublicKey:
    """Return the key whose Ed25519 point is ``raw`` (32 bytes)."""
    if len(raw) != RAW_SIZE:
        raise failure.TrustError(
            failure.PUBLIC_KEY, f"an Ed25519 key has 32 bytes (got {len(raw)})"
        )
    return PublicKey(wire.string(ED25519.encode("ascii")) + wire.string(raw), _comment(comment))


def from_blob(blob: bytes, comment: str = "") -> PublicKey:
    """Return the key of an OpenSSH wire blob, refusing other key types and malformed blobs."""
    reader = wire.Reader(blob, failure.PUBLIC_KEY, "the public key")
    key_type = reader.text()
    if key_type != ED25519:
        raise failure.TrustError(
            failure.UNSUPPORTED, f"only {ED25519} keys are supported (got {key_type[:40]!r})"
        )
    raw = reader.string()
    reader.end()
    return from_raw(raw, comment)


def parse_line(line: str) -> PublicKey:
    """Return the key of an ``ssh-ed25519 AAAA... [comment]`` line (as in a ``.pub`` file)."""
    text = line.strip()
    if len(text) > MAX_LINE:
        raise failure.TrustError(
            failure.PUBLIC_KEY, f"a public key line holds at most {MAX_LINE} characters"
        )
    fields = text.split(None, 2)
    if len(fields) < 2:
        raise failure.TrustError(
            failure.PUBLIC_KEY, "a public key line is 'ssh-ed25519 <base64> [comment]'"
        )
    key = from_base64(fields[1], fields[2] if len(fields) == 3 else "")
    if fields[0] != ED25519:
        raise failure.TrustError(
            failure.PUBLIC_KEY,
            f"the line names key type {fields[0][:40]!r} but holds an {ED25519} key",
        )
    return key


def from_base64(text: str, comment: str = "") -> PublicKey:
    """Return the key whose blob is the base64 ``text`` (the second field of a key line)."""
    try:
        blob = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise failure.TrustError(failure.PUBLIC_KEY, "the key is not valid base64") from exc
    return from_blob(blob, comment)


def _comment(comment: str) -> str:
    """Return ``comment`` when it fits on the key's line, else fail."""
    if len(comment) > MAX_COMMENT or not comment.isprintable():
        raise failure.TrustError(
            failure.PUBLIC_KEY, f"a key comment is printable and at most {MAX_COMMENT} characters"
        )
    return comment.strip()
