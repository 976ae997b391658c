"""``README.md`` on ``ocm/status``: the fleet at a glance, for people on a Git host.

Pure. Rollouts in progress come first (every ManifestWorkReplicaSet rolled
out in steps whose phase is not Succeeded, halted and rolling-back ones on
top), then problems (an invalid source commit, clusters that are stale,
unavailable or silent, works not applied, degraded or unavailable,
ManifestWorkReplicaSets not as expected, unsatisfied placements), then tables
of clusters, ManifestWorkReplicaSets and placements. Every row links to the
file behind it with a path relative to the repository root, which works on any
Git host. The page only shows times that come from its inputs (lease renewals,
lease expiries, controller.yaml), never the time of the fold: folding again
with nothing changed gives the same bytes, hence no commit. Long lists are cut
(the files stay complete), so a 10,000-cluster fleet still renders.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from gitops_ocm.model import timefmt
from gitops_ocm.status import mwrs, placements, rollouts, scan, views
from gitops_ocm.work import rolloutstate

MAX_PROBLEMS = 50
MAX_CLUSTER_ROWS = 1000
MAX_MESSAGE = 200
MAX_ROLLOUT_ROWS = 50
URGENT = (rolloutstate.HALTED, rolloutstate.ROLLING_BACK)  # listed first
_ESCAPE = re.compile(r"([\\`*_\[\]<>|#])")


@dataclasses.dataclass(frozen=True)
class Page:
    """Everything the README shows."""

    clusters: Sequence[views.ClusterState]
    replica_sets: Sequence[mwrs.ReplicaSetStatus]
    placements: Sequence[placements.Rollup]
    controller: Mapping[str, Any] | None
    repo_url: str | None = None


def render(page: Page) -> bytes:
    """Return the README's bytes."""
    parts = [
        _header(page),
        _rollouts(page.replica_sets),
        _problems(page),
        _clusters(page.clusters),
        _replica_sets(page.replica_sets, page.clusters),
        _placements(page.placements),
        _not_accepted(page.clusters),
    ]
    return ("\n".join(p for p in parts if p).rstrip() + "\n").encode("utf-8")


def badge(found: views.Availability) -> str:
    """A short text badge for an availability (no emoji: reads the same everywhere)."""
    if found.reason == views.NO_REPORT:
        return "`NO REPORT`"
    if found.expired:
        return "`STALE`"
    return {"True": "`AVAILABLE`", "False": "`UNAVAILABLE`"}.get(found.status, "`UNKNOWN`")


def text(value: object, limit: int = MAX_MESSAGE) -> str:
    """One line of untrusted text, shortened and escaped for Markdown (tables included)."""
    line = " ".join(str(value).split())
    if len(line) > limit:
        line = line[: limit - 3] + "..."
    return _ESCAPE.sub(r"\\\1", line)


def _header(page: Page) -> str:
    lines = ["# Fleet status", ""]
    lines.append(
        "Folded by gitops-ocm from the report branches `ocm/reports/*` and the hub "
        "branch. Generated: do not edit."
    )
    lines += ["", "| | |", "|---|---|"]
    if page.repo_url:
        lines.append(f"| Repository | `{_code(_redact(page.repo_url))}` |")
    for label, value in _controller_facts(page.controller):
        lines.append(f"| {label} | {value} |")
    renewed = [f.renewed for f in map(_facts, page.clusters) if f.renewed is not None]
    if renewed:
        lines.append(f"| Latest lease renewal | {timefmt.format_seconds(max(renewed))} |")
    lines += ["", _glance(page), ""]
    return "\n".join(lines)


def _controller_facts(controller: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    status = _mapping((controller or {}).get("status"))
    if not status:
        return [("Source commit", "not reconciled yet")]
    valid = _source_valid(status)
    state = "valid" if valid.get("status") == "True" else "**invalid**"
    since = f" since {valid['lastTransitionTime']}" if valid.get("lastTransitionTime") else ""
    facts = [("Source commit", f"`{_short(status.get('sourceCommit'))}` ({state}{since})")]
    facts.append(("Last reconciled commit", f"`{_short(status.get('lastReconciledCommit'))}`"))
    if status.get("hubCommit"):
        facts.append(("Hub commit", f"`{_short(status.get('hubCommit'))}`"))
    return facts


def _glance(page: Page) -> str:
    accepted = [f for f in map(_facts, page.clusters) if f.accepted]
    fine = sum(1 for r in page.replica_sets if _as_expected(r))
    return (
        f"**{len(accepted)} clusters**: {sum(f.status == 'True' for f in accepted)} available, "
        f"{sum(f.status == 'False' for f in accepted)} unavailable, "
        f"{sum(f.expired for f in accepted)} stale, "
        f"{sum(f.no_report for f in accepted)} without a report. "
        f"**{sum(f.works for f in accepted)} works**: "
        f"{sum(f.available for f in accepted)} available. "
        f"**{len(page.replica_sets)} ManifestWorkReplicaSets**: {fine} as expected. "
        f"**{len(page.placements)} placements**."
    )


def _problems(page: Page) -> str:
    sections = [
        ("Source", _source_problems(page.controller)),
        ("Reports", _report_problems(page.controller)),
        ("Clusters", [_cluster_problem(c) for c in page.clusters if _facts(c).bad]),
        ("Works", list(_work_problems(page.clusters))),
        (
            "ManifestWorkReplicaSets",
            [_set_problem(r) for r in page.replica_sets if not _as_expected(r)],
        ),
        ("Placements", [_placement_problem(p) for p in page.placements if _unsatisfied(p)]),
    ]
    body = [f"### {title}\n\n" + _capped(items) for title, items in sections if items]
    return "## Problems\n\n" + ("\n".join(body) if body else "No problems.\n")


def _capped(items: Sequence[str]) -> str:
    shown = list(items[:MAX_PROBLEMS])
    if len(items) > MAX_PROBLEMS:
        shown.append(f"- ... and {len(items) - MAX_PROBLEMS} more")
    return "\n".join(shown) + "\n"


def _rollouts(items: Sequence[mwrs.ReplicaSetStatus]) -> str:
    """One row per rollout not Succeeded: halted and rolling back first, then by name."""
    moving = [
        (item, item.rollout)
        for item in items
        if item.rollout is not None and item.rollout.phase != rolloutstate.SUCCEEDED
    ]
    if not moving:
        return ""
    moving.sort(key=lambda found: (found[1].phase not in URGENT, found[0].path))
    lines = [
        "## Rollouts in progress",
        "",
        "| ManifestWorkReplicaSet | Phase | Revision (target) | Updated / total | Failed "
        "| Timed out | Since | Reason: message |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [_rollout_row(item, state) for item, state in moving[:MAX_ROLLOUT_ROWS]]
    if len(moving) > MAX_ROLLOUT_ROWS:
        lines += ["", f"Showing {MAX_ROLLOUT_ROWS} of {len(moving)} rollouts in progress."]
    return "\n".join([*lines, ""])


def _rollout_row(item: mwrs.ReplicaSetStatus, state: rolloutstate.RolloutState) -> str:
    revision = _revision(state.revision)
    if state.target != state.revision:
        revision += f" ({_revision(state.target)})"
    counts = [rollouts.total(state, k) for k in ("updated", "total", "failed", "timed_out")]
    why = f"{text(state.reason)}: {text(state.message)}" if state.message else text(state.reason)
    return (
        f"| [{item.namespace}/{item.name}]({item.path}) | {text(state.phase)} | {revision} | "
        f"{counts[0]} / {counts[1]} | {counts[2]} | {counts[3]} | {text(state.since) or '-'} | "
        f"{why or '-'} |"
    )


def _revision(value: str) -> str:
    return f"`{_code(value)}`" if value else "-"


def _source_problems(controller: Mapping[str, Any] | None) -> list[str]:
    status = _mapping((controller or {}).get("status"))
    valid = _source_valid(status)
    if not status or valid.get("status") != "False":
        return []
    head = f"- [controller.yaml](controller.yaml): {text(valid.get('message', 'invalid'))}"
    lines = [head]
    for problem in status.get("problems") or []:
        item = _mapping(problem)
        where = f"{item.get('file')}:{item.get('line')}:{item.get('column')}"
        lines.append(
            f"  - `{_code(where)}` `{_code(item.get('pointer') or '/')}`: "
            f"{text(item.get('message', ''))} ({text(item.get('code', ''))})"
        )
    return ["\n".join(lines[: MAX_PROBLEMS + 1])]


def _report_problems(controller: Mapping[str, Any] | None) -> list[str]:
    """Refused (quarantined) and clamped reports, as the fold lists them in controller.yaml."""
    status = _mapping((controller or {}).get("status"))
    lines = []
    for problem in status.get("reportProblems") or []:
        item = _mapping(problem)
        where = f"{item.get('file')}:{item.get('line')}"
        kept = "" if item.get("severity") == "warning" else " (report refused, last good kept)"
        lines.append(
            f"- `{_code(where)}`: {text(item.get('message', ''))}"
            f" ({text(item.get('code', ''))}){kept}"
        )
    return lines


def _cluster_bad(cluster: views.ClusterState) -> bool:
    return cluster.accepted and cluster.availability.status != "True"


def _cluster_problem(cluster: views.ClusterState) -> str:
    return f"- {_cluster_link(cluster)}: {badge(cluster.availability)} {_detail(cluster)}"


def _detail(cluster: views.ClusterState) -> str:
    found = cluster.availability
    if found.reason == views.NO_REPORT:
        return "accepted, no report yet"
    if found.expired and found.expires_at is not None:
        renewed = cluster.renew_time
        since = f" (last renewed {timefmt.format_seconds(renewed)})" if renewed else ""
        return f"lease expired at {timefmt.format_seconds(found.expires_at)}{since}"
    cond = cluster.available_condition
    if cond is None:
        return "no Available condition reported"
    message = f": {text(cond.message)}" if cond.message and cond.status != "True" else ""
    return f"{text(cond.reason)}{message}"


def _work_problems(clusters: Iterable[views.ClusterState]) -> Iterable[str]:
    for cluster in clusters:
        lines = cluster.derived.get("readme-work-problems")
        if lines is None:
            lines = cluster.derived["readme-work-problems"] = list(_cluster_work_problems(cluster))
        yield from lines


def _cluster_work_problems(cluster: views.ClusterState) -> Iterable[str]:
    for work in cluster.works:
        trouble = _work_trouble(work)
        if trouble:
            origin = f" (from {'/'.join(work.replica_set)})" if work.replica_set else ""
            link = f"[{work.cluster}/{work.name}]({work.path})"
            yield f"- {link}{origin}: {trouble}"


def _work_trouble(work: views.WorkState) -> str:
    applied, degraded, available = (work.condition(k) for k in ("Applied", "Degraded", "Available"))
    if applied is not None and applied.status != "True":
        return f"not applied ({_why(applied)})"
    if degraded is not None and degraded.status == "True":
        return f"degraded ({_why(degraded)})"
    if available is not None and available.status != "True":
        return f"not available ({_why(available)})"
    return ""


def _why(cond: scan.Condition) -> str:
    return f"{text(cond.reason)}: {text(cond.message)}" if cond.message else text(cond.reason)


def _as_expected(item: mwrs.ReplicaSetStatus) -> bool:
    cond = item.condition("ManifestworkApplied")
    return cond is not None and cond.status == "True"


def _set_problem(item: mwrs.ReplicaSetStatus) -> str:
    bad = [c for c in item.conditions if c.status != "True"]
    details = "; ".join(f"{c.type} {c.reason}: {text(c.message)}" for c in bad)
    return f"- [{item.namespace}/{item.name}]({item.path}): {details}"


def _unsatisfied(item: placements.Rollup) -> bool:
    return item.placement.condition("PlacementSatisfied").get("status") == "False"


def _placement_problem(item: placements.Rollup) -> str:
    cond = item.placement.condition("PlacementSatisfied")
    name = f"{item.placement.namespace}/{item.placement.name}"
    return (
        f"- [{name}]({item.path}): not satisfied "
        f"({text(cond.get('reason', ''))}: {text(cond.get('message', ''))})"
    )


def _clusters(clusters: Sequence[views.ClusterState]) -> str:
    accepted = [c for c in clusters if c.accepted]
    rows = _cluster_rows(accepted)
    lines = [
        "## Clusters",
        "",
        "| Cluster | Availability | Detail | Lease renewed | Works applied / available / total |",
        "|---|---|---|---|---|",
    ]
    lines += [_cluster_row(cluster) for cluster in rows]
    if len(rows) < len(accepted):
        lines += [
            "",
            f"Showing {len(rows)} of {len(accepted)} clusters (every cluster with a problem "
            "first); all reports are under [clusters/](clusters/).",
        ]
    return "\n".join([*lines, ""])


def _cluster_row(cluster: views.ClusterState) -> str:
    found: str | None = cluster.derived.get("readme-row")
    if found is None:
        renewed = timefmt.format_seconds(cluster.renew_time) if cluster.renew_time else "-"
        works = f"{cluster.count('Applied')} / {cluster.count('Available')} / {len(cluster.works)}"
        found = cluster.derived["readme-row"] = (
            f"| {_cluster_link(cluster)} | {badge(cluster.availability)} | "
            f"{_detail(cluster)} | {renewed} | {works} |"
        )
    return found


def _cluster_rows(accepted: Sequence[views.ClusterState]) -> list[views.ClusterState]:
    if len(accepted) <= MAX_CLUSTER_ROWS:
        return list(accepted)
    bad = [c for c in accepted if _facts(c).bad][:MAX_CLUSTER_ROWS]
    room = MAX_CLUSTER_ROWS - len(bad)
    good = [c for c in accepted if not _facts(c).bad][:room]
    return sorted(bad + good, key=lambda c: c.name)


class _Facts(NamedTuple):
    """What the README's counts read of one cluster (computed once per cluster state)."""

    accepted: bool
    status: str
    expired: bool
    no_report: bool
    bad: bool
    works: int
    available: int
    renewed: datetime.datetime | None


def _facts(cluster: views.ClusterState) -> _Facts:
    found: _Facts | None = cluster.derived.get("readme-facts")
    if found is None:
        found = cluster.derived["readme-facts"] = _Facts(
            cluster.accepted,
            cluster.availability.status,
            cluster.availability.expired,
            cluster.availability.reason == views.NO_REPORT,
            _cluster_bad(cluster),
            len(cluster.works),
            cluster.count("Available"),
            cluster.renew_time,
        )
    return found


def _cluster_link(cluster: views.ClusterState) -> str:
    if cluster.report is None:
        return cluster.name
    return f"[{cluster.name}](clusters/{cluster.name}/cluster.yaml)"


def _replica_sets(
    items: Sequence[mwrs.ReplicaSetStatus], clusters: Sequence[views.ClusterState]
) -> str:
    lines = [
        "## Works",
        "",
        "ManifestWorkReplicaSets (counts are works whose report matches the current prescription):",
        "",
        "| ManifestWorkReplicaSet | Placements | Total | Applied | Available | Degraded "
        "| Progressing | ManifestworkApplied |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for item in items:
        c = item.counts
        cond = item.condition("ManifestworkApplied")
        state = f"{cond.status} {cond.reason}" if cond else "-"
        names = ", ".join(p.name for p in item.parts)
        lines.append(
            f"| [{item.namespace}/{item.name}]({item.path}) | {names} | {c.total} | "
            f"{c.applied} | {c.available} | {c.degraded} | {c.progressing} | {state} |"
        )
    direct = [0, 0, 0]
    for cluster in clusters:
        if cluster.accepted:
            for i, n in enumerate(_direct(cluster)):
                direct[i] += n
    if direct[0]:
        lines += [
            "",
            f"Direct ManifestWorks: {direct[0]}, {direct[1]} applied, {direct[2]} available.",
        ]
    return "\n".join([*lines, ""])


def _direct(cluster: views.ClusterState) -> tuple[int, int, int]:
    """A cluster's works not from a ManifestWorkReplicaSet: how many, applied, available."""
    found: tuple[int, int, int] | None = cluster.derived.get("readme-direct")
    if found is None:
        direct = [w for w in cluster.works if w.replica_set is None]
        found = cluster.derived["readme-direct"] = (
            len(direct),
            sum(w.is_true("Applied") for w in direct),
            sum(w.is_true("Available") for w in direct),
        )
    return found


def _placements(items: Sequence[placements.Rollup]) -> str:
    lines = [
        "## Placements",
        "",
        "| Placement | Selected | Available | Satisfied |",
        "|---|---|---|---|",
    ]
    for item in items:
        counts = item.counts()
        cond = item.placement.condition("PlacementSatisfied")
        satisfied = f"{cond.get('status', '-')} {text(cond.get('reason', ''))}".strip()
        name = f"{item.placement.namespace}/{item.placement.name}"
        lines.append(
            f"| [{name}]({item.path}) | {item.placement.selected} | "
            f"{counts['available']} | {satisfied} |"
        )
    return "\n".join([*lines, ""])


def _not_accepted(clusters: Sequence[views.ClusterState]) -> str:
    waiting = [c for c in clusters if not c.accepted]
    if not waiting:
        return ""
    lines = ["## Reports from clusters not accepted", ""]
    lines += [f"- {_cluster_link(c)}" for c in waiting[:MAX_PROBLEMS]]
    if len(waiting) > MAX_PROBLEMS:
        lines.append(f"- ... and {len(waiting) - MAX_PROBLEMS} more")
    return "\n".join([*lines, ""])


def _source_valid(status: Mapping[str, Any]) -> Mapping[str, Any]:
    for cond in status.get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == "SourceValid":
            return cond
    return {}


def _code(value: object) -> str:
    """Text for inside a code span (backticks and pipes cannot appear there)."""
    return " ".join(str(value).split())[:MAX_MESSAGE].replace("`", "'").replace("|", "/")


def _short(value: object) -> str:
    return str(value)[:12] if value else "none"


def _redact(url: str) -> str:
    """The URL without user information (credentials never reach the README)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
