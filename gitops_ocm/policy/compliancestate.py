"""Compliance states of policies: template states, history, replica and root rollups.

Pure; timestamps are passed in. Follows governance-policy-framework-addon
(status-sync) and governance-policy-propagator (root status):
- a template's state is parsed from its newest event message prefix;
- a replicated policy is NonCompliant if any template is, else Pending if any is,
  else Compliant;
- the root is "" without clusters, NonCompliant if any cluster is, else Pending if
  any is, else "" if any cluster has no state yet, else Compliant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

COMPLIANT = "Compliant"
NONCOMPLIANT = "NonCompliant"
PENDING = "Pending"
HISTORY_LIMIT = 10
_COMBINED = "(combined from similar events):"


def template_compliance_from_message(msg: str) -> str:
    """Return Compliant, Pending or NonCompliant from an event message's prefix."""
    clean = msg.removeprefix(_COMBINED).strip().lower()
    if clean.startswith("compliant"):
        return COMPLIANT
    if clean.startswith("pending"):
        return PENDING
    return NONCOMPLIANT


def aggregate(template_states: Iterable[str | None]) -> str:
    """Return the replicated policy's compliance from its templates' states ("" if unknown)."""
    states = list(template_states)
    if NONCOMPLIANT in states:
        return NONCOMPLIANT
    if PENDING in states:
        return PENDING
    if not states or any(not s for s in states):
        return ""
    return COMPLIANT


def root_compliance(per_cluster: Mapping[str, str]) -> str:
    """Return the root policy's compliance from each cluster's replicated compliance."""
    states = list(per_cluster.values())
    if not states:
        return ""
    if NONCOMPLIANT in states:
        return NONCOMPLIANT
    if PENDING in states:
        return PENDING
    if any(s != COMPLIANT for s in states):
        return ""
    return COMPLIANT


def history(
    previous_history: Sequence[Mapping[str, Any]],
    new_event_message: str,
    now: str,
    limit: int = HISTORY_LIMIT,
) -> list[dict[str, Any]]:
    """Return the template history with the new message first, de-duplicated, at most ``limit``.

    A message equal to the newest entry's is the same event seen again (a
    re-evaluation with the same result): the history is kept as it is.
    """
    entries = [dict(e) for e in previous_history]
    if entries and entries[0].get("message") == new_event_message:
        return entries[:limit]
    return [{"lastTimestamp": now, "message": new_event_message}, *entries][:limit]
