"""The gpgsig header of a commit object: split, insert, and every refusal."""

from __future__ import annotations

import pytest
import trustkit
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.trust import commits, failure, sshsig

UNSIGNED = (
    b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    b"author A <a@example.com> 1700000000 +0000\n"
    b"committer A <a@example.com> 1700000000 +0000\n"
    b"\n"
    b"status: fold 2 reports\n\ngpgsig in the message is text\n"
)


def _signed() -> tuple[bytes, str]:
    """A commit signed with the test key, and its signature."""
    armored = sshsig.sign(trustkit.private(), UNSIGNED)
    return commits.insert(UNSIGNED, armored), armored


def test_insert_then_split_round_trips() -> None:
    """Inserting a signature and splitting it off gives the signature and the unsigned commit."""
    signed, armored = _signed()
    parts = commits.split(signed)
    assert parts == commits.Parts(armored, UNSIGNED)
    assert sshsig.verify(parts.signature or "", parts.payload) == trustkit.public()


def test_header_is_indented_after_the_last_header() -> None:
    """The gpgsig header follows the committer, its continuation lines start with one space."""
    signed, _ = _signed()
    headers = signed.split(b"\n\n", 1)[0].split(b"\n")
    assert headers[2].startswith(b"committer ") and headers[3] == b"gpgsig " + sshsig.BEGIN.encode()
    assert all(line.startswith(b" ") for line in headers[4:])
    assert headers[-1] == b" " + sshsig.END.encode()


def test_unsigned_commit_has_no_signature() -> None:
    """An unsigned commit splits into no signature and itself."""
    assert commits.split(UNSIGNED) == commits.Parts(None, UNSIGNED)


def test_other_continuation_headers_stay_in_the_payload() -> None:
    """A mergetag header with continuation lines is part of the payload, as git keeps it."""
    merged = UNSIGNED.replace(b"\n\n", b"\nmergetag object x\n type commit\n \n tag v1\n\n", 1)
    signed = commits.insert(merged, sshsig.sign(trustkit.private(), merged))
    assert commits.split(signed).payload == merged


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        pytest.param(b"", "starts with its tree", id="empty"),
        pytest.param(b"author x\n\nmsg", "starts with its tree", id="no-tree"),
        pytest.param(b"tree x\nauthor y\n", "empty line", id="no-body"),
        pytest.param(b"tree x\n" + b"a" * commits.MAX_BYTES + b"\n\n", "at most", id="too-large"),
        pytest.param(b"tree x\ngpgsig A\n B\ngpgsig C\n\nmsg", "two gpgsig", id="two-signatures"),
        pytest.param(b"tree x\ngpgsig-sha256 A\n B\n\nmsg", "gpgsig-sha256", id="sha256-header"),
        pytest.param(b"tree x\ngpgsig A\n \xff\n\nmsg", "not ASCII", id="not-ascii"),
        pytest.param(b"tree x\ngpgsig\n A\n\nmsg", "'gpgsig' header", id="no-space"),
        pytest.param(b"tree x\ngpgsigx A\n\nmsg", "'gpgsigx' header", id="other-gpgsig"),
    ],
)
def test_ambiguous_or_malformed_commits_are_refused(raw: bytes, reason: str) -> None:
    """A commit whose signature git would read differently, or no commit at all, is T611."""
    with pytest.raises(failure.TrustError) as caught:
        commits.split(raw)
    assert caught.value.code == failure.COMMIT and reason in str(caught.value)


def test_carriage_return_does_not_end_a_header_line() -> None:
    """A gpgsig after a carriage return inside another header is that header's text, as for git."""
    raw = UNSIGNED.replace(b"\n\n", b"\nx-note a\rgpgsig evil\n\n", 1)
    assert commits.split(raw) == commits.Parts(None, raw)


@pytest.mark.parametrize(
    "armored",
    [
        pytest.param("line\n\nafter\n", id="empty-line"),
        pytest.param("é\n", id="not-ascii"),
        pytest.param("a\r\nb\n", id="carriage-return"),
    ],
)
def test_insert_refuses_what_no_header_can_hold(armored: str) -> None:
    """A signature with empty lines, non-ASCII or carriage returns is not inserted."""
    with pytest.raises(failure.TrustError) as caught:
        commits.insert(UNSIGNED, armored)
    assert caught.value.code == failure.COMMIT


def test_insert_refuses_a_signed_commit() -> None:
    """A commit that is signed already is not signed a second time."""
    signed, armored = _signed()
    with pytest.raises(failure.TrustError) as caught:
        commits.insert(signed, armored)
    assert "signed already" in str(caught.value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_hostile_commits_split_or_raise_trust_errors(tail: bytes) -> None:
    """Arbitrary commit bytes split into parts with a payload within the commit, or are refused."""
    raw = b"tree x\n" + tail
    try:
        parts = commits.split(raw)
    except failure.TrustError:
        return
    assert len(parts.payload) <= len(raw)
