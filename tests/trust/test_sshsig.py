"""SSHSIG signatures: round trips, every refusal with its code, and hostile bytes."""

from __future__ import annotations

import base64

import pytest
import trustkit
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.trust import failure, sshsig, wire

DATA = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmessage\n"


def _blob(**fields: bytes) -> bytes:
    """The blob of a fresh signature of DATA with some fields replaced."""
    parts = _fields(sshsig.dearmor(sshsig.sign(trustkit.private(), DATA)))
    parts.update(fields)
    return b"".join(
        [parts["magic"], parts["version"]]
        + [wire.string(parts[name]) for name in ("key", "namespace", "reserved", "hash", "sig")]
    )


def _fields(blob: bytes) -> dict[str, bytes]:
    """The fields of a signature blob, by name."""
    reader = wire.Reader(blob, failure.ARMOR, "test")
    fields = {"magic": reader.raw(6), "version": reader.raw(4)}
    for name in ("key", "namespace", "reserved", "hash", "sig"):
        fields[name] = reader.string()
    return fields


def test_round_trip_returns_the_signing_key() -> None:
    """A signature verifies over the signed bytes and names the key that made it."""
    armored = sshsig.sign(trustkit.private(), DATA)
    assert sshsig.verify(armored, DATA) == trustkit.public()
    assert sshsig.verify(armored.encode("ascii"), DATA) == trustkit.public()


def test_armor_is_ssh_keygen_shaped() -> None:
    """The armor is the two markers around 70-column base64 lines, ending in a newline."""
    lines = sshsig.sign(trustkit.private(), DATA).split("\n")
    assert lines[0] == sshsig.BEGIN and lines[-2:] == [sshsig.END, ""]
    assert all(len(line) == 70 for line in lines[1:-3]) and 0 < len(lines[-3]) <= 70


def test_signer_signs_with_its_key_and_namespace() -> None:
    """A Signer's signature verifies under its namespace to its own public key."""
    signer = sshsig.Signer(trustkit.private())
    armored = signer.sign(DATA, namespace="file")
    assert sshsig.verify(armored, DATA, namespace="file") == signer.public_key
    assert signer.fingerprint == signer.public_key.fingerprint


def test_sha256_signatures_verify() -> None:
    """A signature made over a SHA-256 digest (ssh-keygen accepts it) verifies too."""
    import hashlib

    signed = sshsig.MAGIC + b"".join(
        wire.string(part) for part in (b"git", b"", b"sha256", hashlib.sha256(DATA).digest())
    )
    raw = trustkit.private().sign(signed)
    sig = wire.string(b"ssh-ed25519") + wire.string(raw)
    assert sshsig.verify(sshsig.armor(_blob(hash=b"sha256", sig=sig)), DATA) == trustkit.public()


@pytest.mark.parametrize(
    ("armored", "code"),
    [
        pytest.param("", failure.ARMOR, id="empty"),
        pytest.param("-----BEGIN SSH SIGNATURE-----\nAAAA\n", failure.ARMOR, id="no-end"),
        pytest.param(
            "-----BEGIN SSH SIGNATURE-----\n!!!!\n-----END SSH SIGNATURE-----\n",
            failure.ARMOR,
            id="not-base64",
        ),
        pytest.param(
            "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\né",
            failure.ARMOR,
            id="not-ascii",
        ),
        pytest.param("x" * (sshsig.MAX_ARMORED + 1), failure.ARMOR, id="too-large"),
        pytest.param(sshsig.armor(b"SSHSIG\x00\x00"), failure.ARMOR, id="truncated"),
        pytest.param(
            sshsig.armor(b"SSHSIG\x00\x00\x00\x01\xff\xff\xff\xff"), failure.ARMOR, id="huge-length"
        ),
        pytest.param(sshsig.armor(_blob(magic=b"SSHSIH")), failure.FORMAT, id="magic"),
        pytest.param(
            sshsig.armor(_blob(version=b"\x00\x00\x00\x02")), failure.FORMAT, id="version"
        ),
        pytest.param(sshsig.armor(_blob(namespace=b"file")), failure.NAMESPACE, id="namespace"),
        pytest.param(sshsig.armor(_blob(hash=b"md5")), failure.UNSUPPORTED, id="hash"),
        pytest.param(
            sshsig.armor(_blob(key=wire.string(b"ssh-rsa") + wire.string(b"\x01"))),
            failure.UNSUPPORTED,
            id="key-type",
        ),
        pytest.param(
            sshsig.armor(_blob(sig=wire.string(b"rsa-sha2-512") + wire.string(b"x" * 64))),
            failure.UNSUPPORTED,
            id="signature-type",
        ),
        pytest.param(sshsig.armor(_blob() + b"\x00"), failure.ARMOR, id="trailing-bytes"),
        pytest.param(sshsig.armor(_blob(hash=b"sha256")), failure.BAD_SIGNATURE, id="hash-swapped"),
        pytest.param(
            sshsig.armor(_blob(reserved=b"x")), failure.BAD_SIGNATURE, id="reserved-altered"
        ),
        pytest.param(
            sshsig.armor(_blob(sig=wire.string(b"ssh-ed25519") + wire.string(b"x" * 3))),
            failure.BAD_SIGNATURE,
            id="short-signature",
        ),
    ],
)
def test_refusals_carry_their_code(armored: str, code: str) -> None:
    """Every way a signature can be wrong is refused with the code that says why."""
    with pytest.raises(failure.TrustError) as caught:
        sshsig.verify(armored, DATA)
    assert caught.value.code == code
    assert str(caught.value).startswith(code)


def test_altered_data_and_other_key_are_refused() -> None:
    """A signature does not verify over other bytes, nor when its key is swapped for another."""
    armored = sshsig.sign(trustkit.private(), DATA)
    with pytest.raises(failure.TrustError) as caught:
        sshsig.verify(armored, DATA + b" ")
    assert caught.value.code == failure.BAD_SIGNATURE
    swapped = sshsig.armor(_blob(key=trustkit.public(trustkit.SEED_B).blob))
    with pytest.raises(failure.TrustError) as caught:
        sshsig.verify(swapped, DATA)
    assert caught.value.code == failure.BAD_SIGNATURE


def test_wrong_namespace_and_empty_namespace_are_refused() -> None:
    """A git signature is not a signature for another namespace; an empty namespace is refused."""
    armored = sshsig.sign(trustkit.private(), DATA)
    with pytest.raises(failure.TrustError) as caught:
        sshsig.verify(armored, DATA, namespace="file")
    assert caught.value.code == failure.NAMESPACE
    with pytest.raises(failure.TrustError) as caught:
        sshsig.sign(trustkit.private(), DATA, namespace="")
    assert caught.value.code == failure.NAMESPACE


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_hostile_blobs_only_raise_trust_errors(blob: bytes) -> None:
    """Arbitrary bytes inside valid armor are refused with a TrustError, never another exception."""
    with pytest.raises(failure.TrustError):
        sshsig.verify(sshsig.armor(blob), DATA)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400)))
def test_hostile_armor_only_raises_trust_errors(armored: str | bytes) -> None:
    """Arbitrary text or bytes as armor are refused with a TrustError, never another exception."""
    with pytest.raises(failure.TrustError):
        sshsig.verify(armored, DATA)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=255))
def test_flipped_byte_is_refused(position: int, value: int) -> None:
    """Any single changed byte of a good signature blob is caught, never accepted."""
    blob = bytearray(sshsig.dearmor(sshsig.sign(trustkit.private(), DATA)))
    position %= len(blob)
    if blob[position] == value:
        value ^= 1
    blob[position] = value
    with pytest.raises(failure.TrustError):
        sshsig.verify(
            base64.b64encode(bytes(blob))
            .decode()
            .join(["-----BEGIN SSH SIGNATURE-----\n", "\n-----END SSH SIGNATURE-----\n"]),
            DATA,
        )
