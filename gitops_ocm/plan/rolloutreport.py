"""The rollout part of a plan as text lines, a markdown section and JSON.

Pure: every function returns strings or a dict. Each setting is said as OCM
resolves it (``25% of 12 = 3 clusters at a time``), so a reviewer sees what the
rollout will do without working out OCM's rounding and fallbacks. At most
:data:`STEPS_SHOWN` steps and :data:`NAMES_SHOWN` names per step are printed
(the JSON holds them all); docs/plan.md shows the shapes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from gitops_ocm.plan import rolloutplan
from gitops_ocm.work import rollout, rolloutstate

STEPS_SHOWN = 5
NAMES_SHOWN = 20


def title(plan: rolloutplan.RolloutPlan) -> str:
    """Return the one-line heading of a set's rollout."""
    count = sum(p.updating for p in plan.placements)
    kinds = ", ".join(f"{p.type} on {p.placement}" for p in plan.placements)
    return (
        f"Rollout of ManifestWorkReplicaSet {plan.namespace}/{plan.name} to "
        f"{_plural(count, 'cluster')}: {kinds}"
    )


def header(plan: rolloutplan.RolloutPlan) -> list[str]:
    """Return the set-wide lines: revisions, what a failure does, paused, minimum duration.

    The set's minimum duration is said only when it has several placements (one
    placement says its own).
    """
    if plan.held:
        lines = [f"revision {', '.join(plan.held)} -> {plan.revision}"]
    else:
        lines = [f"revision {plan.revision} (no cluster holds an earlier one)"]
    if plan.rollback:
        lines.append(
            f"on failure: rollback ({rolloutstate.ON_FAILURE}: rollback): the failing clusters "
            "are given back the last revision that succeeded on every cluster; without one, halt"
        )
    else:
        lines.append("on failure: halt (no cluster is given the revision after too many failures)")
    if plan.paused:
        lines.append(
            f"paused ({rolloutstate.ROLLOUT}: paused): nothing is given out until it is removed"
        )
    if plan.minimum is not None and len(plan.placements) > 1:
        lines.append(f"takes at least {_duration(plan.minimum)} (a lower bound: the soaks alone)")
    return lines


def settings(placement: rolloutplan.PlacementPlan) -> list[str]:
    """Return one placement's strategy settings, each resolved as OCM resolves it."""
    first = (
        f"placement {placement.placement}: {placement.type}, {placement.updating} of "
        f"{_plural(placement.total, 'cluster')} take the new revision in "
        f"{_plural(len(placement.batches), 'step')}"
    )
    return [first, *_limits(placement), *_timing(placement)]


def _limits(placement: rolloutplan.PlacementPlan) -> list[str]:
    """Say how many clusters go at once, how many failures stop it, which groups go first."""
    out = []
    if placement.max_concurrency is not None:
        out.append(f"maxConcurrency: {concurrency(placement.max_concurrency)}")
    if placement.max_failures is not None:
        out.append(f"maxFailures: {failures(placement.max_failures)}")
    elif placement.type == "All":
        out.append("maxFailures: does not apply to All (failures do not stop it)")
    else:
        out.append("maxFailures: per decision group, of its size (each step says its own)")
    if placement.mandatory:
        groups = ", ".join(_group(key) for key in placement.mandatory)
        out.append(f"mandatory decision groups, first, no failure allowed: {groups}")
    return out


def _timing(placement: rolloutplan.PlacementPlan) -> list[str]:
    """Say the soak, the deadline and the minimum duration."""
    out = []
    soak = placement.min_success_time
    if placement.type != "All":
        soaks = f"{_duration(soak)}, each step soaks that long" if soak else "none, no soak"
        out.append(f"minSuccessTime: {soaks}")
    deadline = placement.progress_deadline
    out.append(
        "progressDeadline: none (a cluster may progress forever)"
        if deadline is None
        else f"progressDeadline: {_duration(deadline)} (a cluster not done by then has failed)"
    )
    if placement.minimum is not None:
        steps = _plural(len(placement.batches), "step")
        minimum = _duration(placement.minimum)
        out.append(f"at least {minimum}: {steps} x {_duration(soak)} soak (a lower bound)")
    return out


def concurrency(knob: rolloutplan.Knob) -> str:
    """Say how many clusters are given the revision at a time."""
    if not knob.total:
        return "no cluster outside the mandatory groups"
    if knob.default:
        return f"{_fallback(knob)}: all {knob.total} at once (OCM's default)"
    share = f"{knob.setting} of {knob.total} = " if isinstance(knob.setting, str) else ""
    return f"{share}{_plural(knob.value, 'cluster')} at a time"


def failures(knob: rolloutplan.Knob) -> str:
    """Say how many failures (timeouts included) the rollout tolerates."""
    if knob.default:
        return f"{_fallback(knob)}: 0 (OCM's default), the first failure stops the rollout"
    share = f"{knob.setting} of {knob.total} = " if isinstance(knob.setting, str) else ""
    return f"{share}{knob.value}, failure {knob.value + 1} stops the rollout"


def _fallback(knob: rolloutplan.Knob) -> str:
    """Say why a setting fell back to OCM's default: unset, 0, or above the total."""
    if knob.setting == 0:
        return "unset"
    if isinstance(knob.setting, int):
        return f"{knob.setting} is more than the {_plural(knob.total, 'cluster')}"
    if float(knob.setting[:-1]) <= 0 or not knob.total:
        return f"{knob.setting} of {knob.total} is 0"
    return f"{knob.setting} of {knob.total} is more than {knob.total}"


def step_group(batch: rolloutplan.Batch) -> str:
    """Name a step's decision group and its failure limit ('' for a window of clusters)."""
    if batch.group is None:
        return ""
    if batch.mandatory:
        return f"{_group(batch.group)}, mandatory: no failure allowed"
    if batch.max_failures is not None:
        return f"{_group(batch.group)}: maxFailures {failures(batch.max_failures)}"
    return _group(batch.group)


def steps_not_shown(placement: rolloutplan.PlacementPlan) -> str | None:
    """Say how many steps (and clusters) are left out, None when every step is shown."""
    rest = placement.batches[STEPS_SHOWN:]
    if not rest:
        return None
    count = sum(len(b.clusters) for b in rest)
    return f"{_plural(len(rest), 'more step')} ({_plural(count, 'cluster')}) not shown"


# -- text ---------------------------------------------------------------------


def text_lines(plans: Sequence[rolloutplan.RolloutPlan]) -> list[str]:
    """Return the rollouts for a terminal, one block per set."""
    lines: list[str] = []
    for plan in plans:
        lines.extend(["", title(plan)])
        lines.extend(f"  {line}" for line in header(plan))
        for placement in plan.placements:
            first, *rest = settings(placement)
            lines.append(f"  {first}")
            lines.extend(f"    {line}" for line in rest)
            for number, batch in enumerate(placement.batches[:STEPS_SHOWN], 1):
                group = step_group(batch)
                where = f" [{group}]" if group else ""
                lines.append(f"    step {number}{where}: {_names(batch.clusters)}")
            more = steps_not_shown(placement)
            if more:
                lines.append(f"    ... {more}")
    return lines


# -- markdown -----------------------------------------------------------------


def markdown_body(plan: rolloutplan.RolloutPlan, escape: Callable[[str], str]) -> str:
    """Return the body of a set's ``<details>`` section; ``escape`` makes text table-safe."""
    lines = (escape(line).replace(" -&gt; ", " → ") for line in header(plan))
    parts = ["\n".join(f"- {line}" for line in lines)]
    for placement in plan.placements:
        first, *rest = settings(placement)
        parts.append(f"**{escape(first)}**\n\n" + "\n".join(f"- {escape(r)}" for r in rest))
        rows = ["| step | decision group | clusters |", "|---:|---|---|"]
        for number, batch in enumerate(placement.batches[:STEPS_SHOWN], 1):
            names = _names([f"`{c}`" for c in batch.clusters])
            rows.append(f"| {number} | {escape(step_group(batch))} | {names} |")
        more = steps_not_shown(placement)
        if more:
            rows.append(f"\n_{more}._")
        parts.append("\n".join(rows))
    return "\n\n".join(parts)


# -- JSON ---------------------------------------------------------------------


def to_dict(plan: rolloutplan.RolloutPlan) -> dict[str, Any]:
    """Return a set's rollout in the JSON form of docs/plan.md (every step, every name)."""
    return {
        "manifestWorkReplicaSet": f"{plan.namespace}/{plan.name}",
        "workName": plan.work_name,
        "revision": plan.revision,
        "heldRevisions": list(plan.held),
        "onFailure": "rollback" if plan.rollback else "halt",
        "paused": plan.paused,
        "minimumSeconds": _seconds(plan.minimum),
        "placements": [_placement_dict(plan.namespace, p) for p in plan.placements],
    }


def _placement_dict(namespace: str, placement: rolloutplan.PlacementPlan) -> dict[str, Any]:
    return {
        "placement": f"{namespace}/{placement.placement}",
        "type": placement.type,
        "clusters": placement.total,
        "updating": placement.updating,
        "maxConcurrency": _knob_dict(placement.max_concurrency),
        "maxFailures": _knob_dict(placement.max_failures),
        "minSuccessSeconds": _seconds(placement.min_success_time),
        "progressDeadlineSeconds": _seconds(placement.progress_deadline),
        "mandatoryGroups": [_key_dict(k) for k in placement.mandatory],
        "minimumSeconds": _seconds(placement.minimum),
        "steps": [
            {
                "clusters": list(b.clusters),
                "group": None if b.group is None else _key_dict(b.group),
                "mandatory": b.mandatory,
                "maxFailures": _knob_dict(b.max_failures),
            }
            for b in placement.batches
        ],
    }


def _knob_dict(knob: rolloutplan.Knob | None) -> dict[str, Any] | None:
    if knob is None:
        return None
    return {"setting": knob.setting, "of": knob.total, "value": knob.value, "default": knob.default}


def _key_dict(key: rollout.GroupKey) -> dict[str, Any]:
    return {"index": key.index, "name": key.name}


def _seconds(span: datetime.timedelta | None) -> int | None:
    return None if span is None else int(span.total_seconds())


# -- words --------------------------------------------------------------------


def _group(key: rollout.GroupKey) -> str:
    return f"{key.name} (#{key.index})" if key.name else f"group #{key.index}"


def _names(names: Iterable[str]) -> str:
    listed = list(names)
    text = ", ".join(listed[:NAMES_SHOWN])
    if len(listed) > NAMES_SHOWN:
        text += f" and {len(listed) - NAMES_SHOWN} more"
    return text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _duration(span: datetime.timedelta) -> str:
    """Write a duration as Go does in a rolloutStrategy: 1h30m, 5m, 90s as 1m30s."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if n]
    return "".join(parts) or "0s"
