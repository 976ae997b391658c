"""Problems: what validation returns instead of raising.

Pure. A problem is one finding about the user's input, with a stable code, the
place it was found (file, line, column, JSON pointer) and a message. Codes are
stable across releases and listed with examples in docs/problem-codes.md:

* ``S1xx`` structure: the file could not be read as YAML, or is hostile;
* ``S2xx`` structure: the document does not match its kind's JSON Schema;
* ``M3xx`` meaning: the documents disagree with each other or with OCM's rules;
* ``F4xx`` fleet: checks that need scheduling decisions.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterable
from typing import Any


class Severity(enum.Enum):
    """How bad a problem is: errors make a commit invalid, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One finding, sortable by place so output is stable."""

    file: str
    line: int
    column: int
    code: str
    pointer: str
    message: str
    got: str | None = None
    severity: Severity = Severity.ERROR

    def render(self) -> str:
        """Return the one-line text form ``path:line:col: CODE /pointer: message (got X)``."""
        where = f"{self.file}:{self.line}:{self.column}"
        pointer = self.pointer or "/"
        text = f"{where}: {self.code} {pointer}: {self.message}"
        if self.got is not None:
            text += f" (got {self.got})"
        if self.severity is Severity.WARNING:
            text += " [warning]"
        return text

    def to_dict(self) -> dict[str, Any]:
        """Return the stable JSON shape documented in docs/validate-json.md."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "pointer": self.pointer,
            "message": self.message,
            "got": self.got,
            "severity": self.severity.value,
        }


def describe(value: Any, limit: int = 60) -> str:
    """Return a short, single-line rendering of a user value for a ``(got X)`` suffix."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def has_errors(problems: Iterable[Problem]) -> bool:
    """Return True when any problem is an error (warnings do not invalidate)."""
    return any(p.severity is Severity.ERROR for p in problems)


def escape_pointer_token(token: str | int) -> str:
    """Escape one JSON pointer token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Build a JSON pointer from raw tokens."""
    return "".join("/" + escape_pointer_token(t) for t in tokens)


def split_pointer(ptr: str) -> list[str]:
    """Split a JSON pointer into unescaped tokens."""
    if not ptr:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in ptr.split("/")[1:]]


@dataclasses.dataclass(frozen=True)
class Finding:
    """A problem found inside one document, before its line and column are known.

    Pure checks return findings (code, JSON pointer, message); the snapshot that
    owns the document turns them into :class:`Problem` with a position.
    """

    code: str
    pointer: str
    message: str
    got: str | None = None
    severity: Severity = Severity.ERROR
