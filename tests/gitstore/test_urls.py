"""Locations: URL or path, and credentials masked in text."""

from __future__ import annotations

import pytest

from gitops_ocm.gitstore import urls


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://u:s3cr3t@h.example/r.git", "https://***@h.example/r.git"),
        (
            "fatal: http://bob:p%40ss@127.0.0.1:80/x failed",
            "fatal: http://***@127.0.0.1:80/x failed",
        ),
        ("git://127.0.0.1:9418/r.git", "git://127.0.0.1:9418/r.git"),
        ("/srv/repo.git", "/srv/repo.git"),
    ],
)
def test_redact_masks_userinfo(text: str, expected: str) -> None:
    """User information in any URL of a text is masked."""
    assert urls.redact(text) == expected


def test_redact_masks_literal_secrets() -> None:
    """A secret echoed without its URL (plain or percent-encoded) is masked too."""
    assert urls.redact("auth p@ss and p%40ss", ("p@ss",)) == "auth *** and ***"


def test_parse_splits_credentials() -> None:
    """Credentials are split off (percent-decoded) and the URL keeps host and port."""
    loc = urls.parse("https://bob:p%40ss@git.example:8443/r.git")
    assert loc == urls.Location("https://git.example:8443/r.git", "bob", "p@ss")


def test_cache_key_ignores_credentials() -> None:
    """Rotating a password keeps the same mirror."""
    assert urls.cache_key("http://a:1@h/r") == urls.cache_key("http://b:2@h/r")
    assert urls.cache_key("http://h/r") != urls.cache_key("http://h/s")


def test_is_url() -> None:
    """Schemes make URLs; anything else is a path."""
    assert urls.is_url("file:///tmp/r") and urls.is_url("ssh://git@h/r")
    assert not urls.is_url("/tmp/r") and not urls.is_url("relative/dir")
