"""One governance pass on the agent: evaluate, enforce and report each replicated policy.

I/O shell: reads the cluster (through :class:`.liveview.ClusterView`), writes it
for enforced changes, and returns report files; it never touches Git. For each
replicated Policy of the cluster (``clusters/<c>/policies/<ns>.<name>.yaml``) and
each of its ConfigurationPolicy templates:

1. gate on ``spec.dependencies`` and the template's ``extraDependencies`` against
   the compliance the *previous* report gave (other replicated policies by
   ``<ns>.<name>``, ConfigurationPolicies by template name): unmet ⇒ Pending;
2. skip it when its ``evaluationInterval`` says it is not due (the previous
   report's ``lastEvaluated``; a changed template is always due);
3. evaluate with the Policy's ``spec.remediationAction`` as override and, when
   enforced, make the changes through the Cluster (create, update, delete); a
   failed change is reported instead of the evaluator's "after" state;
4. build the template's history with OCM's message prefixes.

Templates of other kinds are reported NonCompliant with a ``template-error`` (we
have no controller for them). Templates whose Policy left the hub (or that left
their Policy) are pruned per their recorded ``pruneObjectBehavior``. Errors are
collected per policy as typed failures (:class:`PolicyFailure`,
:class:`TemplatePruneFailure`); the previous files of a policy that failed are kept.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from gitops_ocm import errors
from gitops_ocm.governance import liveview, reports
from gitops_ocm.kube import cluster as kube
from gitops_ocm.model import timefmt, yamlout
from gitops_ocm.model.body import Body
from gitops_ocm.policy import dependencies, evaluate, interval, prune
from gitops_ocm.policy.live import ObjectRef, resource_name

CONFIGURATION_POLICY = "ConfigurationPolicy"


@dataclasses.dataclass(frozen=True)
class PolicyFailure:
    """A replicated policy could not be evaluated or enforced; its last files are kept."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.InvalidInput
    policy: str
    message: str

    def __str__(self) -> str:
        return f"policy {self.policy}: {self.message}"


@dataclasses.dataclass(frozen=True)
class TemplatePruneFailure:
    """What a template that left the hub created could not be pruned; its report is kept."""

    error: ClassVar[type[errors.GitopsOcmError]] = errors.InvalidInput
    policy: str
    template: str
    message: str

    def __str__(self) -> str:
        return f"pruning policy {self.policy} template {self.template}: {self.message}"


@dataclasses.dataclass
class Outcome:
    """What a governance pass produced (filled in as the pass goes)."""

    files: dict[str, bytes] = dataclasses.field(default_factory=dict)
    policies: int = 0
    evaluated: int = 0
    changed: int = 0
    pruned: int = 0
    failures: list[PolicyFailure | TemplatePruneFailure] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class _Previous:
    """The governance part of the previous report, parsed."""

    policies: dict[str, Body]
    templates: dict[tuple[str, str], Body]
    raw: dict[str, bytes]

    @classmethod
    def of(cls, files: Mapping[str, bytes]) -> _Previous:
        policies: dict[str, Body] = {}
        templates: dict[tuple[str, str], Body] = {}
        raw: dict[str, bytes] = {}
        for path, data in files.items():
            if not reports.is_governance(path):
                continue
            raw[path] = data
            body = yamlout.load_mapping(data)
            if (name := reports.split_policy_path(path)) is not None:
                policies[name] = body
            elif (key := reports.split_template_path(path)) is not None:
                templates[key] = body
        return cls(policies, templates, raw)

    def statuses(self, cluster: str) -> dict[dependencies.Key, str]:
        """Compliance by dependency key: replicated Policies and ConfigurationPolicies."""
        found: dict[dependencies.Key, str] = {}
        for name, body in self.policies.items():
            found[("Policy", cluster, name)] = _compliant(body)
        for (_, template), body in self.templates.items():
            found[(CONFIGURATION_POLICY, cluster, template)] = _compliant(body)
        return found


class Runner:
    """Runs governance for one cluster at one time."""

    def __init__(self, cluster: kube.Cluster, cluster_name: str, now: datetime.datetime) -> None:
        self.cluster = cluster
        self.name = cluster_name
        self.now = now
        self.stamp = timefmt.format_seconds(now)
        self.view = liveview.ClusterView(cluster)

    def run(self, policies: Mapping[str, Body], previous_files: Mapping[str, bytes]) -> Outcome:
        """Evaluate ``{replicated name: Policy}`` given the previous report's files."""
        previous = _Previous.of(previous_files)
        statuses = previous.statuses(self.name)
        outcome = Outcome()
        active = {n: p for n, p in sorted(policies.items()) if not _spec(p).get("disabled")}
        for name, policy in active.items():
            outcome.policies += 1
            try:
                outcome.files |= self._policy(name, policy, previous, statuses, outcome)
            except errors.GitopsOcmError as exc:
                outcome.failures.append(PolicyFailure(name, str(exc)))
                outcome.files |= {p: d for p, d in previous.raw.items() if _owned(p, name)}
        kept = {k for k in previous.templates if reports.template_path(*k) in outcome.files}
        for key in sorted(set(previous.templates) - kept):
            self._retire(key, previous, outcome)
        return outcome

    def _policy(
        self,
        name: str,
        policy: Body,
        previous: _Previous,
        statuses: Mapping[dependencies.Key, str],
        outcome: Outcome,
    ) -> dict[str, bytes]:
        before = previous.policies.get(name) or {}
        old_details = reports.previous_details(before)
        files: dict[str, bytes] = {}
        details = []
        for entry in _spec(policy).get("policy-templates") or []:
            definition = entry.get("objectDefinition") or {}
            template = str((definition.get("metadata") or {}).get("name") or "")
            message, report = self._template(name, policy, entry, previous, statuses, outcome)
            if report is not None:
                files[reports.template_path(name, template)] = yamlout.dump(report)
            event = reports.event_name(self.name, name, template, self.stamp, message)
            details.append(
                reports.detail(template, old_details.get(template), message, self.stamp, event)
            )
        body = reports.policy_report(self.name, name, details, _compliant(before))
        files[reports.policy_path(name)] = yamlout.dump(body)
        return files

    def _template(
        self,
        name: str,
        policy: Body,
        entry: Mapping[str, Any],
        previous: _Previous,
        statuses: Mapping[dependencies.Key, str],
        outcome: Outcome,
    ) -> tuple[str, Body | None]:
        """Return the template's event message and its ConfigurationPolicy report (if any)."""
        definition = dict(entry.get("objectDefinition") or {})
        template = str((definition.get("metadata") or {}).get("name") or "")
        old = previous.templates.get((name, template))
        if definition.get("kind") != CONFIGURATION_POLICY:
            kind = f"{definition.get('apiVersion', '')} {definition.get('kind', '')}".strip()
            text = f"Mapping not found for {kind}: the agent evaluates ConfigurationPolicy only"
            return f"NonCompliant; template-error; {text}", None
        gate = dependencies.gate(policy, entry, statuses, self.name)
        if not gate.satisfied:
            return dependencies.event_message(gate), old
        override = _spec(policy).get("remediationAction")
        override = str(override) if override else None
        digest = reports.template_hash(definition, override)
        old_status = (old or {}).get("status") or {}
        if old is not None and reports.recorded_hash(old) == digest:
            last = timefmt.parse((old_status or {}).get("lastEvaluated"))
            if not interval.due(definition.get("spec") or {}, _compliant(old), last, self.now):
                return _last_message(previous.policies.get(name), template, old), old
        return self._evaluate(name, template, definition, override, digest, old, outcome)

    def _evaluate(
        self,
        name: str,
        template: str,
        definition: Body,
        override: str | None,
        digest: str,
        old: Body | None,
        outcome: Outcome,
    ) -> tuple[str, Body]:
        subject = {**definition, "status": (old or {}).get("status") or {}}
        evaluation = evaluate.evaluate(
            subject, self.view, remediation_override=override, now=self.stamp
        )
        outcome.evaluated += 1
        evaluation = self._enforce(evaluation, outcome)
        spec = definition.get("spec") or {}
        settings = {
            "hash": digest,
            "remediationAction": evaluation.remediation_action,
            "pruneObjectBehavior": str(spec.get("pruneObjectBehavior") or "None"),
        }
        keep = interval.setting(spec, evaluation.compliant) == interval.WATCH
        report = reports.configuration_policy_report(
            self.name, name, template, settings, evaluation.to_status(), old, keep
        )
        return evaluate.message(evaluation), report

    def _enforce(self, evaluation: evaluate.Evaluation, outcome: Outcome) -> evaluate.Evaluation:
        """Make the evaluation's changes; return it with uids filled in and failures reported."""
        related = {r.ref: r for r in evaluation.related_objects}
        failures: list[str] = []
        for change in evaluation.changes:
            ref = change.ref if isinstance(change, evaluate.Delete) else ObjectRef.of(change.obj)
            try:
                written = self._change(change)
            except errors.GitopsOcmError as exc:
                verb = type(change).__name__.lower()
                where = f" in namespace {ref.namespace}" if ref.namespace else ""
                text = f"{resource_name(ref.kind)} [{ref.name}]{where}"
                failures.append(f"violation - failed to {verb} {text}: {exc}")
                if ref in related:
                    reason = f"K8s {verb} error"
                    related[ref] = dataclasses.replace(
                        related[ref], compliant=evaluate.NONCOMPLIANT, reason=reason
                    )
                    if isinstance(change, evaluate.Create):
                        related[ref] = dataclasses.replace(related[ref], created_by_policy=False)
                continue
            outcome.changed += 1
            if isinstance(change, evaluate.Create) and ref in related and written is not None:
                uid = str((written.get("metadata") or {}).get("uid") or "")
                related[ref] = dataclasses.replace(related[ref], uid=uid)
        if not failures:
            return dataclasses.replace(evaluation, related_objects=tuple(related.values()))
        return _failed(evaluation, tuple(related.values()), failures, self.stamp)

    def _change(self, change: evaluate.Change) -> Body | None:
        if isinstance(change, evaluate.Create):
            return self.cluster.create(change.obj)
        if isinstance(change, evaluate.Update):
            return self.cluster.update(change.obj)
        ref = change.ref
        self.cluster.delete(ref.api_version, ref.kind, ref.name, ref.namespace or None)
        return None

    def _retire(self, key: tuple[str, str], previous: _Previous, outcome: Outcome) -> None:
        """Prune what a template that left the hub created (pruneObjectBehavior)."""
        body = previous.templates[key]
        try:
            deletes = prune.prune_changes(body, prune.created_refs(body), self.view)
            for change in deletes:
                ref = change.ref
                self.cluster.delete(ref.api_version, ref.kind, ref.name, ref.namespace or None)
                outcome.pruned += 1
        except errors.GitopsOcmError as exc:
            outcome.failures.append(TemplatePruneFailure(key[0], key[1], str(exc)))
            outcome.files[reports.template_path(*key)] = previous.raw[reports.template_path(*key)]


def _failed(
    evaluation: evaluate.Evaluation,
    related: tuple[evaluate.RelatedObject, ...],
    failures: list[str],
    stamp: str,
) -> evaluate.Evaluation:
    """Return ``evaluation`` as NonCompliant with the apply failures as its only detail."""
    text = "; ".join(f.removeprefix("violation - ") for f in failures)
    condition = evaluate.Condition("violation", "K8s update error", text, stamp)
    detail = evaluate.TemplateDetail(0, evaluate.NONCOMPLIANT, condition)
    return dataclasses.replace(
        evaluation, compliant=evaluate.NONCOMPLIANT, details=(detail,), related_objects=related
    )


def _last_message(policy_report: Body | None, template: str, old: Body) -> str:
    entry = reports.previous_details(policy_report or {}).get(template) or {}
    history = entry.get("history") or []
    if history and isinstance(history[0], dict) and history[0].get("message"):
        return str(history[0]["message"])
    return f"{_compliant(old) or 'Pending'}; evaluation skipped by evaluationInterval"


def _owned(path: str, replicated: str) -> bool:
    return path == reports.policy_path(replicated) or path.startswith(
        f"{reports.CONFIGURATION_POLICIES}{replicated}/"
    )


def _spec(policy: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = policy.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _compliant(body: Mapping[str, Any]) -> str:
    return str((body.get("status") or {}).get("compliant") or "")
