"""Public keys: the key line, the wire blob, fingerprints, and hostile lines."""

from __future__ import annotations

import base64

import pytest
import trustkit
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.trust import failure, keys, wire


def test_line_round_trip_keeps_the_comment_out_of_identity() -> None:
    """A key line parses back to the same key; the comment is kept but does not change equality."""
    key = keys.from_raw(trustkit.public().raw, "agent@c1")
    parsed = keys.parse_line(key.to_line() + "\n")
    assert parsed == trustkit.public() and parsed.comment == "agent@c1"
    assert keys.parse_line(trustkit.public().to_line()).to_line() == trustkit.public().to_line()


def test_fingerprint_is_unpadded_base64_of_sha256() -> None:
    """The fingerprint is SHA256: and 43 base64 characters without padding."""
    fingerprint = trustkit.public().fingerprint
    assert fingerprint.startswith("SHA256:") and len(fingerprint) == 7 + 43
    assert "=" not in fingerprint
    assert trustkit.public().fingerprint != trustkit.public(trustkit.SEED_B).fingerprint


_GOOD = trustkit.public().to_line().split()[1]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        pytest.param("", failure.PUBLIC_KEY, id="empty"),
        pytest.param("ssh-ed25519", failure.PUBLIC_KEY, id="no-key"),
        pytest.param("ssh-ed25519 !!!!", failure.PUBLIC_KEY, id="not-base64"),
        pytest.param("ssh-ed25519 AAAA", failure.PUBLIC_KEY, id="truncated-blob"),
        pytest.param(f"ssh-rsa {_GOOD}", failure.PUBLIC_KEY, id="type-mismatch"),
        pytest.param(
            "ssh-rsa " + base64.b64encode(wire.string(b"ssh-rsa") + wire.string(b"\x01")).decode(),
            failure.UNSUPPORTED,
            id="rsa",
        ),
        pytest.param(
            "ssh-ed25519 "
            + base64.b64encode(wire.string(b"ssh-ed25519") + wire.string(b"x" * 31)).decode(),
            failure.PUBLIC_KEY,
            id="short-point",
        ),
        pytest.param(
            "ssh-ed25519 " + base64.b64encode(trustkit.public().blob + b"\x00").decode(),
            failure.PUBLIC_KEY,
            id="trailing-bytes",
        ),
        pytest.param(
            f"ssh-ed25519 {_GOOD} bad\x07comment", failure.PUBLIC_KEY, id="control-comment"
        ),
        pytest.param(f"ssh-ed25519 {_GOOD} " + "c" * 2100, failure.PUBLIC_KEY, id="too-long"),
        pytest.param("ssh-ed25519 é", failure.PUBLIC_KEY, id="not-ascii"),
    ],
)
def test_malformed_lines_are_refused_with_their_code(line: str, code: str) -> None:
    """Every malformed key line is refused with the code that says why."""
    with pytest.raises(failure.TrustError) as caught:
        keys.parse_line(line)
    assert caught.value.code == code


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_hostile_lines_parse_or_raise_trust_errors(line: str) -> None:
    """Arbitrary text either is a key line or is refused with a TrustError, nothing else."""
    try:
        key = keys.parse_line(line)
    except failure.TrustError:
        return
    assert len(key.blob) == 51


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_hostile_blobs_parse_or_raise_trust_errors(blob: bytes) -> None:
    """Arbitrary bytes either are an Ed25519 blob or are refused with a TrustError."""
    try:
        key = keys.from_blob(blob)
    except failure.TrustError:
        return
    assert key.blob == blob
