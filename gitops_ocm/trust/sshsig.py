"""SSH signatures (OpenSSH's SSHSIG format): what ``ssh-keygen -Y sign`` writes and git verifies.

Pure: no I/O, no clock. ``sign`` and ``verify`` are the two halves of
``ssh-keygen -Y sign`` / ``-Y verify`` for Ed25519 keys; ``Signer`` holds a private
key (``keyfile`` loads it) and signs. The format (PROTOCOL.sshsig in OpenSSH):

    armored:  "-----BEGIN SSH SIGNATURE-----", base64 in 70-column lines,
              "-----END SSH SIGNATURE-----", each line ending in a newline
    blob:     "SSHSIG" uint32(1) string(public key) string(namespace) string(reserved)
              string(hash algorithm) string(signature)
    signed:   "SSHSIG" string(namespace) string(reserved) string(hash algorithm) string(H(message))

Signatures are untrusted input: the armored text is bounded (``MAX_ARMORED``),
every length field is checked, and anything wrong raises ``failure.TrustError``
with a code saying why, never another exception. Only ``ssh-ed25519`` keys are
supported; ``sign`` hashes with SHA-512 as ssh-keygen does, ``verify`` accepts
SHA-512 and SHA-256 as ssh-keygen does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives.asymmetric import ed25519

from gitops_ocm.trust import failure, keys, wire

MAGIC = b"SSHSIG"
VERSION = 1
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
LINE = 70
MAX_ARMORED = 16 * 1024
NAMESPACE = "git"
HASHES = {"sha512": hashlib.sha512, "sha256": hashlib.sha256}
SIGN_HASH = "sha512"


class Signer:
    """An Ed25519 private key that signs; its public half and fingerprint are at hand."""

    def __init__(self, private_key: ed25519.Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = keys.from_raw(private_key.public_key().public_bytes_raw())
        self.fingerprint = self.public_key.fingerprint

    def sign(self, data: bytes, namespace: str = NAMESPACE) -> str:
        """Return the armored signature of ``data`` under ``namespace``."""
        return sign(self._private_key, data, namespace)


def sign(private_key: ed25519.Ed25519PrivateKey, data: bytes, namespace: str = NAMESPACE) -> str:
    """Return the armored SSHSIG signature of ``data``, byte for byte as ssh-keygen writes it."""
    space = _namespace(namespace)
    public_key = keys.from_raw(private_key.public_key().public_bytes_raw())
    digest = HASHES[SIGN_HASH](data).digest()
    signature = private_key.sign(_signed_data(space, b"", SIGN_HASH, digest))
    blob = b"".join(
        [
            MAGIC,
            VERSION.to_bytes(4, "big"),
            wire.string(public_key.blob),
            wire.string(space),
            wire.string(b""),
            wire.string(SIGN_HASH.encode("ascii")),
            wire.string(wire.string(keys.ED25519.encode("ascii")) + wire.string(signature)),
        ]
    )
    return armor(blob)


def verify(armored: str | bytes, data: bytes, namespace: str = NAMESPACE) -> keys.PublicKey:
    """Return the key that signed ``data`` in ``namespace``; a ``TrustError`` says why not."""
    reader = wire.Reader(dearmor(armored), failure.ARMOR, "the signature")
    if reader.raw(len(MAGIC)) != MAGIC:
        raise failure.TrustError(failure.FORMAT, "not an SSH signature (no SSHSIG preamble)")
    version = reader.uint32()
    if version != VERSION:
        raise failure.TrustError(
            failure.FORMAT, f"SSH signature version {VERSION} expected (got {version})"
        )
    public_key = keys.from_blob(reader.string())
    space, reserved, hash_name = reader.string(), reader.string(), reader.text()
    signature = reader.string()
    reader.end()
    if space != _namespace(namespace):
        raise failure.TrustError(
            failure.NAMESPACE,
            f"signed for namespace {space.decode('utf-8', 'replace')[:40]!r}, not {namespace!r}",
        )
    if hash_name not in HASHES:
        raise failure.TrustError(
            failure.UNSUPPORTED, f"hash algorithm {hash_name[:40]!r} is not supported"
        )
    digest = HASHES[hash_name](data).digest()
    _check(public_key, _raw_signature(signature), _signed_data(space, reserved, hash_name, digest))
    return public_key


def armor(blob: bytes) -> str:
    """Return ``blob`` in the armored form: markers around base64 in 70-column lines."""
    text = base64.b64encode(blob).decode("ascii")
    lines = [text[at : at + LINE] for at in range(0, len(text), LINE)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def dearmor(armored: str | bytes) -> bytes:
    """Return the blob inside an armored signature; malformed armor raises T601."""
    if len(armored) > MAX_ARMORED:
        raise failure.TrustError(
            failure.ARMOR, f"an armored signature holds at most {MAX_ARMORED} bytes"
        )
    try:
        text = armored.decode("ascii") if isinstance(armored, bytes) else armored
        text.encode("ascii")
    except UnicodeError as exc:
        raise failure.TrustError(failure.ARMOR, "an armored signature is ASCII") from exc
    lines = text.strip().splitlines()
    if len(lines) < 3 or lines[0].strip() != BEGIN or lines[-1].strip() != END:
        raise failure.TrustError(
            failure.ARMOR, f"an armored signature lies between {BEGIN} and {END}"
        )
    try:
        return base64.b64decode("".join(line.strip() for line in lines[1:-1]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise failure.TrustError(
            failure.ARMOR, "the armored signature is not valid base64"
        ) from exc


def _namespace(namespace: str) -> bytes:
    """Return the namespace as bytes; an empty one is refused as ssh-keygen does."""
    if not namespace:
        raise failure.TrustError(failure.NAMESPACE, "a signature namespace may not be empty")
    return namespace.encode("utf-8")


def _signed_data(namespace: bytes, reserved: bytes, hash_name: bytes | str, digest: bytes) -> bytes:
    """Return what the key signs: the preamble, namespace, reserved, hash name and digest."""
    name = hash_name.encode("ascii") if isinstance(hash_name, str) else hash_name
    parts = [namespace, reserved, name, digest]
    return MAGIC + b"".join(wire.string(part) for part in parts)


def _raw_signature(signature: bytes) -> bytes:
    """Return the 64 Ed25519 bytes inside the SSH signature field."""
    reader = wire.Reader(signature, failure.ARMOR, "the signature field")
    algorithm = reader.text()
    if algorithm != keys.ED25519:
        raise failure.TrustError(
            failure.UNSUPPORTED, f"signature algorithm {algorithm[:40]!r} is not supported"
        )
    raw = reader.string()
    reader.end()
    return raw


def _check(public_key: keys.PublicKey, signature: bytes, signed: bytes) -> None:
    """Raise T605 unless ``signature`` is ``public_key``'s over ``signed``."""
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(public_key.raw).verify(signature, signed)
    except (crypto_exceptions.InvalidSignature, ValueError) as exc:
        raise failure.TrustError(failure.BAD_SIGNATURE, "the signature does not verify") from exc
