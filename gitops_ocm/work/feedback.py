"""Status feedback: OCM's WellKnownStatus values per kind, and JSONPaths rules.

Pure. Values are typed as OCM types them: ``Integer``, ``String``, ``Boolean``.
A missing field gives no value (not an error); a path that yields a map or a
list, a path outside the supported subset (see :mod:`.jsonpath`) or a
``version`` that differs from the manifest's is an error, which makes the
manifest's ``StatusFeedbackSynced`` False while the other values are still reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from gitops_ocm.model.body import Body
from gitops_ocm.work import jsonpath, spec

WELL_KNOWN: dict[str, tuple[tuple[str, str], ...]] = {
    "Deployment": (
        ("ReadyReplicas", ".status.readyReplicas"),
        ("Replicas", ".status.replicas"),
        ("AvailableReplicas", ".status.availableReplicas"),
    ),
    "DaemonSet": (
        ("NumberReady", ".status.numberReady"),
        ("DesiredNumberScheduled", ".status.desiredNumberScheduled"),
        ("NumberAvailable", ".status.numberAvailable"),
    ),
    "Job": (
        ("JobComplete", '.status.conditions[?(@.type=="Complete")].status'),
        ("JobSucceeded", ".status.succeeded"),
    ),
    "Pod": (
        ("PodReady", '.status.conditions[?(@.type=="Ready")].status'),
        ("PodPhase", ".status.phase"),
    ),
}


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The values of one manifest and the errors met while collecting them."""

    values: tuple[Body, ...]
    errors: tuple[str, ...]
    has_rules: bool


def field_value(value: Any) -> Body | None:
    """Return OCM's ``fieldValue`` for a scalar, None for anything else."""
    if isinstance(value, bool):
        return {"type": "Boolean", "boolean": value}
    if isinstance(value, int):
        return {"type": "Integer", "integer": value}
    if isinstance(value, float) and value.is_integer():
        return {"type": "Integer", "integer": int(value)}
    if isinstance(value, str):
        return {"type": "String", "string": value}
    return None


def _one(obj: Body, name: str, path: str) -> tuple[Body | None, str]:
    try:
        found, value = jsonpath.get(obj, path)
    except jsonpath.PathError as exc:
        return None, f"{name}: {exc}"
    if not found or value is None:
        return None, ""
    typed = field_value(value)
    if typed is None:
        return None, f"{name}: the value at {path} is a {type(value).__name__}, not a scalar"
    return {"name": name, "fieldValue": typed}, ""


def collect(
    rules: Sequence[spec.FeedbackRule], meta: spec.ResourceMeta, obj: Body | None
) -> Feedback:
    """Return the feedback values of ``obj`` (None: the object is absent, no values)."""
    if not rules:
        return Feedback((), (), False)
    if obj is None:
        return Feedback((), (), True)
    values: list[Body] = []
    problems: list[str] = []
    for rule in rules:
        for name, path, version in _paths(rule, meta, problems):
            if version and version != meta.version:
                problems.append(f"{name}: version {version} does not match {meta.version}")
                continue
            value, problem = _one(obj, name, path)
            if value is not None:
                values.append(value)
            if problem:
                problems.append(problem)
    return Feedback(tuple(values), tuple(problems), True)


def _paths(
    rule: spec.FeedbackRule, meta: spec.ResourceMeta, problems: list[str]
) -> list[tuple[str, str, str]]:
    if rule.type == "WellKnownStatus":
        return [(name, path, "") for name, path in WELL_KNOWN.get(meta.kind, ())]
    if rule.type == "JSONPaths":
        return [(p.name, p.path, p.version) for p in rule.json_paths]
    problems.append(f"unknown feedback rule type {rule.type!r}")
    return []
