"""The pure core reads no clock: a clock read is a call, not an import, so it is checked here.

import-linter forbids ``time``, ``gc``, ``subprocess``, ... in the pure packages
(pyproject.toml); ``datetime`` stays allowed for its types, so calls that read the
clock through it are looked for here, in the code (comments and strings aside).
"""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

import pytest

import gitops_ocm

PURE = (
    "model",
    "validation",
    "placement",
    "render",
    "work",
    "policy",
    "status",
    "plan",
    "fleetview",
)
CLOCK_READS = (
    "datetime.now(",
    "datetime.utcnow(",
    "datetime.today(",
    "date.today(",
    "time.time(",
    "time.monotonic(",
)
_SKIPPED = {tokenize.COMMENT, tokenize.STRING, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT}


def clock_reads(source: str) -> list[tuple[int, str]]:
    """Return (line, call) for each clock read in Python source, comments and strings aside."""
    tokens = [
        t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in _SKIPPED
    ]
    found = []
    for i, token in enumerate(tokens):
        text = "".join(t.string for t in tokens[i : i + 4])
        found += [(token.start[0], call) for call in CLOCK_READS if text.startswith(call)]
    return found


def _package_files(package: str) -> list[Path]:
    """Return the modules of a pure package, or the one file of a pure module."""
    root = Path(gitops_ocm.__file__).parent / package
    return sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("x = datetime.datetime.now(datetime.UTC)\n", ["datetime.now("], id="now"),
        pytest.param("x = dt.datetime.utcnow()\n", ["datetime.utcnow("], id="utcnow"),
        pytest.param("x = datetime.date.today()\n", ["date.today("], id="today"),
        pytest.param("x = time.monotonic ()\n", ["time.monotonic("], id="spaced"),
        pytest.param("x = time.time()\n", ["time.time("], id="time"),
        pytest.param('"""Callers pass datetime.now(UTC)."""\n', [], id="docstring"),
        pytest.param("x = 1  # not datetime.now()\n", [], id="comment"),
        pytest.param("def f(now: datetime.datetime) -> None: ...\n", [], id="type"),
    ],
)
def test_clock_reads_are_found_in_code_only(source: str, expected: list[str]) -> None:
    """The scan finds clock calls however spaced, and ignores them in comments and strings."""
    assert [call for _, call in clock_reads(source)] == expected


@pytest.mark.parametrize("package", PURE)
def test_pure_package_reads_no_clock(package: str) -> None:
    """No module of a pure package reads the clock: the time is always a parameter."""
    files = _package_files(package)
    assert files, f"no modules found for gitops_ocm.{package}"
    reads = [
        f"{path.relative_to(Path(gitops_ocm.__file__).parent)}:{line}: {call}"
        for path in files
        for line, call in clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert reads == []
