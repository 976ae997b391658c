"""Printing problems for people (text), tools (json) and CI (GitHub annotations).

I/O shell helper shared by ``validate``, ``render``, ``plan`` and the hook.
The JSON shape is documented in docs/validate-json.md and kept stable.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from gitops_ocm.problems import Problem, Severity

FORMATS = ("text", "json", "github")


def summary(problems: Sequence[Problem]) -> dict[str, int]:
    """Count errors and warnings."""
    errors = sum(1 for p in problems if p.severity is Severity.ERROR)
    return {"errors": errors, "warnings": len(problems) - errors}


def report(
    problems: Sequence[Problem],
    fmt: str,
    extra: dict[str, Any] | None = None,
    out: TextIO | None = None,
) -> None:
    """Print ``problems`` in the chosen format."""
    out = out or sys.stdout
    counts = summary(problems)
    if fmt == "json":
        body: dict[str, Any] = {"valid": counts["errors"] == 0, **(extra or {}), **counts}
        body["problems"] = [p.to_dict() for p in problems]
        out.write(json.dumps(body, indent=2, sort_keys=True) + "\n")
        return
    for problem in problems:
        out.write((_github(problem) if fmt == "github" else problem.render()) + "\n")
    if fmt == "text":
        out.write(_closing(counts, extra or {}) + "\n")


def _github(problem: Problem) -> str:
    level = "error" if problem.severity is Severity.ERROR else "warning"
    message = f"{problem.pointer or '/'}: {problem.message}"
    if problem.got is not None:
        message += f" (got {problem.got})"
    message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    file = problem.file.replace(",", "%2C").replace(":", "%3A")
    return (
        f"::{level} file={file},line={problem.line},col={problem.column},"
        f"title={problem.code}::{message}"
    )


def _closing(counts: dict[str, int], extra: dict[str, Any]) -> str:
    docs = extra.get("documents")
    files = extra.get("files")
    seen = f" in {docs} documents of {files} files" if docs is not None else ""
    if counts["errors"] == 0:
        return f"valid{seen} ({counts['warnings']} warnings)"
    return f"invalid{seen}: {counts['errors']} errors, {counts['warnings']} warnings"
