"""Git's allowed-signers file: deterministic rendering, parsing people's files, refusals."""

from __future__ import annotations

import pytest
import trustkit
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.trust import failure, keys, signers

A = trustkit.public()
B = trustkit.public(trustkit.SEED_B)
KEY_A = A.to_line()


def test_render_is_sorted_and_independent_of_order() -> None:
    """The file lists one sorted line per principal and key, the same whatever the input order."""
    text = signers.render({"hub": [A], "c2": [B, A]})
    assert text == signers.render({"c2": [A, B], "hub": [A]})
    lines = text.splitlines()
    assert lines == sorted(lines) and len(lines) == 3
    assert lines[0].startswith('c2 namespaces="git" ssh-ed25519 ')
    assert signers.render({}) == ""


def test_render_drops_comments_and_parses_back() -> None:
    """Key comments are not written; parsing the rendered file gives the keys back per principal."""
    commented = keys.from_raw(A.raw, "someone@laptop")
    entries = signers.parse(signers.render({"hub": [commented], "c1": [B]}))
    assert "someone" not in signers.render({"hub": [commented]})
    assert signers.keys_for(entries, "hub") == (A,)
    assert signers.keys_for(entries, "c1") == (B,)
    assert signers.keys_for(entries, "c1", namespace="file") == ()


@pytest.mark.parametrize(
    "principal",
    ["", "a b", "a,b", 'a"b', "*", "c?", "!c1", "-c1", "c1\n", "é", "a" * 254, "a\tb", "#c"],
)
def test_render_refuses_principals_that_break_the_format(principal: str) -> None:
    """A principal with a space, comma, quote, pattern or other odd character is refused (T610)."""
    for principal_keys in ([A], []):
        with pytest.raises(failure.TrustError) as caught:
            signers.render({principal: principal_keys})
        assert caught.value.code == failure.PRINCIPAL


def test_parse_reads_people_files() -> None:
    """Comments, blank lines, quoted principal lists and every option are read."""
    text = "\n".join(
        [
            "# people who may change the fleet",
            "",
            f"alice@example.com {KEY_A} alice",
            '"bob@example.com,carol@example.com" namespaces="git,file",valid-after="20260101" '
            + B.to_line(),
            f'  ops cert-authority,valid-before="20300101Z" {KEY_A}',
        ]
    )
    first, second, third = signers.parse(text)
    assert (first.principals, first.key, first.namespaces, first.line) == (
        ("alice@example.com",),
        A,
        None,
        3,
    )
    assert second.principals == ("bob@example.com", "carol@example.com")
    assert (second.namespaces, second.valid_after) == (("git", "file"), "20260101")
    assert third.cert_authority and third.valid_before == "20300101Z"
    entries = (first, second, third)
    assert signers.keys_for(entries, "carol@example.com") == (B,)
    assert signers.keys_for(entries, "ops") == ()  # a certificate authority is not a signer key


def test_patterns_are_kept_but_grant_nothing() -> None:
    """A principal pattern is read as written and never matches a name (no expansion)."""
    entries = signers.parse(f"*@example.com {KEY_A}\n")
    assert entries[0].principals == ("*@example.com",)
    assert signers.keys_for(entries, "alice@example.com") == ()


@pytest.mark.parametrize(
    ("line", "code"),
    [
        pytest.param('"unterminated ' + KEY_A, failure.SIGNERS, id="unterminated-quote"),
        pytest.param('"a"b ' + KEY_A, failure.SIGNERS, id="text-after-quote"),
        pytest.param("a,,b " + KEY_A, failure.SIGNERS, id="empty-principal"),
        pytest.param("a", failure.PUBLIC_KEY, id="no-key"),
        pytest.param("a unknown-option " + KEY_A, failure.SIGNERS, id="unknown-option"),
        pytest.param("a namespaces=git " + KEY_A, failure.SIGNERS, id="unquoted-value"),
        pytest.param('a namespaces="git", ' + KEY_A, failure.SIGNERS, id="trailing-comma"),
        pytest.param('a cert-authority="x" ' + KEY_A, failure.SIGNERS, id="valued-flag"),
        pytest.param("a cert-authority,cert-authority " + KEY_A, failure.SIGNERS, id="repeated"),
        pytest.param("a ssh-ed25519 AAAA", failure.PUBLIC_KEY, id="bad-key"),
        pytest.param(
            "a ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAQE=", failure.UNSUPPORTED, id="rsa-key"
        ),
    ],
)
def test_malformed_lines_name_their_line(line: str, code: str) -> None:
    """A malformed line is refused with its code and file:line."""
    with pytest.raises(failure.TrustError) as caught:
        signers.parse(f"# first\n{line}\n", where="signers")
    assert caught.value.code == code
    assert str(caught.value).startswith(f"signers:2: {code} ")


def test_size_and_line_bounds() -> None:
    """A file over the byte or line bound is refused (T609) before any line is read."""
    with pytest.raises(failure.TrustError) as caught:
        signers.parse("#" * (signers.MAX_BYTES + 1))
    assert caught.value.code == failure.SIGNERS
    with pytest.raises(failure.TrustError) as caught:
        signers.parse("\n" * signers.MAX_LINES)
    assert caught.value.code == failure.SIGNERS


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_hostile_files_parse_or_raise_trust_errors(text: str) -> None:
    """Arbitrary text is either a valid file or refused with a TrustError, nothing else."""
    try:
        entries = signers.parse(text)
    except failure.TrustError:
        return
    assert all(entry.principals for entry in entries)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["hub", "c1", "c-2", "a.b"]), min_size=0, max_size=4))
def test_render_parse_round_trip(principals: list[str]) -> None:
    """Whatever principals are rendered, each gets exactly its keys back."""
    wanted = {name: [A] if index % 2 else [B] for index, name in enumerate(principals)}
    entries = signers.parse(signers.render(wanted))
    for name, name_keys in wanted.items():
        assert signers.keys_for(entries, name) == tuple(name_keys)
