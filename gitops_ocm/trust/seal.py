"""Sealed values: a Secret's value encrypted to one X25519 key, bound to where it belongs.

Pure: no I/O, no clock, and no randomness drawn here; the caller passes the
random bytes (``gitops-ocm seal`` takes them from ``os.urandom``, the hub's
re-sealing derives them, see :func:`derived`). The format (docs/security.md,
"Sealed secrets") is ECIES: an ephemeral X25519 key agrees a secret with the
recipient's key, HKDF-SHA256 turns it into an AES-256-GCM key, and the Secret's
namespace, name and data key are the associated data, so a sealed value moved
to another Secret or key does not open. A sealed value is one ASCII string::

    v1:SHA256:<recipient fingerprint>:<ephemeral public key>:<nonce>:<ciphertext>

each part after the fingerprint standard base64. Public sealing keys are
written ``x25519 <base64 of 32 bytes> [comment]`` and named by a fingerprint
like an SSH key's, ``SHA256:`` and the unpadded base64 of the SHA-256 of the
32 bytes. Every failure is a ``TrustError`` with T661-T663.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers import aead
from cryptography.hazmat.primitives.kdf import hkdf

from gitops_ocm.trust import failure, wire

KEY_TYPE = "x25519"
VERSION = "v1"
KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
MAX_VALUE = 1024 * 1024  # a Secret holds at most 1 MiB
MAX_SEALED = 4 * MAX_VALUE // 3 + 256
INFO = b"gitops-ocm seal v1"
RESEAL_INFO = b"gitops-ocm reseal v1"

KEY = failure.SEAL_KEY
FORMAT = failure.SEAL_FORMAT
OPEN = failure.SEAL_OPEN


@dataclasses.dataclass(frozen=True)
class SealingKey:
    """A public X25519 sealing key; the comment is not part of its identity."""

    raw: bytes
    comment: str = dataclasses.field(default="", compare=False)

    def __post_init__(self) -> None:
        if len(self.raw) != KEY_SIZE:
            raise failure.TrustError(KEY, f"an X25519 key has 32 bytes (got {len(self.raw)})")

    @property
    def fingerprint(self) -> str:
        """Return ``SHA256:<unpadded base64 of the SHA-256 of the 32 bytes>``."""
        digest = hashlib.sha256(self.raw).digest()
        return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")

    def to_line(self) -> str:
        """Return ``x25519 <base64>[ comment]`` without a newline."""
        text = f"{KEY_TYPE} {base64.b64encode(self.raw).decode('ascii')}"
        return f"{text} {self.comment}" if self.comment else text


@dataclasses.dataclass(frozen=True)
class Where:
    """The place a value belongs to: the Secret's namespace and name, and the data key."""

    namespace: str
    name: str
    key: str

    def associated_data(self) -> bytes:
        """Return the bytes AES-GCM authenticates with the value (length-prefixed fields)."""
        fields = (INFO, self.namespace.encode(), self.name.encode(), self.key.encode())
        return b"".join(wire.string(f) for f in fields)


@dataclasses.dataclass(frozen=True)
class Sealed:
    """One sealed value, parsed."""

    recipient: str
    ephemeral: bytes
    nonce: bytes
    ciphertext: bytes

    def to_text(self) -> str:
        """Return the one-line form (see the module docstring)."""
        parts = (self.ephemeral, self.nonce, self.ciphertext)
        encoded = ":".join(base64.b64encode(p).decode("ascii") for p in parts)
        return f"{VERSION}:{self.recipient}:{encoded}"


def parse_line(line: str) -> SealingKey:
    """Return the key of an ``x25519 <base64> [comment]`` line (a ``sealing.pub`` file)."""
    fields = line.strip().split(None, 2)
    if len(fields) < 2 or fields[0] != KEY_TYPE or len(line) > 2048:
        raise failure.TrustError(KEY, "a sealing key line is 'x25519 <base64> [comment]'")
    comment = fields[2] if len(fields) == 3 else ""
    if not comment.isprintable():
        raise failure.TrustError(KEY, "a sealing key comment is printable")
    return SealingKey(_b64(fields[1], KEY, "the sealing key"), comment.strip())


def public_of(private: bytes) -> SealingKey:
    """Return the public key of the 32-byte X25519 private key ``private``."""
    return SealingKey(_private(private).public_key().public_bytes_raw())


def seal(
    recipient: SealingKey, value: bytes, where: Where, ephemeral: bytes, nonce: bytes
) -> Sealed:
    """Return ``value`` sealed to ``recipient`` for ``where``, with the given random bytes.

    ``ephemeral`` (32 bytes) is the ephemeral private key and ``nonce`` (12) the
    AES-GCM nonce; both must never repeat for different values.
    """
    if len(value) > MAX_VALUE:
        raise failure.TrustError(FORMAT, f"a value holds at most {MAX_VALUE} bytes")
    if len(nonce) != NONCE_SIZE:
        raise failure.TrustError(FORMAT, f"a nonce has {NONCE_SIZE} bytes (got {len(nonce)})")
    secret = _private(ephemeral)
    epk = secret.public_key().public_bytes_raw()
    try:
        shared = secret.exchange(x25519.X25519PublicKey.from_public_bytes(recipient.raw))
    except ValueError as exc:  # a low-order point: no shared secret
        raise failure.TrustError(KEY, "the sealing key is not a usable X25519 key") from exc
    cipher = aead.AESGCM(_key(shared, epk, recipient.raw))
    data = cipher.encrypt(nonce, value, where.associated_data())
    return Sealed(recipient.fingerprint, epk, nonce, data)


def open_value(private: bytes, sealed: Sealed, where: Where) -> bytes:
    """Return the value ``sealed`` holds, opened with the X25519 private key ``private``."""
    secret = _private(private)
    mine = SealingKey(secret.public_key().public_bytes_raw())
    if sealed.recipient != mine.fingerprint:
        raise failure.TrustError(
            OPEN, f"sealed to key {sealed.recipient}, not to this key ({mine.fingerprint})"
        )
    try:
        peer = x25519.X25519PublicKey.from_public_bytes(sealed.ephemeral)
        shared = secret.exchange(peer)
        cipher = aead.AESGCM(_key(shared, sealed.ephemeral, mine.raw))
        return cipher.decrypt(sealed.nonce, sealed.ciphertext, where.associated_data())
    except (ValueError, crypto_exceptions.InvalidTag) as exc:
        raise failure.TrustError(
            OPEN,
            f"the value does not open for Secret {where.namespace}/{where.name} key "
            f"{where.key!r}: it was sealed for another Secret or key, or altered",
        ) from exc


def parse(text: str) -> Sealed:
    """Return the sealed value of its one-line form, checking every part's size."""
    if not isinstance(text, str) or len(text) > MAX_SEALED:
        raise failure.TrustError(FORMAT, "a sealed value is a string of at most 1.4 MB")
    parts = text.split(":")
    if len(parts) != 6 or parts[0] != VERSION or parts[1] != "SHA256" or len(parts[2]) != 43:
        raise failure.TrustError(
            FORMAT, "a sealed value is 'v1:SHA256:<fingerprint>:<key>:<nonce>:<ciphertext>'"
        )
    ephemeral = _b64(parts[3], FORMAT, "the ephemeral key")
    nonce = _b64(parts[4], FORMAT, "the nonce")
    ciphertext = _b64(parts[5], FORMAT, "the ciphertext")
    if len(ephemeral) != KEY_SIZE or len(nonce) != NONCE_SIZE or len(ciphertext) < TAG_SIZE:
        raise failure.TrustError(FORMAT, "a sealed value's key, nonce or ciphertext has a bad size")
    return Sealed(f"SHA256:{parts[2]}", ephemeral, nonce, ciphertext)


def derived(
    secret: bytes, recipient: SealingKey, where: Where, value: bytes
) -> tuple[bytes, bytes]:
    """Return (ephemeral key, nonce) for re-sealing: HKDF of ``secret`` over all the inputs.

    The same inputs give the same sealed bytes (so the hub tree is byte-identical
    for the same commit); they differ as soon as the value, the place or the
    recipient differs, so no nonce is reused under one key for two values.
    """
    digest = hashlib.sha256()
    for part in (recipient.raw, where.associated_data(), value):
        digest.update(wire.string(part))
    out = hkdf.HKDF(hashes.SHA256(), KEY_SIZE + NONCE_SIZE, digest.digest(), RESEAL_INFO)
    stream = out.derive(secret)
    return stream[:KEY_SIZE], stream[KEY_SIZE:]


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    """Return the AES-256 key: HKDF-SHA256 of the shared secret, salted with both public keys."""
    return hkdf.HKDF(hashes.SHA256(), 32, ephemeral + recipient, INFO).derive(shared)


def _private(raw: bytes) -> x25519.X25519PrivateKey:
    if len(raw) != KEY_SIZE:
        raise failure.TrustError(KEY, f"an X25519 private key has 32 bytes (got {len(raw)})")
    return x25519.X25519PrivateKey.from_private_bytes(raw)


def _b64(text: str, code: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise failure.TrustError(code, f"{what} is not valid base64") from exc
