"""Policy dependencies: a template waits (Pending) until named objects reach a compliance.

Pure. ``spec.dependencies`` apply to every template of a Policy and a template's
``extraDependencies`` add to them. Each names an object (``apiVersion``, ``kind``,
``name``, optional ``namespace``) whose ``status.compliant`` must equal
``compliance`` (default Compliant). Dependencies on Policies use the replicated
name ``<namespace>.<name>`` in the cluster namespace, as OCM canonicalises them per
cluster; other ``*Policy`` kinds of the policy API group are looked up in the cluster
namespace. An unmet template is Pending with OCM's message, or Compliant when the
template sets ``ignorePending: true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POLICY_GROUP = "policy.open-cluster-management.io"
ROOT_POLICY_LABEL = "policy.open-cluster-management.io/root-policy"
COMPLIANT = "Compliant"
PENDING = "Pending"
NONCOMPLIANT = "NonCompliant"

Key = tuple[str, str, str]


@dataclass(frozen=True)
class GateResult:
    """Whether a template may be applied; otherwise its state and message."""

    satisfied: bool
    compliance: str = ""
    message: str = ""
    unmet: tuple[Key, ...] = ()


def gate(
    policy: Mapping[str, Any],
    template: Mapping[str, Any],
    statuses: Mapping[Key, str],
    cluster_namespace: str,
) -> GateResult:
    """Check a template's dependencies against ``statuses`` ((kind, ns, name) -> compliance)."""
    wanted: dict[Key, str] = {}
    for dep in (policy.get("spec") or {}).get("dependencies") or []:
        wanted[_key(dep, policy, cluster_namespace)] = _compliance(dep)
    for dep in template.get("extraDependencies") or []:
        key = _key(dep, policy, cluster_namespace)
        if key in wanted and wanted[key] != _compliance(dep):
            text = f"dependency on {key[2]} has conflicting compliance states"
            return GateResult(
                False, NONCOMPLIANT, f"Failed to decode policy template with err: {text}", (key,)
            )
        wanted[key] = _compliance(dep)
    unmet = tuple(sorted(k for k, want in wanted.items() if statuses.get(k) != want))
    if not unmet:
        return GateResult(True)
    text = pending_message(unmet)
    if template.get("ignorePending"):
        return GateResult(False, COMPLIANT, text + " but ignorePending is true", unmet)
    return GateResult(False, PENDING, text, unmet)


def pending_message(unmet: tuple[Key, ...]) -> str:
    """Return OCM's text: 'Dependencies were not satisfied: 1 is still pending (Policy ns.a)'."""
    names = ", ".join(sorted(f"{kind} {name}" for kind, _, name in unmet))
    verb = "is" if len(unmet) == 1 else "are"
    return f"Dependencies were not satisfied: {len(unmet)} {verb} still pending ({names})"


def event_message(result: GateResult) -> str:
    """Return the template's compliance event message ("Pending; Dependencies were not ...")."""
    return f"{result.compliance}; {result.message}"


def _key(dep: Mapping[str, Any], policy: Mapping[str, Any], cluster_namespace: str) -> Key:
    kind = str(dep.get("kind", ""))
    name = str(dep.get("name", ""))
    group = str(dep.get("apiVersion", "")).rpartition("/")[0]
    if group != POLICY_GROUP or not kind.endswith("Policy"):
        return kind, str(dep.get("namespace") or ""), name
    if kind == "Policy":
        name = _replicated_name(dep, policy)
    return kind, cluster_namespace, name


def _replicated_name(dep: Mapping[str, Any], policy: Mapping[str, Any]) -> str:
    metadata = policy.get("metadata") or {}
    if dep.get("namespace"):
        return f"{dep['namespace']}.{dep['name']}"
    if (metadata.get("labels") or {}).get(ROOT_POLICY_LABEL):
        return str(dep.get("name", ""))  # a replica: the propagator already canonicalised it
    return f"{metadata.get('namespace', '')}.{dep.get('name', '')}"


def _compliance(dep: Mapping[str, Any]) -> str:
    return str(dep.get("compliance") or COMPLIANT)
