"""Commit messages with Git trailers (``Source-Commit: <sha>``), written and parsed.

Pure: no I/O. The layout is the one ``git interpret-trailers`` reads: a summary
line, a blank line, an optional body, a blank line, then one ``Key: value``
trailer per line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from gitops_ocm import errors

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")
_TRAILER = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*): (.*)\Z")


def format_message(message: str, trailers: Mapping[str, str] | None = None) -> str:
    """Return ``message`` (summary, blank line, body) followed by ``trailers``."""
    text = message.strip("\n")
    if not text.split("\n", 1)[0].strip():
        raise errors.InvalidInput("a commit message needs a summary line")
    lines = [_trailer_line(key, value) for key, value in (trailers or {}).items()]
    if not lines:
        return text + "\n"
    return text + "\n\n" + "\n".join(lines) + "\n"


def _trailer_line(key: str, value: str) -> str:
    if not _KEY.match(key):
        raise errors.InvalidInput(f"invalid trailer key {key!r}")
    if "\n" in value or not value.strip():
        raise errors.InvalidInput(f"trailer {key!r} needs a one-line value (got {value!r})")
    return f"{key}: {value}"


def parse_trailers(message: str) -> dict[str, str]:
    """Return the trailers of the last paragraph of ``message`` (empty if it has none)."""
    paragraphs = [p for p in message.strip("\n").split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return {}
    found: dict[str, str] = {}
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line)
        if match is None:
            return {}
        found[match.group(1)] = match.group(2)
    return found
