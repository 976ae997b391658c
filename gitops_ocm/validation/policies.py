"""Meaning checks on Policies and PolicySets: the rules of the policy framework's webhooks.

Pure. The governance-policy-propagator's admission webhooks refuse (the name
rule, ``<namespace>.<name>`` within 62 characters, is M320 in names.py):

* M335 a Policy without ``spec.remediationAction`` whose ConfigurationPolicy
  template has none either ("cannot both be unset");
* M336 a PolicySet exclusion that names a policy twice, or a policy that is not
  in the set's ``spec.policies``.
"""

from __future__ import annotations

from typing import Any

from gitops_ocm import problems
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Finding


def check(obj: Obj) -> list[Finding]:
    """Return the webhook findings of a Policy or a PolicySet."""
    if obj.kind == "Policy":
        return _remediation(obj.spec)
    if obj.kind == "PolicySet":
        return _exclusions(obj.spec)
    return []


def _remediation(spec: dict[str, Any]) -> list[Finding]:
    if spec.get("remediationAction"):
        return []
    found = []
    for t, template in enumerate(spec.get("policy-templates") or []):
        definition = template.get("objectDefinition") if isinstance(template, dict) else None
        if not isinstance(definition, dict) or definition.get("kind") != "ConfigurationPolicy":
            continue
        config = definition.get("spec")
        if not isinstance(config, dict) or not isinstance(config.get("remediationAction"), str):
            found.append(
                Finding(
                    "M335",
                    f"/spec/policy-templates/{t}/objectDefinition/spec",
                    "the remediationAction of the policy and of its ConfigurationPolicy "
                    "cannot both be unset",
                )
            )
    return found


def _exclusions(spec: dict[str, Any]) -> list[Finding]:
    members = {p for p in spec.get("policies") or [] if isinstance(p, str)}
    seen: set[str] = set()
    found = []
    for i, exclusion in enumerate(spec.get("exclusions") or []):
        name = exclusion.get("policyName") if isinstance(exclusion, dict) else None
        if not isinstance(name, str):
            continue
        at = f"/spec/exclusions/{i}/policyName"
        if name in seen:
            found.append(
                Finding("M336", at, "this policy is already excluded", problems.describe(name))
            )
        elif name not in members:
            found.append(
                Finding(
                    "M336",
                    at,
                    "an exclusion must name a policy of the set's spec.policies",
                    problems.describe(name),
                )
            )
        seen.add(name)
    return found
