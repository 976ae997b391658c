"""Root Policy and PolicySet status from the clusters' reports, and the README section.

Pure. The status fold calls these with plain mappings (cluster -> the parsed
``status`` of ``clusters/<c>/policies/<ns>.<name>.yaml``) and writes the results
to ``policies/<ns>/<name>.yaml`` on ``ocm/status``. The rules are OCM's
policy propagator's:

- per cluster ``{clustername, clusternamespace, compliant}`` sorted by cluster,
  ``compliant`` copied from the replica ("" before its first report);
- root ``compliant``: "" without clusters, NonCompliant if any cluster is, else
  Pending if any is, else "" if any cluster has no state yet, else Compliant;
- a PolicySet is NonCompliant if any member is, else Pending if any is, else
  Compliant when every member is, else "" (its ``statusMessage`` says why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gitops_ocm.policy import compliancestate

PolicyKey = tuple[str, str]


def cluster_compliance(body: Mapping[str, Any] | None) -> str:
    """Return a replicated policy's compliance from its report body (Policy or its status)."""
    if not body:
        return ""
    found = body.get("status") if "status" in body else body
    return str((found or {}).get("compliant") or "") if isinstance(found, Mapping) else ""


def root_status(
    policy_key: PolicyKey, per_cluster: Mapping[str, Mapping[str, Any] | None]
) -> dict[str, Any]:
    """Return the root policy's ``status`` from ``{cluster: replicated report body}``.

    A cluster mapped to None (or an empty body) is decided for the policy but has
    not reported it yet. ``policy_key`` is (namespace, name); it is not part of the
    status but makes call sites read as what they compute.
    """
    del policy_key  # the key names the policy; the status does not repeat it
    return status_of({cluster: cluster_compliance(body) for cluster, body in per_cluster.items()})


def status_of(states: Mapping[str, str]) -> dict[str, Any]:
    """Return the root policy's ``status`` from ``{cluster: its replica's compliance}``."""
    rows = []
    for cluster in sorted(states):
        row = {"clustername": cluster, "clusternamespace": cluster}
        if states[cluster]:
            row["compliant"] = states[cluster]
        rows.append(row)
    out: dict[str, Any] = {}
    compliant = compliancestate.root_compliance(states)
    if compliant:
        out["compliant"] = compliant
    out["status"] = rows
    return out


def policyset_status(
    members: Iterable[str], roots: Mapping[str, Mapping[str, Any] | None]
) -> dict[str, Any]:
    """Return a PolicySet's ``compliant`` and ``statusMessage`` from its members' root statuses.

    ``members`` are the policy names in the set's namespace; ``roots`` maps a name
    to that root policy's status (as :func:`root_status` returns), missing when the
    policy does not exist.
    """
    names = list(dict.fromkeys(members))
    missing = [n for n in names if n not in roots or roots[n] is None]
    states = {n: str((roots.get(n) or {}).get("compliant") or "") for n in names}
    present = [states[n] for n in names if n not in missing]
    if compliancestate.NONCOMPLIANT in present:
        compliant = compliancestate.NONCOMPLIANT
    elif compliancestate.PENDING in present:
        compliant = compliancestate.PENDING
    elif present and all(s == compliancestate.COMPLIANT for s in present):
        compliant = compliancestate.COMPLIANT
    else:
        compliant = ""
    out: dict[str, Any] = {}
    if compliant:
        out["compliant"] = compliant
    message = _set_message(names, missing, states)
    if message:
        out["statusMessage"] = message
    return out


def _set_message(names: list[str], missing: list[str], states: Mapping[str, str]) -> str:
    parts = []
    if missing:
        parts.append(f"Policies not found: {', '.join(sorted(missing))}")
    unknown = sorted(n for n in names if n not in missing and not states[n])
    if unknown:
        parts.append(f"No status provided while awaiting policy status: {', '.join(unknown)}")
    if not names:
        parts.append("No policies in the set")
    return "; ".join(parts) if parts else "All policies are reporting status"


def counts(root: Mapping[str, Any]) -> dict[str, int]:
    """Return how many clusters are compliant, noncompliant, pending and unknown."""
    return counts_of(str(row.get("compliant") or "") for row in root.get("status") or [])


def counts_of(states: Iterable[str]) -> dict[str, int]:
    """Return how many of the clusters' compliance states are each kind ("" is unknown)."""
    found = {"compliant": 0, "noncompliant": 0, "pending": 0, "unknown": 0}
    key = {compliancestate.COMPLIANT: "compliant", compliancestate.NONCOMPLIANT: "noncompliant"}
    key[compliancestate.PENDING] = "pending"
    for state in states:
        found[key.get(state, "unknown")] += 1
    return found


def readme_section(roots: Mapping[PolicyKey, Mapping[str, Any]]) -> str:
    """Return the README's "Compliance" section: one row per root policy, sorted."""
    return readme_section_of([readme_row(key, root) for key, root in sorted(roots.items())])


def readme_row(key: PolicyKey, root: Mapping[str, Any]) -> str:
    """Return one root policy's row of the "Compliance" table."""
    return readme_row_of(key, str(root.get("compliant") or ""), counts(root))


def readme_row_of(key: PolicyKey, compliant: str, n: Mapping[str, int]) -> str:
    """Return a "Compliance" row from the root's compliance and :func:`counts_of` its clusters."""
    namespace, name = key
    link = f"[{namespace}/{name}](policies/{namespace}/{name}.yaml)"
    state = compliant or "-"
    return (
        f"| {link} | {state} | {n['compliant']} | {n['noncompliant']} | "
        f"{n['pending']} | {n['unknown']} |"
    )


def readme_section_of(rows: Iterable[str]) -> str:
    """Return the "Compliance" section from the rows of the policies, in policy order."""
    lines = ["## Compliance", ""]
    table = list(rows)
    if not table:
        return "\n".join([*lines, "No policies.", ""])
    lines += [
        "| policy | compliance | compliant | noncompliant | pending | no status |",
        "|---|---|---:|---:|---:|---:|",
    ]
    return "\n".join([*lines, *table, ""])
