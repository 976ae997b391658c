"""Meaning checks on selectors, tolerations, prioritizers and rollout strategies.

Pure. These fields pass a schema yet make OCM's controllers fail at run time
(a Misconfigured placement, a rollout that never moves). Codes:

* M311 an invalid label selector (placements, cluster sets, decision groups,
  ConfigurationPolicy namespaceSelector);
* M312 an invalid toleration (an empty key needs operator Exists; Exists takes no value);
* M313 an invalid duration in a rollout strategy (``progressDeadline``, ``minSuccessTime``);
* M314 an invalid count or percentage (``maxFailures``, ``maxConcurrency``,
  ``clustersPerDecisionGroup``);
* M326 an unknown built-in prioritizer, or an AddOn score without ``addOn``, when its
  weight is not 0 (OCM ignores a prioritizer of weight 0);
* M331 a ``prioritizerPolicy.mode`` other than Additive or Exact;
* M334 a CEL expression of a placement predicate that does not compile;
* M338 an unknown value of our rollout annotations on a ManifestWorkReplicaSet
  (``gitops-ocm.io/on-failure``: halt or rollback; ``gitops-ocm.io/rollout``:
  paused or active; docs/rollout.md).

The findings on a Placement (:func:`placement`) are all values OCM's API server
accepts and its scheduler reports as ``PlacementMisconfigured``; ``render``
still renders them, to show that condition (docs/problem-codes.md).
"""

from __future__ import annotations

import re
from typing import Any

from gitops_ocm import problems
from gitops_ocm.model import labelselector
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Finding

BUILTIN_PRIORITIZERS = ("Balance", "Steady", "ResourceAllocatableCPU", "ResourceAllocatableMemory")
_DURATION = re.compile(r"^[0-9]+[hms]$")
_COUNT_OR_PERCENT = re.compile(r"^(([0-9]|[1-9][0-9]|100)%|[0-9]+)$")
_GROUP_SIZE = re.compile(r"^((100|[1-9][0-9]{0,1})%|[1-9][0-9]*)$")
_ROLLOUT_KINDS = {
    "All": "all",
    "Progressive": "progressive",
    "ProgressivePerGroup": "progressivePerGroup",
}


def check(obj: Obj) -> list[Finding]:
    """Return rule findings for one object."""
    if obj.kind == "Placement":
        return placement(obj)
    if obj.kind == "ManagedClusterSet":
        selector = (obj.spec.get("clusterSelector") or {}).get("labelSelector")
        return labelselector.check(selector, "/spec/clusterSelector/labelSelector")
    if obj.kind == "ManifestWorkReplicaSet":
        found: list[Finding] = []
        for i, ref in enumerate(obj.spec.get("placementRefs") or []):
            if isinstance(ref, dict):
                found.extend(
                    rollout(ref.get("rolloutStrategy"), f"/spec/placementRefs/{i}/rolloutStrategy")
                )
        found.extend(rollout_annotations(obj.metadata.get("annotations")))
        return found
    if obj.kind == "Policy":
        return _policy(obj.spec)
    return []


ROLLOUT_ANNOTATIONS = {
    "gitops-ocm.io/on-failure": ("halt", "rollback"),
    "gitops-ocm.io/rollout": ("paused", "active"),
}


def rollout_annotations(annotations: Any) -> list[Finding]:
    """Return M338 for a rollout annotation whose value we do not know."""
    if not isinstance(annotations, dict):
        return []
    found: list[Finding] = []
    for key, allowed in ROLLOUT_ANNOTATIONS.items():
        value = annotations.get(key)
        if value is not None and value not in allowed:
            found.append(
                Finding(
                    "M338",
                    "/metadata/annotations/" + key.replace("~", "~0").replace("/", "~1"),
                    f"must be {' or '.join(allowed)}",
                    problems.describe(value),
                )
            )
    return found


def placement(obj: Obj) -> list[Finding]:
    """Return the findings on one Placement: each would make it ``PlacementMisconfigured``."""
    spec = obj.spec
    found: list[Finding] = []
    for i, predicate in enumerate(spec.get("predicates") or []):
        selector = (predicate or {}).get("requiredClusterSelector") or {}
        at = f"/spec/predicates/{i}/requiredClusterSelector"
        found.extend(labelselector.check(selector.get("labelSelector"), f"{at}/labelSelector"))
        found.extend(_claims(selector.get("claimSelector"), f"{at}/claimSelector"))
        found.extend(_cel(selector.get("celSelector"), f"{at}/celSelector/celExpressions"))
    for i, toleration in enumerate(spec.get("tolerations") or []):
        found.extend(_toleration(toleration, f"/spec/tolerations/{i}"))
    found.extend(_prioritizers(spec.get("prioritizerPolicy") or {}))
    found.extend(_groups((spec.get("decisionStrategy") or {}).get("groupStrategy") or {}))
    return found


def _cel(selector: Any, at: str) -> list[Finding]:
    """Return M334 for each CEL expression that does not compile (OCM: Misconfigured)."""
    expressions = selector.get("celExpressions") if isinstance(selector, dict) else None
    if not isinstance(expressions, list) or not expressions:
        return []
    from gitops_ocm.placement import cel  # celpy is slow to import: only when used

    found = []
    for k, text in enumerate(expressions):
        if isinstance(text, str):
            _program, error = cel.compile_expression(text)
            if error is not None:
                found.append(
                    Finding(
                        "M334",
                        f"{at}/{k}",
                        f"{error}; OCM marks the placement Misconfigured",
                        problems.describe(text),
                    )
                )
    return found


def _toleration(toleration: Any, at: str) -> list[Finding]:
    if not isinstance(toleration, dict):
        return []
    key = toleration.get("key") or ""
    operator = toleration.get("operator") or "Equal"
    value = toleration.get("value") or ""
    if not key and operator != "Exists":
        return [
            Finding(
                "M312",
                f"{at}/operator",
                "a toleration with an empty key needs operator Exists",
                problems.describe(operator),
            )
        ]
    if operator == "Exists" and value:
        return [
            Finding(
                "M312",
                f"{at}/value",
                "a toleration with operator Exists takes no value",
                problems.describe(value),
            )
        ]
    return []


def _prioritizers(policy: dict[str, Any]) -> list[Finding]:
    """Return what makes OCM's scheduler call the prioritizer policy Misconfigured.

    As OCM's ``getWeights``: a mode other than Additive or Exact; then each
    coordinate's weight is the last configuration's for it, and only a coordinate
    with a non-zero weight is instantiated, so only then is an unknown built-in
    name or an AddOn coordinate without ``addOn`` an error (weight 0: ignored).
    """
    at = "/spec/prioritizerPolicy"
    mode = policy.get("mode") or "Additive"
    if mode not in ("Additive", "Exact"):
        return [
            Finding(
                "M331",
                f"{at}/mode",
                "prioritizer policy mode must be Additive or Exact; OCM marks the placement "
                "Misconfigured",
                problems.describe(mode),
            )
        ]
    last: dict[tuple[str, str, str, str, bool], tuple[int, Any, dict[str, Any]]] = {}
    for i, config in enumerate(policy.get("configurations") or []):
        coordinate = config.get("scoreCoordinate") if isinstance(config, dict) else None
        if isinstance(coordinate, dict):
            last[_coordinate_key(coordinate)] = (i, config.get("weight", 1), coordinate)
    found = []
    for i, weight, coordinate in last.values():
        if weight != 0:
            found.extend(_coordinate(coordinate, f"{at}/configurations/{i}/scoreCoordinate"))
    return found


def _coordinate_key(coordinate: dict[str, Any]) -> tuple[str, str, str, str, bool]:
    """Return what makes two score coordinates the same prioritizer (a later one wins)."""
    addon = coordinate.get("addOn")
    addon_map = addon if isinstance(addon, dict) else {}
    return (
        str(coordinate.get("type") or "BuiltIn"),
        str(coordinate.get("builtIn") or ""),
        str(addon_map.get("resourceName") or ""),
        str(addon_map.get("scoreName") or ""),
        isinstance(addon, dict),
    )


def _coordinate(coordinate: dict[str, Any], at: str) -> list[Finding]:
    kind = coordinate.get("type") or "BuiltIn"
    if kind == "BuiltIn" and coordinate.get("builtIn") not in BUILTIN_PRIORITIZERS:
        return [
            Finding(
                "M326",
                f"{at}/builtIn",
                f"built-in prioritizer must be one of {', '.join(BUILTIN_PRIORITIZERS)} "
                "(or have weight 0); OCM marks the placement Misconfigured",
                problems.describe(coordinate.get("builtIn")),
            )
        ]
    if kind == "AddOn" and not isinstance(coordinate.get("addOn"), dict):
        return [
            Finding(
                "M326",
                at,
                "an AddOn score needs addOn (resourceName and scoreName); OCM marks the "
                "placement Misconfigured",
            )
        ]
    return []


def _groups(strategy: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    size = strategy.get("clustersPerDecisionGroup")
    at = "/spec/decisionStrategy/groupStrategy"
    if size is not None and not _GROUP_SIZE.match(str(size)):
        found.append(
            Finding(
                "M314",
                f"{at}/clustersPerDecisionGroup",
                "must be a positive count or a percentage from 1% to 100%",
                problems.describe(size),
            )
        )
    for i, group in enumerate(strategy.get("decisionGroups") or []):
        selector = (group or {}).get("groupClusterSelector") or {}
        where = f"{at}/decisionGroups/{i}/groupClusterSelector"
        found.extend(labelselector.check(selector.get("labelSelector"), f"{where}/labelSelector"))
        found.extend(_claims(selector.get("claimSelector"), f"{where}/claimSelector"))
    return found


def _claims(selector: Any, at: str) -> list[Finding]:
    """Return M311 for each invalid requirement of a claim selector."""
    found: list[Finding] = []
    expressions = selector.get("matchExpressions") if isinstance(selector, dict) else None
    for j, expr in enumerate(expressions if isinstance(expressions, list) else []):
        found.extend(
            labelselector.check_requirement(
                expr, f"{at}/matchExpressions/{j}", values_are_labels=False
            )
        )
    return found


def rollout(strategy: Any, at: str) -> list[Finding]:
    """Return findings for one RolloutStrategy located at ``at``."""
    if not isinstance(strategy, dict):
        return []
    kind = strategy.get("type") or "All"
    field = _ROLLOUT_KINDS.get(kind)
    params = strategy.get(field) if field else None
    if not isinstance(params, dict):
        return []
    found = []
    where = f"{at}/{field}"
    deadline = params.get("progressDeadline")
    if deadline is not None and deadline != "None" and not _DURATION.match(str(deadline)):
        found.append(
            Finding(
                "M313",
                f"{where}/progressDeadline",
                "must be 'None' or a duration like 90s, 10m, 2h",
                problems.describe(deadline),
            )
        )
    soak = params.get("minSuccessTime")
    if soak is not None and str(soak) != "0" and not _DURATION.match(str(soak)):
        found.append(
            Finding(
                "M313",
                f"{where}/minSuccessTime",
                "must be a duration like 90s, 10m, 2h",
                problems.describe(soak),
            )
        )
    for name in ("maxFailures", "maxConcurrency"):
        value = params.get(name)
        if value is not None and not _COUNT_OR_PERCENT.match(str(value)):
            found.append(
                Finding(
                    "M314",
                    f"{where}/{name}",
                    "must be a count or a percentage from 0% to 100%",
                    problems.describe(value),
                )
            )
    return found


def _policy(spec: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    for t, template in enumerate(spec.get("policy-templates") or []):
        definition = (template or {}).get("objectDefinition") or {}
        if definition.get("kind") != "ConfigurationPolicy":
            continue
        selector = (definition.get("spec") or {}).get("namespaceSelector") or {}
        at = f"/spec/policy-templates/{t}/objectDefinition/spec/namespaceSelector"
        found.extend(
            labelselector.check(
                {k: selector[k] for k in ("matchLabels", "matchExpressions") if k in selector}, at
            )
        )
    return found
