"""Label and field selectors, parsed once and matched against objects.

Pure. Label selectors support the full string syntax (``=``, ``==``, ``!=``, ``in``,
``notin``, existence and ``!key``); field selectors support ``=``, ``==`` and ``!=``
on any dotted path (a real API server allows only a few fields per kind).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from gitops_ocm.kube import cluster

_SET_RE = re.compile(r"^\s*(!?)([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\((.*)\))?\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)\s*$")


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One term of a selector: ``key op values``."""

    key: str
    op: str  # "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, value: str | None) -> bool:
        """Return whether a value (None when the key is absent) satisfies the term."""
        if self.op == "exists":
            return value is not None
        if self.op == "!exists":
            return value is None
        if self.op == "in":
            return value is not None and value in self.values
        return value is None or value not in self.values


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in terms if t.strip()]


def _parse_term(term: str, *, allow_sets: bool) -> Requirement:
    match = _EQ_RE.match(term)
    if match:
        key, op, value = match.groups()
        return Requirement(key, "notin" if op == "!=" else "in", frozenset([value]))
    match = _SET_RE.match(term) if allow_sets else None
    if not match:
        raise cluster.BadRequest(f"unable to parse requirement: {term.strip()!r}")
    negated, key, op, values = match.groups()
    if op:
        if negated:
            raise cluster.BadRequest(f"unable to parse requirement: {term.strip()!r}")
        parsed = frozenset(v.strip() for v in values.split(",") if v.strip())
        return Requirement(key, op, parsed)
    return Requirement(key, "!exists" if negated else "exists")


def parse_labels(text: str) -> tuple[Requirement, ...]:
    """Parse a label selector string; raise BadRequest on bad syntax."""
    return tuple(_parse_term(t, allow_sets=True) for t in _split_terms(text or ""))


def parse_fields(text: str) -> tuple[Requirement, ...]:
    """Parse a field selector string (equality terms only)."""
    return tuple(_parse_term(t, allow_sets=False) for t in _split_terms(text or ""))


def _field_value(obj: dict[str, Any], path: str) -> str | None:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return "" if path in ("metadata.namespace",) else None
    return value if isinstance(value, str) else str(value).lower()


def matches(
    obj: dict[str, Any], labels: tuple[Requirement, ...], fields: tuple[Requirement, ...]
) -> bool:
    """Return whether ``obj`` satisfies both parsed selectors."""
    own = (obj.get("metadata") or {}).get("labels") or {}
    if not all(req.matches(own.get(req.key)) for req in labels):
        return False
    return all(req.matches(_field_value(obj, req.key)) for req in fields)


def label_selector_string(selector: dict[str, Any]) -> str:
    """Render a LabelSelector object (matchLabels/matchExpressions) as a selector string."""
    terms = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key = str(expr.get("operator", "")), str(expr.get("key", ""))
        values = ",".join(expr.get("values") or [])
        terms.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})"}.get(
                op, key if op == "Exists" else f"!{key}"
            )
        )
    return ",".join(terms)
