"""Evaluate a ConfigurationPolicy against live objects: compliance, details and changes.

Pure: no I/O and no clock (``now`` is passed in). ``evaluate`` reads live objects
through a ``LiveView`` and returns an ``Evaluation``: the overall compliance, one
condition per object template in OCM's wording, the related objects, and for
``enforce`` the changes to make (``Create``, ``Update``, ``Delete``). Like OCM, an
enforced evaluation reports the state *after* its changes ("was created
successfully"); the shell applies the changes and, if one fails, reports that
instead. Unnamed object templates are always inform-only. A Policy's
remediationAction (any case) overrides the template's.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gitops_ocm.model import labelselector
from gitops_ocm.policy import match, messages, namespaces, objects
from gitops_ocm.policy.live import LiveView, ObjectRef, resource_name

COMPLIANT = "Compliant"
NONCOMPLIANT = "NonCompliant"
INFORM = "inform"
ENFORCE = "enforce"


@dataclass(frozen=True)
class Create:
    """Create this object."""

    obj: dict[str, Any]


@dataclass(frozen=True)
class Update:
    """Replace the live object with this merged object."""

    obj: dict[str, Any]


@dataclass(frozen=True)
class Delete:
    """Delete the object with this reference."""

    ref: ObjectRef


Change = Create | Update | Delete


@dataclass(frozen=True)
class Condition:
    """A ``compliancyDetails[].conditions[]`` entry."""

    type: str
    reason: str
    message: str
    last_transition_time: str

    def to_dict(self) -> dict[str, Any]:
        """Return the status form."""
        return {
            "type": self.type,
            "status": "True",
            "lastTransitionTime": self.last_transition_time,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class TemplateDetail:
    """The result of one object template."""

    index: int
    compliant: str
    condition: Condition

    def to_dict(self) -> dict[str, Any]:
        """Return the ``compliancyDetails[]`` form."""
        return {"Compliant": self.compliant, "conditions": [self.condition.to_dict()]}


@dataclass(frozen=True)
class RelatedObject:
    """An object the policy looked at, with its own compliance."""

    ref: ObjectRef
    compliant: str
    reason: str
    created_by_policy: bool | None = None
    uid: str = ""
    diff: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the ``relatedObjects[]`` form."""
        out: dict[str, Any] = {
            "object": self.ref.to_dict(),
            "compliant": self.compliant,
            "reason": self.reason,
        }
        if self.created_by_policy is not None:
            props: dict[str, Any] = {"createdByPolicy": self.created_by_policy}
            props.update({k: v for k, v in (("uid", self.uid), ("diff", self.diff)) if v})
            out["properties"] = props
        return out


@dataclass(frozen=True)
class Evaluation:
    """The outcome of evaluating one ConfigurationPolicy."""

    compliant: str
    details: tuple[TemplateDetail, ...]
    related_objects: tuple[RelatedObject, ...]
    changes: tuple[Change, ...]
    severity: str
    remediation_action: str
    last_evaluated: str

    def to_status(self) -> dict[str, Any]:
        """Return the ConfigurationPolicy ``status`` this evaluation describes."""
        return {
            "compliant": self.compliant,
            "compliancyDetails": [d.to_dict() for d in self.details],
            "relatedObjects": [r.to_dict() for r in self.related_objects],
            "lastEvaluated": self.last_evaluated,
        }


@dataclass(frozen=True)
class _Context:
    live: LiveView
    remediation: str
    selector: Mapping[str, Any] | None
    previous: Mapping[ObjectRef, Mapping[str, Any]]


@dataclass(frozen=True)
class _Outcome:
    results: tuple[messages.Result, ...]
    related: tuple[RelatedObject, ...] = ()
    changes: tuple[Change, ...] = ()


def evaluate(
    policy_template: Mapping[str, Any],
    live: LiveView,
    *,
    remediation_override: str | None = None,
    now: str,
) -> Evaluation:
    """Evaluate a ConfigurationPolicy object against ``live`` at time ``now``."""
    spec = policy_template.get("spec") or {}
    remediation = str(remediation_override or spec.get("remediationAction") or INFORM).lower()
    ctx = _Context(
        live, remediation, spec.get("namespaceSelector"), _previous_related(policy_template)
    )
    details: list[TemplateDetail] = []
    related: dict[ObjectRef, RelatedObject] = {}
    changes: list[Change] = []
    for index, object_template in enumerate(spec.get("object-templates") or []):
        summary, outcome = _evaluate_template(object_template, ctx)
        kind = "notification" if summary.compliant else "violation"
        condition = Condition(kind, summary.reason, summary.message, now)
        details.append(
            TemplateDetail(index, COMPLIANT if summary.compliant else NONCOMPLIANT, condition)
        )
        related.update((r.ref, r) for r in outcome.related)
        changes.extend(outcome.changes)
    compliant = COMPLIANT if all(d.compliant == COMPLIANT for d in details) else NONCOMPLIANT
    return Evaluation(
        compliant,
        tuple(details),
        tuple(sorted(related.values(), key=lambda r: r.ref)),
        tuple(changes),
        str(spec.get("severity") or ""),
        remediation,
        now,
    )


def message(evaluation: Evaluation) -> str:
    """Return the compliance event message ("NonCompliant; violation - pods [x] not found...")."""
    parts = [evaluation.compliant]
    parts.extend(f"{d.condition.type} - {d.condition.message}" for d in evaluation.details)
    return "; ".join(parts)


def _evaluate_template(
    object_template: Mapping[str, Any], ctx: _Context
) -> tuple[messages.Summary, _Outcome]:
    definition = dict(object_template.get("objectDefinition") or {})
    api_version, kind = str(definition.get("apiVersion", "")), str(definition.get("kind", ""))
    metadata = definition.get("metadata") or {}
    name, namespace = str(metadata.get("name") or ""), str(metadata.get("namespace") or "")
    namespaced = ctx.live.is_namespaced(api_version, kind)
    try:
        targets = _targets(namespaced, namespace, ctx)
    except namespaces.PatternError as exc:
        text = f"Error filtering namespaces with provided namespaceSelector: {exc}"
        return messages.Summary(False, "namespaceSelector error", text), _Outcome(())
    if not targets:
        text = (
            f"namespaced object{' ' if name else ''}{name} of kind {kind} has no namespace "
            "specified from the policy namespaceSelector nor the object metadata"
        )
        return messages.Summary(False, "K8s missing namespace", text), _Outcome(())
    outcomes = [_evaluate_in(object_template, definition, ns, ctx) for ns in targets]
    outcome = _Outcome(
        tuple(r for o in outcomes for r in o.results),
        tuple(r for o in outcomes for r in o.related),
        tuple(c for o in outcomes for c in o.changes),
    )
    return messages.summarize(resource_name(kind), outcome.results), outcome


def _targets(namespaced: bool, namespace: str, ctx: _Context) -> list[str]:
    if not namespaced:
        return [""]
    if namespace:
        return [namespace]
    return namespaces.select(ctx.selector, ctx.live.namespaces())


def _evaluate_in(
    object_template: Mapping[str, Any], definition: dict[str, Any], namespace: str, ctx: _Context
) -> _Outcome:
    desired = copy.deepcopy(definition)
    if namespace:
        desired.setdefault("metadata", {})["namespace"] = namespace
    if (desired.get("metadata") or {}).get("name"):
        return _evaluate_named(object_template, desired, namespace, ctx)
    return _evaluate_unnamed(object_template, desired, namespace, ctx)


def _compliance_types(object_template: Mapping[str, Any]) -> tuple[str, str | None]:
    ctype = str(object_template.get("complianceType") or match.MUSTHAVE).lower()
    md_type = object_template.get("metadataComplianceType")
    return ctype, (str(md_type).lower() if md_type else None)


def _evaluate_named(
    object_template: Mapping[str, Any], desired: dict[str, Any], namespace: str, ctx: _Context
) -> _Outcome:
    ref = ObjectRef.of(desired)
    ctype, md_type = _compliance_types(object_template)
    existing = ctx.live.get(ref.api_version, ref.kind, namespace, ref.name)
    enforce = ctx.remediation == ENFORCE
    if ctype == match.MUSTNOTHAVE:
        return _named_mustnothave(ref, namespace, existing is not None, enforce)
    if existing is None:
        return _named_missing(ref, desired, namespace, enforce)
    comparison = objects.compare(desired, dict(existing), ctype, md_type)
    return _named_existing(ref, namespace, existing, comparison, enforce, ctx)


def _named_mustnothave(ref: ObjectRef, namespace: str, exists: bool, enforce: bool) -> _Outcome:
    changes: tuple[Change, ...] = ()
    if not exists:
        reason, compliant = messages.MISSING_AS_EXPECTED, True
    elif enforce:
        reason, compliant, changes = messages.DELETED, True, (Delete(ref),)
    else:
        reason, compliant = messages.FOUND_UNWANTED, False
    result = messages.Result(namespace, (ref.name,), compliant, reason)
    return _Outcome((result,), (RelatedObject(ref, _state(compliant), reason),), changes)


def _named_missing(
    ref: ObjectRef, desired: dict[str, Any], namespace: str, enforce: bool
) -> _Outcome:
    if not enforce:
        result = messages.Result(namespace, (ref.name,), False, messages.NOT_FOUND)
        return _Outcome((result,), (RelatedObject(ref, NONCOMPLIANT, messages.NOT_FOUND),))
    result = messages.Result(namespace, (ref.name,), True, messages.CREATED)
    if "status" in desired:
        where = f"[{ref.name}]" + (f" in namespace {namespace}" if namespace else "")
        text = (
            f"{resource_name(ref.kind)} {where} was created successfully, "
            "the status of the object will be verified in the next evaluation"
        )
        result = messages.Result(
            namespace, (ref.name,), False, messages.CREATED + ", status unchecked", text
        )
    related = RelatedObject(ref, _state(result.compliant), result.reason, created_by_policy=True)
    return _Outcome((result,), (related,), (Create(desired),))


def _named_existing(
    ref: ObjectRef,
    namespace: str,
    existing: Mapping[str, Any],
    comparison: objects.Comparison,
    enforce: bool,
    ctx: _Context,
) -> _Outcome:
    changes: tuple[Change, ...] = ()
    if comparison.error:
        result = messages.Result(
            namespace, (ref.name,), False, "K8s update template error", comparison.error
        )
    elif comparison.matches:
        result = messages.Result(namespace, (ref.name,), True, messages.FOUND)
    else:
        changes = (Update(comparison.merged),) if enforce and comparison.update_needed else ()
        fixed = enforce and not comparison.status_mismatch
        result = messages.Result(
            namespace, (ref.name,), fixed, messages.UPDATED if fixed else messages.NO_MATCH
        )
    uid = str((existing.get("metadata") or {}).get("uid") or "")
    diff = "" if ref.kind == "Secret" else "; ".join(comparison.differences)
    created = _created_before(ctx.previous.get(ref), uid)
    related = RelatedObject(ref, _state(result.compliant), result.reason, created, uid, diff)
    return _Outcome((result,), (related,), changes)


def _evaluate_unnamed(
    object_template: Mapping[str, Any], desired: dict[str, Any], namespace: str, ctx: _Context
) -> _Outcome:
    ctype, md_type = _compliance_types(object_template)
    api_version, kind = str(desired.get("apiVersion", "")), str(desired.get("kind", ""))
    selector = object_template.get("objectSelector")
    candidates = [
        o
        for o in ctx.live.list(api_version, kind, namespace)
        if labelselector.matches(selector, (o.get("metadata") or {}).get("labels") or {})
    ]
    matched = tuple(
        sorted(
            ObjectRef.of(o).name
            for o in candidates
            if objects.compare(desired, dict(o), ctype, md_type, lenient=True).matches
        )
    )
    compliant, reason = _unnamed_state(ctype != match.MUSTNOTHAVE, bool(matched), bool(candidates))
    result = messages.Result(namespace, matched, compliant, reason)
    names = matched or ("-",)
    related = tuple(
        RelatedObject(ObjectRef(api_version, kind, namespace, n), _state(compliant), reason)
        for n in names
    )
    return _Outcome((result,), related)


def _unnamed_state(should_exist: bool, matched: bool, any_candidates: bool) -> tuple[bool, str]:
    if should_exist and matched:
        return True, messages.FOUND
    if should_exist:
        return False, messages.NO_MATCH if any_candidates else messages.NOT_FOUND
    if matched:
        return False, messages.FOUND_UNWANTED
    return True, messages.MISSING_AS_EXPECTED


def _previous_related(policy_template: Mapping[str, Any]) -> dict[ObjectRef, Mapping[str, Any]]:
    status = policy_template.get("status") or {}
    found: dict[ObjectRef, Mapping[str, Any]] = {}
    for related in status.get("relatedObjects") or []:
        found[ObjectRef.of(related.get("object") or {})] = related.get("properties") or {}
    return found


def _created_before(properties: Mapping[str, Any] | None, uid: str) -> bool:
    if not properties or not properties.get("createdByPolicy"):
        return False
    recorded = str(properties.get("uid") or "")
    return not recorded or not uid or recorded == uid


def _state(compliant: bool) -> str:
    return COMPLIANT if compliant else NONCOMPLIANT


def sequence_of(changes: Sequence[Change]) -> list[str]:
    """Return a readable one-line form of each change (for logs and tests)."""
    out = []
    for change in changes:
        if isinstance(change, Delete):
            out.append(f"delete {change.ref.kind} {change.ref.namespace}/{change.ref.name}")
        else:
            ref = ObjectRef.of(change.obj)
            out.append(f"{type(change).__name__.lower()} {ref.kind} {ref.namespace}/{ref.name}")
    return out
