"""OCM's wording for object-template results ("pods [x] not found in namespace default").

Pure. config-policy-controller collapses the per-namespace results of one object
template into a single condition: if any result is non-compliant only the
non-compliant ones are reported; results are grouped by reason (in a fixed order),
then by object names, then by namespace, so the same cluster state always gives
the same message. This module reproduces ``createStatus``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FOUND = "Resource found as expected"
CREATED = "K8s creation success"
UPDATED = "K8s update success"
DELETED = "K8s deletion success"
NO_MATCH = "Resource found but does not match"
NOT_FOUND = "Resource not found but should exist"
FOUND_UNWANTED = "Resource found but should not exist"
MISSING_AS_EXPECTED = "Resource not found as expected"

# reason -> (condition reason, message template filled with resource and " [names]")
_WORDING = {
    FOUND: ("K8s `must have` object already exists", "{}{} found as specified"),
    CREATED: (CREATED, "{}{} was created successfully"),
    UPDATED: (UPDATED, "{}{} was updated successfully"),
    DELETED: (DELETED, "{}{} was deleted successfully"),
    NOT_FOUND: ("K8s does not have a `must have` object", "{}{} not found"),
    NO_MATCH: ("K8s does not have a `must have` object", "{}{} found but not as specified"),
    MISSING_AS_EXPECTED: ("K8s `must not have` object already missing", "{}{} missing as expected"),
    FOUND_UNWANTED: ("K8s has a `must not have` object", "{}{} found"),
}
_ORDER = (
    FOUND,
    CREATED,
    UPDATED,
    DELETED,
    NOT_FOUND,
    NO_MATCH,
    MISSING_AS_EXPECTED,
    FOUND_UNWANTED,
)


@dataclass(frozen=True)
class Result:
    """The outcome for one object template in one namespace ("" when cluster-scoped)."""

    namespace: str
    names: tuple[str, ...]
    compliant: bool
    reason: str
    message: str = ""


@dataclass(frozen=True)
class Summary:
    """One object template's condition: compliance, reason and message."""

    compliant: bool
    reason: str
    message: str


def summarize(resource: str, results: Sequence[Result]) -> Summary:
    """Collapse per-namespace results into OCM's condition reason and message."""
    compliant = all(r.compliant for r in results)
    shown = [r for r in results if r.compliant == compliant]
    reasons = [*_ORDER, *sorted({r.reason for r in shown} - set(_ORDER))]
    parts_reason: list[str] = []
    parts_message: list[str] = []
    for reason in reasons:
        group = sorted(
            (r for r in shown if r.reason == reason), key=lambda r: (r.namespace, r.names)
        )
        if not group:
            continue
        if reason not in _WORDING:
            parts_reason.append(reason)
            parts_message.extend(r.message for r in group)
            continue
        parts_reason.append(_WORDING[reason][0])
        parts_message.append(_wording(resource, _WORDING[reason][1], group))
    return Summary(compliant, "; ".join(parts_reason), "; ".join(parts_message))


def _wording(resource: str, template: str, group: Sequence[Result]) -> str:
    namespaces_by_names: dict[str, list[str]] = {}
    for result in group:
        namespaces_by_names.setdefault(", ".join(result.names), []).append(result.namespace)
    names_by_template: dict[str, list[str]] = {}
    for names in sorted(namespaces_by_names):
        where = sorted({ns for ns in namespaces_by_names[names] if ns})
        suffix = ""
        if where:
            suffix = (" in namespaces: " if len(where) > 1 else " in namespace ") + ", ".join(where)
        names_by_template.setdefault(template + suffix, []).append(names)
    lines = []
    for line in sorted(names_by_template):
        joined = ", ".join(sorted(names_by_template[line]))
        lines.append(line.format(resource, f" [{joined}]" if joined else ""))
    return "; ".join(lines)
