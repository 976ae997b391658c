"""A small subset of Kubernetes JSONPath for status feedback and SSA ignoreFields.

Pure. Supported: an optional ``{...}`` wrapper; dot steps (``.status.readyReplicas``);
bracket keys with quotes (``.metadata.labels['app.kubernetes.io/name']`` or
``["..."]``); list indexes (``[0]``, ``[-1]``); and one equality filter per
bracket, ``[?(@.type=="Ready")]``, which selects the first matching element.
Anything else (wildcards, recursive descent, unions, slices) is a
:class:`PathError`, reported on the manifest like any other feedback error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

Step = str | int | tuple[str, str]
"""A key, a list index, or a filter (field, wanted value)."""

_MISSING = object()
_TOKEN = re.compile(
    r"""\.(?P<dot>[A-Za-z0-9_$-]+)
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*'(?P<single>[^']*)'\s*\]
      | \[\s*"(?P<double>[^"]*)"\s*\]
      | \[\s*\?\(\s*@\.(?P<field>[A-Za-z0-9_-]+)\s*==\s*["'](?P<value>[^"']*)["']\s*\)\s*\]
    """,
    re.VERBOSE,
)


class PathError(ValueError):
    """The path uses syntax outside the supported subset."""


def parse(path: str) -> tuple[Step, ...]:
    """Return the steps of ``path`` or raise PathError."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("$"):
        text = text[1:]
    if not text:
        raise PathError(f"empty JSONPath {path!r}")
    steps: list[Step] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise PathError(f"unsupported JSONPath {path!r} at {text[pos:]!r}")
        steps.append(_step(match))
        pos = match.end()
    return tuple(steps)


def _step(match: re.Match[str]) -> Step:
    if match.group("index") is not None:
        return int(match.group("index"))
    if match.group("field") is not None:
        return (match.group("field"), match.group("value"))
    for name in ("dot", "single", "double"):
        if match.group(name) is not None:
            return match.group(name)
    raise PathError("unreachable")  # pragma: no cover


def _child(value: Any, step: Step) -> Any:
    if isinstance(step, str):
        return value.get(step, _MISSING) if isinstance(value, dict) else _MISSING
    if isinstance(step, int):
        if isinstance(value, list) and -len(value) <= step < len(value):
            return value[step]
        return _MISSING
    if isinstance(value, list):
        field, wanted = step
        for item in value:
            if isinstance(item, dict) and str(item.get(field)) == wanted:
                return item
    return _MISSING


def lookup(obj: Any, steps: Sequence[Step]) -> tuple[bool, Any]:
    """Return (found, value) of ``steps`` in ``obj``."""
    value = obj
    for step in steps:
        value = _child(value, step)
        if value is _MISSING:
            return False, None
    return True, value


def get(obj: Any, path: str) -> tuple[bool, Any]:
    """Parse ``path`` and look it up in ``obj``."""
    return lookup(obj, parse(path))


def remove(obj: Any, steps: Sequence[Step]) -> bool:
    """Delete the value at ``steps`` in place (dict keys and list items); True if it was there."""
    if not steps:
        return False
    found, parent = lookup(obj, steps[:-1])
    last = steps[-1]
    if not found:
        return False
    if isinstance(last, str) and isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(last, int) and isinstance(parent, list) and -len(parent) <= last < len(parent):
        del parent[last]
        return True
    return False


def put(obj: Any, steps: Sequence[Step], value: Any) -> bool:
    """Set the value at ``steps`` in place, creating dict keys on the way; True if set."""
    node = obj
    for step in steps[:-1]:
        child = _child(node, step)
        if child is _MISSING and isinstance(step, str) and isinstance(node, dict):
            child = node[step] = {}
        if child is _MISSING:
            return False
        node = child
    last = steps[-1] if steps else None
    if isinstance(last, str) and isinstance(node, dict):
        node[last] = value
        return True
    if isinstance(last, int) and isinstance(node, list) and -len(node) <= last < len(node):
        node[last] = value
        return True
    return False
