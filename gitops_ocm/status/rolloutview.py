"""One ManifestWorkReplicaSet's rollout as ``gitops-ocm status --work`` shows it.

Pure: reads the set's file on ``ocm/status``
(``manifestworkreplicasets/<ns>/<name>.yaml``, whose ``status.rollout`` the
fold copied from the hub tree's state file) from a mapping of the status tree,
and returns a plain dict (the ``--output json`` form) or text. A set without
``status.rollout`` gives every selected cluster its template at once; then
the view says so and shows the summary counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gitops_ocm import fleetview
from gitops_ocm.model import yamlout

FOLDER = "manifestworkreplicasets"
SUMMARY = ("total", "applied", "available", "degraded", "progressing")  # OCM's order
ALL_AT_ONCE = "rolls out all at once (no rollout strategy in steps)"


def path(namespace: str, name: str) -> str:
    """The set's file on ``ocm/status``."""
    return f"{FOLDER}/{namespace}/{name}.yaml"


def find(paths: Iterable[str], value: str) -> list[tuple[str, str]]:
    """The sets ``value`` names (``NAME`` or ``NAMESPACE/NAME``) among the status files."""
    namespace, _, name = value.rpartition("/")
    out = []
    for found in paths:
        parts = found.split("/")
        if len(parts) != 3 or parts[0] != FOLDER or parts[2] != f"{name}.yaml":
            continue
        if not namespace or parts[1] == namespace:
            out.append((parts[1], name))
    return sorted(out)


def detail(
    tree: Mapping[str, bytes], namespace: str, name: str, works: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """The set's rollout, summary, placements and conditions, and its works (``works`` rows)."""
    status = _mapping(yamlout.load_mapping(tree.get(path(namespace, name))).get("status"))
    rollout = _mapping(status.get("rollout"))
    out: dict[str, Any] = {
        "manifestWorkReplicaSet": f"{namespace}/{name}",
        "rollout": _rollout(rollout) if rollout else None,
        "summary": dict(_mapping(status.get("summary"))),
        "placementSummary": [dict(p) for p in _list(status.get("placementSummary"))],
        "conditions": [
            {k: str(c.get(k, "")) for k in ("type", "status", "reason", "message")}
            for c in _list(status.get("conditions"))
        ],
        "works": [dict(row) for row in works],
    }
    if not rollout:
        out["strategy"] = ALL_AT_ONCE
    return out


def _rollout(raw: Mapping[str, Any]) -> dict[str, Any]:
    placements = _list(raw.get("placements"))
    rechecks = sorted(str(p["recheckAt"]) for p in placements if p.get("recheckAt"))
    return {
        "phase": str(raw.get("phase") or ""),
        "reason": str(raw.get("reason") or ""),
        "message": str(raw.get("message") or ""),
        "since": str(raw.get("since") or ""),
        "startedAt": str(raw.get("startedAt") or ""),
        "revision": str(raw.get("revision") or ""),
        "target": str(raw.get("target") or ""),
        "stable": str(_mapping(raw.get("stable")).get("revision") or "") or None,
        "failedRevision": str(raw.get("failedRevision") or "") or None,
        "nextRecheck": rechecks[0] if rechecks else None,
        "placements": [dict(p) for p in placements],
        "steps": [dict(s) for s in _list(raw.get("steps"))],
    }


def describe(data: Mapping[str, Any]) -> str:
    """The view as text: the rollout, its placements and steps, then the works."""
    lines = [f"ManifestWorkReplicaSet {_line(data['manifestWorkReplicaSet'])}"]
    rollout = data.get("rollout")
    if rollout:
        lines += _describe_rollout(rollout)
    else:
        lines.append(ALL_AT_ONCE)
        summary = data.get("summary") or {}
        lines.append("summary: " + ", ".join(f"{k} {_line(summary.get(k, 0))}" for k in SUMMARY))
        lines += ["", fleetview.table([_summary_row(p) for p in data["placementSummary"]])]
    lines.append("")
    for cond in data.get("conditions") or []:
        lines.append(
            f"{cond['type']}: {cond['status']} {_line(cond['reason'])}: {_line(cond['message'])}"
        )
    lines += ["", "works:", fleetview.table([_row(r) for r in data.get("works") or []])]
    return "\n".join(lines)


def _describe_rollout(rollout: Mapping[str, Any]) -> list[str]:
    lines = [
        f"rollout: {_line(rollout['phase'])} ({_line(rollout['reason']) or '-'}) "
        f"since {_line(rollout['since']) or '-'}",
    ]
    if rollout["message"]:
        lines.append(f"message: {_line(rollout['message'])}")
    revisions = ("revision", "target", "stable", "failedRevision")
    lines.append("  ".join(f"{k}: {_line(rollout[k] or '-')}" for k in revisions))
    lines.append(f"started: {_line(rollout['startedAt'] or '-')}  "
                 f"next recheck: {_line(rollout['nextRecheck'] or '-')}")  # fmt: skip
    lines += ["", fleetview.table([_placement_row(p) for p in rollout["placements"]])]
    for placement in rollout["placements"]:
        for key, label in (("failedClusters", "failed"), ("timedOutClusters", "timed out")):
            found = placement.get(key)
            if found and isinstance(found, list):
                names = ", ".join(_line(c) for c in found)
                lines.append(f"{_line(placement.get('name'))} {label}: {names}")
    lines += ["", "steps:", fleetview.table([_step_row(s) for s in rollout["steps"]])]
    return lines


PLACEMENT_COLUMNS = {
    "PLACEMENT": "name",
    "TYPE": "type",
    "TOTAL": "total",
    "UPDATED": "updated",
    "SUCCEEDED": "succeeded",
    "IN FLIGHT": "inFlight",
    "FAILED": "failed",
    "TIMED OUT": "timedOut",
    "RECHECK AT": "recheckAt",
}


def _placement_row(raw: Mapping[str, Any]) -> dict[str, str]:
    return {column: _line(raw.get(key, "-")) for column, key in PLACEMENT_COLUMNS.items()}


def _summary_row(raw: Mapping[str, Any]) -> dict[str, str]:
    summary = _mapping(raw.get("summary"))
    row = {"PLACEMENT": _line(raw.get("name", ""))}
    row.update((k.upper(), _line(summary.get(k, 0))) for k in SUMMARY)
    return row


def _step_row(raw: Mapping[str, Any]) -> dict[str, str]:
    clusters = raw.get("clusters") or []
    names = ",".join(_line(c) for c in clusters) if isinstance(clusters, list) else ""
    return {
        "TIME": _line(raw.get("time", "")),
        "PHASE": _line(raw.get("phase", "")),
        "REVISION": _line(raw.get("revision", "")),
        "GIVEN": _line(raw.get("given", "")),
        "CLUSTERS": names or "-",
        "MESSAGE": _line(raw.get("message", "")) or "-",
    }


def _row(row: Mapping[str, str]) -> dict[str, str]:
    return {k: _line(v) for k, v in row.items()}


def _line(value: object) -> str:
    """Untrusted text on one line, without control characters (a terminal reads it)."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
