"""The governance files of a cluster's report: replicated Policy status and template state.

Pure: builds and reads report bodies; times are passed in as RFC 3339 strings.

- ``policies/<ns>.<name>.yaml``: the replicated Policy as OCM's status-sync writes
  it (``compliant``, ``details[] {templateMeta, compliant, history[]}``), and only
  what identifies it in ``metadata``.
- ``configurationpolicies/<ns>.<name>/<template>.yaml``: the ConfigurationPolicy's
  own status (``compliancyDetails``, ``relatedObjects`` with ``createdByPolicy`` and
  ``uid``, ``lastEvaluated``), plus the effective ``remediationAction`` and
  ``pruneObjectBehavior``. OCM keeps this object on the managed cluster; we keep it
  in the report, which is the agent's durable memory: evaluation intervals and
  pruning after the policy left the hub both read it back.

Nothing here moves when nothing changed: a history entry is added only when the
message changes, and condition times and ``lastEvaluated`` are kept unless the
result changed (or a timed evaluation interval needs the time).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model.body import Body
from gitops_ocm.policy import compliancestate

API_VERSION = "policy.open-cluster-management.io/v1"
POLICY_LABEL = "policy.open-cluster-management.io/policy"
TEMPLATE_HASH = "gitops-ocm.io/template-hash"
POLICIES = "policies/"
CONFIGURATION_POLICIES = "configurationpolicies/"


def policy_path(replicated: str) -> str:
    """Return ``policies/<ns>.<name>.yaml``."""
    return f"{POLICIES}{replicated}.yaml"


def template_path(replicated: str, template: str) -> str:
    """Return ``configurationpolicies/<ns>.<name>/<template>.yaml``."""
    return f"{CONFIGURATION_POLICIES}{replicated}/{template}.yaml"


def is_governance(path: str) -> bool:
    """Return True for a report path this package writes."""
    return path.startswith((POLICIES, CONFIGURATION_POLICIES))


def split_policy_path(path: str) -> str | None:
    """Return the replicated name of a ``policies/<name>.yaml`` path, else None."""
    rest = path.removeprefix(POLICIES)
    if rest == path or "/" in rest or not rest.endswith(".yaml"):
        return None
    return rest[: -len(".yaml")]


def split_template_path(path: str) -> tuple[str, str] | None:
    """Return (replicated name, template) of a ``configurationpolicies/`` path, else None."""
    rest = path.removeprefix(CONFIGURATION_POLICIES)
    policy, _, file = rest.partition("/")
    if rest == path or not policy or "/" in file or not file.endswith(".yaml"):
        return None
    return policy, file[: -len(".yaml")]


def template_hash(definition: Mapping[str, Any], override: str | None) -> str:
    """Return a stable hash of a template's content and the Policy's override (OCM: generation)."""
    data = json.dumps([definition, override or ""], sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def event_name(cluster: str, replicated: str, template: str, when: str, message: str) -> str:
    """Return a deterministic event name in OCM's ``<ns>.<policy>.<hex>`` shape."""
    digest = hashlib.sha256(f"{template}\0{when}\0{message}".encode()).hexdigest()[:16]
    return f"{cluster}.{replicated}.{digest}"


def detail(
    template: str,
    previous: Mapping[str, Any] | None,
    message: str,
    now: str,
    event: str,
) -> Body:
    """Return one ``details[]`` entry with ``message`` as the newest event (if it is new)."""
    history = compliancestate.history((previous or {}).get("history") or [], message, now)
    if history and "eventName" not in history[0]:
        history[0]["eventName"] = event
    return {
        "templateMeta": {"name": template},
        "compliant": compliancestate.template_compliance_from_message(str(history[0]["message"])),
        "history": history,
    }


def previous_details(policy_report: Mapping[str, Any]) -> dict[str, Body]:
    """Return a previous Policy report's details by template name."""
    found: dict[str, Body] = {}
    for entry in (policy_report.get("status") or {}).get("details") or []:
        if isinstance(entry, dict):
            found[str((entry.get("templateMeta") or {}).get("name") or "")] = entry
    return found


def policy_report(
    cluster: str, replicated: str, details: Sequence[Body], previous_compliant: str
) -> Body:
    """Return the replicated Policy report (compliance as OCM's status-sync computes it)."""
    compliant = compliancestate.aggregate(d.get("compliant") for d in details) if details else ""
    if not compliant and details:
        compliant = previous_compliant
    body: Body = {"details": list(details)}
    if compliant:
        body = {"compliant": compliant, **body}
    return {
        "apiVersion": API_VERSION,
        "kind": "Policy",
        "metadata": {"name": replicated, "namespace": cluster},
        "status": body,
    }


def configuration_policy_report(
    cluster: str,
    replicated: str,
    template: str,
    settings: Mapping[str, str],
    computed: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    keep_time: bool,
) -> Body:
    """Return the ConfigurationPolicy report, keeping unchanged condition times.

    ``settings`` holds the effective ``remediationAction``, ``pruneObjectBehavior``
    and the template hash; ``computed`` is ``Evaluation.to_status()`` after the
    changes were applied. With ``keep_time`` the previous ``lastEvaluated`` stays
    when the status is otherwise unchanged.
    """
    old = dict((previous or {}).get("status") or {})
    new = dict(computed)
    new["compliancyDetails"] = _keep_condition_times(
        new.get("compliancyDetails") or [], old.get("compliancyDetails") or []
    )
    unchanged = {k: v for k, v in new.items() if k != "lastEvaluated"} == {
        k: v for k, v in old.items() if k != "lastEvaluated"
    }
    if keep_time and unchanged and old.get("lastEvaluated"):
        new["lastEvaluated"] = old["lastEvaluated"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ConfigurationPolicy",
        "metadata": {
            "name": template,
            "namespace": cluster,
            "labels": {POLICY_LABEL: replicated},
            "annotations": {TEMPLATE_HASH: settings["hash"]},
        },
        "spec": {
            "remediationAction": settings["remediationAction"],
            "pruneObjectBehavior": settings["pruneObjectBehavior"],
        },
        "status": new,
    }


def recorded_hash(template_report: Mapping[str, Any]) -> str:
    """Return the template hash a ConfigurationPolicy report was computed for."""
    annotations = (template_report.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(TEMPLATE_HASH) or "")


def _keep_condition_times(new: Sequence[Any], old: Sequence[Any]) -> list[Any]:
    out = []
    for index, entry in enumerate(new):
        before = old[index] if index < len(old) and isinstance(old[index], dict) else {}
        conditions = []
        for pos, cond in enumerate(entry.get("conditions") or []):
            prior = before.get("conditions") or []
            match = prior[pos] if pos < len(prior) and isinstance(prior[pos], dict) else {}
            if all(match.get(k) == cond.get(k) for k in ("type", "status", "reason", "message")):
                cond = {**cond, "lastTransitionTime": match.get("lastTransitionTime")}
            conditions.append(cond)
        out.append({**entry, "conditions": conditions})
    return out
