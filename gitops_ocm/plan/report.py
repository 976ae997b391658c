"""Printing a plan as text (terminals), markdown (pull-request comments) or JSON (tools).

Pure: every function returns a string or a dict. The markdown puts the totals
table first and each placement and change group in a collapsible
``<details>`` section; it stays under ``limit`` characters (GitHub rejects
comments over 65,536), saying what was left out. The JSON shape is documented
in docs/plan.md; fields are only ever added. How each changed
ManifestWorkReplicaSet rolls out (:mod:`gitops_ocm.plan.rolloutplan`) follows the
placements, worded by :mod:`gitops_ocm.plan.rolloutreport`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from typing import Any

from gitops_ocm.plan import compare, freshness, rolloutplan, rolloutreport
from gitops_ocm.problems import Problem, Severity

LIMIT = 60_000
NAMES_SHOWN = 100
MOVES_SHOWN = 50
FORMATS = ("text", "markdown", "json")


@dataclasses.dataclass(frozen=True)
class Header:
    """What the plan compares and how the head validated."""

    base: str
    head: str
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    status: freshness.Freshness = dataclasses.field(default_factory=freshness.Freshness)

    @property
    def errors(self) -> int:
        """Return the number of errors (a head with errors is invalid)."""
        return sum(1 for p in self.problems if p.severity is Severity.ERROR)

    @property
    def verdict(self) -> str:
        """Return "valid (N warnings)" or "invalid: N errors, M warnings"."""
        warnings = len(self.problems) - self.errors
        if self.errors:
            return f"invalid: {self.errors} errors, {warnings} warnings"
        return f"valid ({warnings} warnings)"


Rollouts = Sequence[rolloutplan.RolloutPlan]


def render(
    fmt: str,
    header: Header,
    plan: compare.Plan | None,
    limit: int = LIMIT,
    rollouts: Rollouts = (),
) -> str:
    """Return the report in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "markdown":
        return to_markdown(header, plan, limit, rollouts)
    if fmt == "json":
        return json.dumps(to_dict(header, plan, rollouts), indent=2, sort_keys=True) + "\n"
    return to_text(header, plan, rollouts)


# -- JSON --------------------------------------------------------------------


def to_dict(header: Header, plan: compare.Plan | None, rollouts: Rollouts = ()) -> dict[str, Any]:
    """Return the JSON form (documented in docs/plan.md)."""
    body: dict[str, Any] = {
        "base": header.base,
        "head": header.head,
        "valid": header.errors == 0,
        "errors": header.errors,
        "warnings": len(header.problems) - header.errors,
        "problems": [p.to_dict() for p in header.problems],
        "notes": list(header.notes),
        "status": freshness.to_dict(header.status),
        "totals": None,
        "placements": [],
        "changes": [],
        "clusters": [],
        "rollouts": [],
    }
    if plan is None:
        return body
    body["rollouts"] = [rolloutreport.to_dict(r) for r in rollouts]
    body["totals"] = {_camel(k): v for k, v in dataclasses.asdict(plan.totals).items()}
    body["placements"] = [_placement_dict(p) for p in plan.placements]
    body["changes"] = [_change_dict(c) for c in plan.changes]
    body["clusters"] = [
        {
            "cluster": c.cluster,
            "registration": c.registration,
            "works": {a: list(n) for a, n in c.works.items()},
            "policies": {a: list(n) for a, n in c.policies.items()},
        }
        for c in plan.clusters
    ]
    return body


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def _placement_dict(change: compare.PlacementChange) -> dict[str, Any]:
    return {
        "placement": f"{change.namespace}/{change.name}",
        "state": change.state,
        "before": change.before,
        "after": change.after,
        "joined": [dataclasses.asdict(m) for m in change.joined],
        "left": [dataclasses.asdict(m) for m in change.left],
    }


def _change_dict(change: compare.Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "name": change.name,
        "action": change.action,
        "clusters": list(change.clusters),
        "diff": list(change.diff),
        "diffLinesOmitted": change.omitted,
    }


# -- text --------------------------------------------------------------------


def to_text(header: Header, plan: compare.Plan | None, rollouts: Rollouts = ()) -> str:
    """Return the plan for a terminal."""
    lines = [f"plan {_short(header.base)} -> {_short(header.head)}", f"head: {header.verdict}"]
    lines.extend(f"  {p.render()}" for p in header.problems)
    lines.extend(f"note: {n}" for n in header.notes)
    lines.extend(freshness.lines(header.status))
    if plan is None:
        return "\n".join(lines) + "\n"
    lines.append(f"totals: {_totals_line(plan.totals)}")
    for moved in plan.placements:
        lines.append("")
        lines.append(f"{_placement_title(moved)}")
        for sign, moves in (("+", moved.joined), ("-", moved.left)):
            for move in moves:
                lines.append(f"  {sign} {move.cluster}: now {move.after}; before {move.before}")
    lines.extend(rolloutreport.text_lines(rollouts))
    for change in plan.changes:
        lines.append("")
        lines.append(f"{_change_title(change)}: {_names(change.clusters, 20)}")
        lines.extend(f"  {line}" for line in change.diff)
        if change.omitted:
            lines.append(f"  ... {change.omitted} more diff lines")
    if not plan.placements and not plan.changes:
        lines.append("no change to the hub tree")
    return "\n".join(lines) + "\n"


def _short(rev: str) -> str:
    return rev[:12] if len(rev) == 40 else rev


def _totals_line(totals: compare.Totals) -> str:
    t = totals
    return (
        f"{t.clusters_affected} clusters affected; "
        f"works +{t.works_added} -{t.works_removed} ~{t.works_changed}; "
        f"policies +{t.policies_added} -{t.policies_removed} ~{t.policies_changed}; "
        f"clusters +{t.clusters_added} -{t.clusters_removed}; "
        f"{t.placements_changed} placements changed"
    )


def _placement_title(moved: compare.PlacementChange) -> str:
    state = "" if moved.state == "changed" else f" ({moved.state})"
    return (
        f"Placement {moved.namespace}/{moved.name}{state}: {moved.before} -> {moved.after} "
        f"clusters (+{len(moved.joined)} -{len(moved.left)})"
    )


def _change_title(change: compare.Change) -> str:
    what = change.kind if not change.name else f"{change.kind} {change.name}"
    count = len(change.clusters)
    return f"{what} {change.action} on {count} cluster{'s' if count != 1 else ''}"


def _names(names: Sequence[str], shown: int) -> str:
    text = ", ".join(names[:shown])
    if len(names) > shown:
        text += f" and {len(names) - shown} more"
    return text


# -- markdown ----------------------------------------------------------------


def to_markdown(
    header: Header, plan: compare.Plan | None, limit: int = LIMIT, rollouts: Rollouts = ()
) -> str:
    """Return the plan as a pull-request comment of at most ``limit`` characters."""
    icon = ":x:" if header.errors else ":white_check_mark:"
    top = [
        f"## gitops-ocm plan `{_short(header.base)}` → `{_short(header.head)}`",
        "",
        f"{icon} head is **{header.verdict}**",
        "",
    ]
    if plan is not None:
        top.extend(_summary_table(plan.totals))
    top.extend(f"_{_md_escape(n)}_\n" for n in header.notes)
    top.extend(f"_{_md_escape(line)}_\n" for line in freshness.lines(header.status))
    sections = list(_md_sections(header, plan, rollouts))
    footer_reserve = 400
    body = "\n".join(top)
    shown = 0
    for section in sections:
        if len(body) + len(section) + footer_reserve > limit:
            break
        body += "\n" + section
        shown += 1
    if shown < len(sections):
        body += (
            f"\n**{len(sections) - shown} of {len(sections)} sections not shown** "
            f"(comment size limit of {limit} characters); run `gitops-ocm plan "
            f"--output json` for the whole plan.\n"
        )
    if plan is not None and not plan.placements and not plan.changes:
        body += "\nNo change to the hub tree.\n"
    return body


def _summary_table(totals: compare.Totals) -> list[str]:
    t = totals
    return [
        "| | added | removed | changed |",
        "|---|---:|---:|---:|",
        f"| ManifestWorks | {t.works_added} | {t.works_removed} | {t.works_changed} |",
        f"| Policies | {t.policies_added} | {t.policies_removed} | {t.policies_changed} |",
        f"| Clusters | {t.clusters_added} | {t.clusters_removed} | |",
        "",
        f"**{t.clusters_affected} clusters affected, {t.placements_changed} placements "
        "change their clusters.**",
        "",
    ]


def _md_sections(header: Header, plan: compare.Plan | None, rollouts: Rollouts) -> Iterable[str]:
    if header.problems:
        problems = "\n".join(p.render() for p in header.problems)
        yield _details(f"Validation: {header.verdict}", f"```\n{problems}\n```", header.errors > 0)
    if plan is None:
        return
    for moved in plan.placements:
        title = _md_escape(_placement_title(moved)).replace(" -&gt; ", " → ")
        yield _details(title, _moves_table(moved))
    for rolled in rollouts:
        body = rolloutreport.markdown_body(rolled, _md_escape)
        yield _details(_md_escape(rolloutreport.title(rolled)), body)
    for change in plan.changes:
        yield _details(_md_escape(_change_title(change)), _change_body(change))


def _details(summary: str, body: str, open_: bool = False) -> str:
    opened = " open" if open_ else ""
    return f"<details{opened}><summary>{summary}</summary>\n\n{body}\n\n</details>\n"


def _moves_table(moved: compare.PlacementChange) -> str:
    rows = ["| cluster | | now | before |", "|---|---|---|---|"]
    moves = [("joins", m) for m in moved.joined] + [("leaves", m) for m in moved.left]
    for verb, move in moves[:MOVES_SHOWN]:
        rows.append(
            f"| `{move.cluster}` | {verb} | {_md_escape(move.after)} | {_md_escape(move.before)} |"
        )
    if len(moves) > MOVES_SHOWN:
        rows.append(f"\n_{len(moves) - MOVES_SHOWN} more clusters not shown._")
    return "\n".join(rows)


def _change_body(change: compare.Change) -> str:
    parts = [f"Clusters: {_names([f'`{c}`' for c in change.clusters], NAMES_SHOWN)}"]
    if change.diff:
        diff = "\n".join(change.diff).replace("```", "ˋˋˋ")
        parts.append(f"```diff\n{diff}\n```")
    if change.omitted:
        parts.append(f"_{change.omitted} more diff lines not shown._")
    return "\n\n".join(parts)


def _md_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
    )
