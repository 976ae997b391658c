"""Sealed values and SealedSecrets: round trip, tampering refused, deterministic re-sealing."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from gitops_ocm.trust import failure, seal, sealedsecret

HUB = bytes(range(1, 33))
CLUSTER = bytes(range(33, 65))
OTHER = bytes(range(65, 97))
WHERE = seal.Where("apps", "db", "password")


def counter() -> Callable[[int], bytes]:
    """A draw function returning distinct, reproducible bytes (never random in tests)."""
    numbers = itertools.count(1)
    return lambda n: bytes([next(numbers) % 251 + 1]) * n


def secret(**data: str) -> dict[str, Any]:
    """A Secret in namespace apps named db holding ``data`` as stringData."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "apps", "labels": {"app": "db"}},
        "type": "Opaque",
        "stringData": data,
    }


def test_value_round_trip() -> None:
    """A value sealed to a key opens with that key's private half for the same place."""
    sealed = seal.seal(seal.public_of(HUB), b"hunter2", WHERE, bytes(range(32)), bytes(12))
    again = seal.parse(sealed.to_text())
    assert again == sealed
    assert seal.open_value(HUB, again, WHERE) == b"hunter2"
    assert "hunter2" not in sealed.to_text()


@pytest.mark.parametrize(
    ("opener", "where"),
    [
        pytest.param(OTHER, WHERE, id="wrong-key"),
        pytest.param(HUB, seal.Where("apps", "db2", "password"), id="moved-to-another-secret"),
        pytest.param(HUB, seal.Where("other", "db", "password"), id="moved-to-another-namespace"),
        pytest.param(HUB, seal.Where("apps", "db", "user"), id="moved-to-another-key"),
    ],
)
def test_open_refused(opener: bytes, where: seal.Where) -> None:
    """A value opened with another key or for another Secret or key is refused with T663."""
    sealed = seal.seal(seal.public_of(HUB), b"hunter2", WHERE, bytes(range(32)), bytes(12))
    with pytest.raises(failure.TrustError) as caught:
        seal.open_value(opener, sealed, where)
    assert caught.value.code == seal.OPEN


@pytest.mark.parametrize("part", [3, 4, 5], ids=["ephemeral", "nonce", "ciphertext"])
def test_flipped_byte_refused(part: int) -> None:
    """One flipped byte anywhere in the sealed value makes it not open (T663)."""
    text = seal.seal(seal.public_of(HUB), b"hunter2", WHERE, bytes(range(32)), bytes(12)).to_text()
    parts = text.split(":")
    raw = bytearray(base64.b64decode(parts[part]))
    raw[0] ^= 1
    parts[part] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(failure.TrustError) as caught:
        seal.open_value(HUB, seal.parse(":".join(parts)), WHERE)
    assert caught.value.code == seal.OPEN


@pytest.mark.parametrize(
    "text",
    ["", "v2:SHA256:x:y:z:w", "v1:SHA256:" + "A" * 43 + ":!!:AA:AA", "v1:MD5:a:b:c:d"],
    ids=["empty", "version", "base64", "fingerprint"],
)
def test_malformed_value(text: str) -> None:
    """A string that is not a sealed value is refused with T662."""
    with pytest.raises(failure.TrustError) as caught:
        seal.parse(text)
    assert caught.value.code == seal.FORMAT


def test_key_line_round_trip() -> None:
    """A sealing key's line parses back to the same key; another type is T661."""
    key = seal.public_of(HUB)
    assert seal.parse_line(key.to_line() + " hub") == key
    assert key.fingerprint.startswith("SHA256:") and len(key.fingerprint) == 50
    with pytest.raises(failure.TrustError) as caught:
        seal.parse_line("ssh-ed25519 AAAA")
    assert caught.value.code == seal.KEY


def test_sealedsecret_round_trip() -> None:
    """A Secret sealed to a key comes back, values as base64 data, template kept."""
    doc = sealedsecret.from_secret(secret(password="s3cret"), seal.public_of(HUB), counter())
    assert doc["kind"] == "SealedSecret" and "s3cret" not in str(doc)
    assert doc["spec"]["template"] == {"type": "Opaque", "labels": {"app": "db"}}
    back = sealedsecret.to_secret(doc, HUB)
    assert back["data"] == {"password": base64.b64encode(b"s3cret").decode()}
    assert back["metadata"] == {"name": "db", "namespace": "apps", "labels": {"app": "db"}}


def test_sealedsecret_renamed_refused() -> None:
    """A SealedSecret renamed to another Secret does not open."""
    doc = sealedsecret.from_secret(secret(password="s3cret"), seal.public_of(HUB), counter())
    doc["metadata"]["name"] = "other"
    with pytest.raises(failure.TrustError, match="other"):
        sealedsecret.to_secret(doc, HUB)


def test_resealed_is_deterministic_and_opens_for_cluster() -> None:
    """Re-sealing gives the same bytes for the same inputs, opens with the cluster's key only."""
    doc = sealedsecret.from_secret(secret(password="s3cret"), seal.public_of(HUB), counter())
    first = sealedsecret.resealed(doc, HUB, seal.public_of(CLUSTER), HUB)
    assert first == sealedsecret.resealed(doc, HUB, seal.public_of(CLUSTER), HUB)
    assert sealedsecret.to_secret(first, CLUSTER)["data"]["password"] == "czNjcmV0"
    with pytest.raises(failure.TrustError):
        sealedsecret.to_secret(first, HUB)
    other = sealedsecret.resealed(doc, HUB, seal.public_of(OTHER), HUB)
    assert other["spec"]["encryptedData"] != first["spec"]["encryptedData"]


def test_fresh_seals_differ() -> None:
    """Two seals of one value with different random bytes differ (no determinism leak)."""
    draw = counter()
    one = sealedsecret.from_secret(secret(password="x"), seal.public_of(HUB), draw)
    two = sealedsecret.from_secret(secret(password="x"), seal.public_of(HUB), draw)
    assert one["spec"]["encryptedData"] != two["spec"]["encryptedData"]
