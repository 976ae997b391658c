"""Repository locations: telling URLs from paths, and keeping credentials out of text.

Pure: no I/O. A location is either a local path or a URL (``git://``,
``http(s)://``, ``ssh://``, ``file://``). URLs may carry ``user:password@``;
the password is used for authentication only, and :func:`redact` removes it
(and the user name) from anything that is logged or raised.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import urllib.parse

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")
MASK = "***"


@dataclasses.dataclass(frozen=True)
class Location:
    """A URL split into the address (without credentials) and the credentials."""

    url: str
    username: str | None
    password: str | None


def is_url(location: str) -> bool:
    """Whether ``location`` is a URL (otherwise it is a local path)."""
    return _SCHEME.match(location) is not None


def parse(url: str) -> Location:
    """Split the credentials off ``url``."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return Location(url, None, None)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    username = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password else None
    return Location(clean, username, password)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Mask the user information of every URL in ``text``, and every literal secret."""
    masked = _USERINFO.sub(rf"\1{MASK}@", text)
    for secret in secrets:
        if secret:
            masked = masked.replace(secret, MASK)
            quoted = urllib.parse.quote(secret, safe="")
            masked = masked.replace(quoted, MASK)
    return masked


def cache_key(url: str) -> str:
    """A file name for the local mirror of ``url`` (credentials do not change it)."""
    clean = parse(url).url if is_url(url) else url
    return hashlib.sha256(clean.encode()).hexdigest()[:24]
