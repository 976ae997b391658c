"""A ConfigurationPolicy's ``namespaceSelector``: which namespaces a template applies to.

Pure. Follows config-policy-controller: namespaces are first filtered by the label
selector (``matchLabels``/``matchExpressions``; absent means all), then kept when
they match an ``include`` glob (absent means ``*``) and no ``exclude`` glob. Globs
are Go ``filepath.Match`` patterns. A selector with neither ``include`` nor a label
selector selects nothing. Terminating namespaces are skipped unless
``terminatingInclusion: IfMatch``. The result is sorted.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import labelselector


class PatternError(ValueError):
    """An include or exclude pattern is not a valid glob."""


def select(
    selector: Mapping[str, Any] | None, namespaces: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Return the sorted names of the namespaces ``selector`` selects; raise PatternError."""
    selector = selector or {}
    include = [str(p) for p in selector.get("include") or []]
    exclude = [str(p) for p in selector.get("exclude") or []]
    has_labels = "matchLabels" in selector or "matchExpressions" in selector
    if not include and not has_labels:
        return []
    for kind, patterns in (("include", include), ("exclude", exclude)):
        for pattern in patterns:
            _check_pattern(kind, pattern)
    label_selector = {k: selector[k] for k in ("matchLabels", "matchExpressions") if k in selector}
    with_terminating = selector.get("terminatingInclusion") == "IfMatch"
    chosen = []
    for namespace in namespaces:
        metadata = namespace.get("metadata") or {}
        if metadata.get("deletionTimestamp") and not with_terminating:
            continue
        if not labelselector.matches(label_selector, metadata.get("labels") or {}):
            continue
        name = str(metadata.get("name", ""))
        if (not include or _any_match(include, name)) and not _any_match(exclude, name):
            chosen.append(name)
    return sorted(chosen)


def glob_matches(pattern: str, name: str) -> bool:
    """Return True when ``name`` matches a Go ``filepath.Match`` pattern."""
    translated = pattern.replace("[^", "[!")
    return "/" not in name and fnmatch.fnmatchcase(name, translated)


def _any_match(patterns: Sequence[str], name: str) -> bool:
    return any(glob_matches(p, name) for p in patterns)


def _check_pattern(kind: str, pattern: str) -> None:
    depth = 0
    escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth = 1
        elif char == "]" and depth:
            depth = 0
    if depth or escaped:
        raise PatternError(f"error parsing '{kind}' pattern '{pattern}': syntax error in pattern")
