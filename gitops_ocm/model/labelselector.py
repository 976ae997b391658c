"""Kubernetes label selectors: checking them and matching labels against them.

Pure. Used for Placement predicates and claim selectors, ManagedClusterSet
selectors, decision groups and policy namespace selectors. Semantics follow
``metav1.LabelSelector``: ``matchLabels`` and ``matchExpressions`` are ANDed, an
empty selector matches everything, and operators are In, NotIn, Exists and
DoesNotExist (values required for In/NotIn, forbidden for the other two).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gitops_ocm import problems
from gitops_ocm.problems import Finding

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*"
_KEY = re.compile(rf"^({_PREFIX}/)?{_NAME}$")
_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def key_problem(key: str) -> str | None:
    """Return why ``key`` is not a valid label key, or None."""
    if not _KEY.match(key):
        return "not a valid label key (an optional DNS prefix/ and a name of at most 63 characters)"
    prefix = key.rpartition("/")[0]
    if len(prefix) > 253:
        return "label key prefix is longer than 253 characters"
    return None


def value_problem(value: str) -> str | None:
    """Return why ``value`` is not a valid label value, or None."""
    if len(value) > 63:
        return "label value is longer than 63 characters"
    if not _VALUE.match(value):
        return (
            "not a valid label value (alphanumerics, '-', '_', '.', "
            "starting and ending alphanumeric)"
        )
    return None


def check(selector: Any, at: str, *, values_are_labels: bool = True) -> list[Finding]:
    """Return findings for a malformed selector located at pointer ``at``."""
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [
            Finding("M311", at, "a label selector must be a mapping", problems.describe(selector))
        ]
    found: list[Finding] = []
    match_labels = selector.get("matchLabels") or {}
    if isinstance(match_labels, dict):
        for key, value in match_labels.items():
            found.extend(_check_pair(str(key), value, f"{at}/matchLabels", values_are_labels))
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        found.extend(check_requirement(expr, f"{at}/matchExpressions/{i}", values_are_labels))
    return found


def _check_pair(key: str, value: Any, at: str, values_are_labels: bool) -> list[Finding]:
    where = at + problems.pointer(key)
    why = key_problem(key) if values_are_labels else None
    if why:
        return [Finding("M311", where, why, problems.describe(key))]
    if not isinstance(value, str):
        return [Finding("M311", where, "label value must be a string", problems.describe(value))]
    why = value_problem(value) if values_are_labels else None
    return [Finding("M311", where, why, problems.describe(value))] if why else []


def check_requirement(expr: Any, at: str, values_are_labels: bool = True) -> list[Finding]:
    """Return findings for one ``matchExpressions`` entry."""
    if not isinstance(expr, dict):
        return [Finding("M311", at, "a requirement must be a mapping", problems.describe(expr))]
    found: list[Finding] = []
    key = expr.get("key")
    operator = expr.get("operator")
    values = expr.get("values") or []
    if not isinstance(key, str) or not key:
        found.append(Finding("M311", f"{at}/key", "key is required", problems.describe(key)))
    elif values_are_labels and key_problem(key):
        found.append(Finding("M311", f"{at}/key", key_problem(key) or "", problems.describe(key)))
    if operator not in OPERATORS:
        found.append(
            Finding(
                "M311",
                f"{at}/operator",
                f"operator must be one of {', '.join(OPERATORS)}",
                problems.describe(operator),
            )
        )
    elif operator in ("In", "NotIn") and not values:
        found.append(
            Finding("M311", f"{at}/values", f"operator {operator} needs at least one value")
        )
    elif operator in ("Exists", "DoesNotExist") and values:
        found.append(
            Finding(
                "M311",
                f"{at}/values",
                f"operator {operator} takes no values",
                problems.describe(values),
            )
        )
    for j, value in enumerate(values if isinstance(values, list) else []):
        if not isinstance(value, str):
            found.append(
                Finding(
                    "M311", f"{at}/values/{j}", "values must be strings", problems.describe(value)
                )
            )
        elif values_are_labels and value_problem(value):
            found.append(
                Finding(
                    "M311", f"{at}/values/{j}", value_problem(value) or "", problems.describe(value)
                )
            )
    return found


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Return True when ``labels`` satisfy ``selector`` (None or empty matches all)."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(requirement_matches(e, labels) for e in selector.get("matchExpressions") or [])


def requirement_matches(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Return True when ``labels`` satisfy one requirement."""
    key = expr.get("key", "")
    operator = expr.get("operator")
    values = expr.get("values") or []
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False
