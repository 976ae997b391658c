"""``controller.yaml`` on ``ocm/status``: whether the source is valid, and its problems.

Pure. The ``SourceValid`` condition follows Kubernetes' condition rules: its
``lastTransitionTime`` moves only when its status flips, so an unchanged
outcome renders byte-identical bytes and makes no commit. Its reason is
``ValidationFailed``, or ``SignatureInvalid`` when ``--verify-source`` refused the
commit (T651-T656, :mod:`gitops_ocm.trust.sourcesig`).

Two parts make the file: the controller's pass renders the source's
validity (:func:`render`, keeping the report part as it found it), and the
status fold adds the refused and clamped reports (:func:`with_reports`, under
``status.reportProblems``) and commits the whole with the fold, so a pass
makes one ``ocm/status`` commit at most.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from gitops_ocm.model import timefmt, yamlout
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.trust import sourcesig

PATH = "controller.yaml"
API_VERSION = "gitops-ocm.io/v1alpha1"
MAX_LISTED = 200


def render(
    previous: bytes | None,
    *,
    source_commit: str,
    reconciled_commit: str | None,
    hub_commit: str | None,
    problems: Sequence[Problem],
    now: datetime.datetime,
    awaiting: Sequence[str] = (),
) -> bytes:
    """Return the new ``controller.yaml``; ``awaiting``: accepted clusters awaiting their agent."""
    errors = [p for p in problems if p.severity is Severity.ERROR]
    valid = not errors
    condition = {
        "type": "SourceValid",
        "status": "True" if valid else "False",
        "reason": "Valid" if valid else _reason(errors),
        "message": (
            f"commit {source_commit[:12]} is valid"
            if valid
            else f"commit {source_commit[:12]} has {len(errors)} errors; "
            f"{(reconciled_commit or 'nothing')[:12]} stays in force"
        ),
        "lastTransitionTime": _transition(previous, "True" if valid else "False", now),
    }
    status: dict[str, Any] = {
        "conditions": [condition],
        "sourceCommit": source_commit,
        "lastReconciledCommit": reconciled_commit,
        "hubCommit": hub_commit,
        "problemCount": {"errors": len(errors), "warnings": len(problems) - len(errors)},
        "problems": [_problem(p, source_commit) for p in list(problems)[:MAX_LISTED]],
    }
    if awaiting:
        status["awaitingAgent"] = list(awaiting)
    status.update(_reports_part(_body(previous)))
    body = {
        "apiVersion": API_VERSION,
        "kind": "ControllerStatus",
        "metadata": {"name": "controller"},
        "status": status,
    }
    return yamlout.dump(body)


REPORT_KEYS = ("reportProblemCount", "reportProblems")


def with_reports(previous: bytes | None, problems: Sequence[Problem]) -> bytes | None:
    """``controller.yaml`` with the fold's report problems (R5xx) in place of the old ones."""
    body = _body(previous)
    if not body:
        if not problems:
            return previous
        body = {"apiVersion": API_VERSION, "kind": "ControllerStatus"}
        body["metadata"] = {"name": "controller"}
    status = body.setdefault("status", {})
    if not isinstance(status, dict):
        status = body["status"] = {}
    for key in REPORT_KEYS:
        status.pop(key, None)
    if problems:
        errors = sum(1 for p in problems if p.severity is Severity.ERROR)
        status["reportProblemCount"] = {"errors": errors, "warnings": len(problems) - errors}
        status["reportProblems"] = [p.to_dict() for p in list(problems)[:MAX_LISTED]]
    data = yamlout.dump(body)
    return previous if data == previous else data


def awaiting(data: bytes | None) -> tuple[str, ...]:
    """The clusters the render side lists as awaiting their agent (``status.awaitingAgent``)."""
    status = _body(data).get("status")
    names = status.get("awaitingAgent") if isinstance(status, dict) else None
    if not isinstance(names, list):
        return ()
    return tuple(sorted(str(name) for name in names if isinstance(name, str)))


def _reports_part(body: dict[str, Any]) -> dict[str, Any]:
    status = body.get("status")
    if not isinstance(status, dict):
        return {}
    return {key: status[key] for key in REPORT_KEYS if key in status}


def _body(data: bytes | None) -> dict[str, Any]:
    if not data:
        return {}
    try:
        body = yamlout.load(data)
    except yamlout.Unreadable:
        return {}
    return body if isinstance(body, dict) else {}


def _reason(errors: Sequence[Problem]) -> str:
    """Why the source is not valid: its signature (``--verify-source``), else validation."""
    if any(p.code in sourcesig.CODES for p in errors):
        return sourcesig.CONDITION_REASON
    return "ValidationFailed"


def _problem(problem: Problem, commit: str) -> dict[str, Any]:
    return {"commit": commit, **problem.to_dict()}


def _transition(previous: bytes | None, status: str, now: datetime.datetime) -> str:
    if previous:
        try:
            body = yamlout.load(previous) or {}
            for cond in (body.get("status") or {}).get("conditions") or []:
                if cond.get("type") == "SourceValid" and cond.get("status") == status:
                    return str(cond.get("lastTransitionTime"))
        except Exception:
            pass
    return timefmt.format_seconds(now)


def last_reconciled(previous: bytes | None) -> str | None:
    """Return the last good source commit recorded in an earlier ``controller.yaml``."""
    if not previous:
        return None
    try:
        body = yamlout.load(previous) or {}
    except Exception:
        return None
    value = (body.get("status") or {}).get("lastReconciledCommit")
    return str(value) if value else None
