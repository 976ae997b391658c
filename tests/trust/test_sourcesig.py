"""trust.sourcesig: the verdict on a main commit's signature against people's allowed signers."""

from __future__ import annotations

import pytest
import trustkit

from gitops_ocm.trust import commits, failure, sourcesig, sshsig

ALICE = sshsig.Signer(trustkit.private(trustkit.SEED_A))
MALLORY = sshsig.Signer(trustkit.private(trustkit.SEED_B))
WHEN = 1_700_000_000  # 2023-11-14T22:13:20Z
PARENT = "1" * 40


def payload(when: int = WHEN, message: str = "change the fleet") -> bytes:
    """An unsigned commit object with one parent, committed at ``when``."""
    return (
        f"tree {'4' * 40}\nparent {PARENT}\nparent {'2' * 40}\n"
        f"author alice <alice@example.com> {when} +0000\n"
        f"committer alice <alice@example.com> {when} +0100\n\n{message}\n"
    ).encode()


def signed(signer: sshsig.Signer, when: int = WHEN) -> commits.Parts:
    """The parts of a commit signed by ``signer``."""
    data = payload(when)
    return commits.split(commits.insert(data, signer.sign(data)))


def entries(line_options: str = "") -> tuple:
    """Alice's line, with ``line_options`` before her key."""
    options = f"{line_options} " if line_options else ""
    return sourcesig.load(f"alice,ops {options}{ALICE.public_key.to_line()}\n", "signers")


def test_allowed_signature_verifies_with_principal_and_fingerprint() -> None:
    """A commit signed by a listed key verifies; the verdict names the principal and key."""
    verdict = sourcesig.judge("c" * 40, signed(ALICE), entries())
    assert verdict == sourcesig.Verified("c" * 40, "alice", ALICE.fingerprint)


@pytest.mark.parametrize(
    ("parts", "options", "code"),
    [
        (commits.Parts(None, payload()), "", "T651"),
        (signed(MALLORY), "", "T652"),
        (commits.Parts(signed(ALICE).signature, payload(message="other")), "", "T653"),
        (commits.Parts("-----BEGIN PGP SIGNATURE-----\n\nabc\n", payload()), "", "T655"),
        (commits.Parts("-----BEGIN SIGNED MESSAGE-----\nabc\n", payload()), "", "T655"),
        (commits.Parts("not armored\n", payload()), "", "T653"),
        (signed(ALICE), 'namespaces="file,email"', "T652"),
        (signed(ALICE), "cert-authority", "T652"),
        (signed(ALICE), 'valid-before="20231114"', "T652"),
        (signed(ALICE), 'valid-after="20231114222000Z"', "T652"),
    ],
    ids=[
        "unsigned",
        "unlisted-key",
        "tampered",
        "gpg",
        "x509",
        "garbage",
        "other-namespaces",
        "cert-authority",
        "expired",
        "not-yet-valid",
    ],
)
def test_refusals(parts: commits.Parts, options: str, code: str) -> None:
    """Each way a commit fails to verify has its code and says why."""
    verdict = sourcesig.judge("c" * 40, parts, entries(options))
    assert isinstance(verdict, sourcesig.Refused) and verdict.code == code
    problem = verdict.problem()
    assert (problem.file, problem.code) == ("main", code)
    assert problem.got is not None and problem.got.startswith(f"commit {'c' * 40}")
    assert verdict.detail in problem.message


@pytest.mark.parametrize(
    "options",
    [
        'valid-after="20231114"',
        'valid-before="20231114221320Z"',
        'valid-after="202311142213",valid-before="20231115"',
        'namespaces="git,file"',
    ],
)
def test_window_bounds_are_inclusive(options: str) -> None:
    """valid-after and valid-before include their instant, as ssh-keygen does."""
    assert isinstance(
        sourcesig.judge("c" * 40, signed(ALICE), entries(options)), sourcesig.Verified
    )


def test_any_line_of_the_key_may_verify() -> None:
    """A key listed twice verifies when one of its lines' windows holds the commit time."""
    line = ALICE.public_key.to_line()
    text = f'old valid-before="20200101" {line}\nnew valid-after="20230101" {line}\n'
    verdict = sourcesig.judge("c" * 40, signed(ALICE), sourcesig.load(text, "f"))
    assert verdict == sourcesig.Verified("c" * 40, "new", ALICE.fingerprint)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("20231114", 1_699_920_000),
        ("20231114Z", 1_699_920_000),
        ("202311142213", 1_700_000_000 - 20),
        ("20231114221320z", 1_700_000_000),
        ("2023111", None),
        ("20231314", None),
        ("2023-11-14", None),
        ("", None),
    ],
)
def test_parse_time(text: str, seconds: int | None) -> None:
    """Times are YYYYMMDD[HHMM[SS]][Z], read as UTC; anything else is None."""
    assert sourcesig.parse_time(text) == seconds


def test_load_refuses_a_malformed_time_with_its_line() -> None:
    """A malformed valid-after is T609 naming file:line, at load (not at the first commit)."""
    text = f'# people\n\nalice valid-after="soon" {ALICE.public_key.to_line()}\n'
    with pytest.raises(failure.TrustError) as caught:
        sourcesig.load(text, "people.signers")
    assert caught.value.code == "T609" and caught.value.where == "people.signers:3"


def test_commit_headers() -> None:
    """Parents and committer time come from the commit's headers, never its message."""
    data = payload() + b"parent " + b"9" * 40 + b"\ncommitter x <x> 5 +0000\n"
    assert sourcesig.parents(data) == (PARENT, "2" * 40)
    assert sourcesig.committer_time(data) == WHEN
    assert sourcesig.committer_time(b"tree x\ncommitter broken\n\nm") is None


def test_unknown_time_fails_a_window_but_not_an_open_line() -> None:
    """A commit without a readable committer time verifies only against lines without a window."""
    data = b"tree " + b"4" * 40 + b"\ncommitter nobody\n\nm\n"
    parts = commits.split(commits.insert(data, ALICE.sign(data)))
    assert isinstance(sourcesig.judge("c", parts, entries()), sourcesig.Verified)
    windowed = sourcesig.judge("c", parts, entries('valid-after="20200101"'))
    assert isinstance(windowed, sourcesig.Refused) and "unknown" in windowed.detail
