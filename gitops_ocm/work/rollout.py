"""OCM's rollout algorithm: which clusters of a placement take a new template now.

Pure: no I/O and no clock; ``now`` is a parameter. This is the decision that
sdk-go's ``RolloutHandler`` makes for a ManifestWorkReplicaSet's placementRef,
rewritten from its documented facts: the strategies ``All``, ``Progressive`` and
``ProgressivePerGroup``, mandatory decision groups first with no failure allowed,
``maxConcurrency`` and ``maxFailures`` as counts or percentages (rounded up, on
float64 arithmetic, as OCM does), ``minSuccessTime`` (soak) and ``progressDeadline``
(a cluster past it is ``TimeOut`` and counts as a failure). The result says which
clusters to roll out now, which timed out, whether ``maxFailures`` stopped the
rollout and when the next evaluation is due. See docs/rollout.md; the controller
does not call this module yet.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gitops_ocm import errors
from gitops_ocm.model import timefmt

_DURATION_PART = re.compile(r"([0-9]+)([hms])")
_PERCENT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_SECONDS = {"h": 3600, "m": 60, "s": 1}
_PARAMS = {"All": "all", "Progressive": "progressive", "ProgressivePerGroup": "progressivePerGroup"}


class Status(enum.Enum):
    """A cluster's rollout status, named as OCM names it."""

    TO_APPLY = "ToApply"
    PROGRESSING = "Progressing"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    TIME_OUT = "TimeOut"
    SKIP = "Skip"


@dataclasses.dataclass(frozen=True, order=True)
class GroupKey:
    """A decision group of a placement: its index, and its name ('' when unnamed)."""

    index: int
    name: str = ""


@dataclasses.dataclass(frozen=True)
class DecisionGroup:
    """The clusters a placement decided on, within one decision group."""

    key: GroupKey
    clusters: frozenset[str]


@dataclasses.dataclass(frozen=True)
class ClusterStatus:
    """One cluster's rollout status, and when it last changed (None when unknown)."""

    cluster: str
    status: Status
    last_transition_time: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class ClusterRollout:
    """A cluster in a rollout result: its status, group and when it must be looked at again."""

    cluster: str
    status: Status
    group: GroupKey | None = None
    last_transition_time: datetime.datetime | None = None
    recheck_time: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class MandatoryGroup:
    """A mandatory decision group: by name (all indexes with that name) or else by index."""

    name: str = ""
    index: int = 0


@dataclasses.dataclass(frozen=True)
class Strategy:
    """A parsed RolloutStrategy; ``progress_deadline`` None means wait forever."""

    type: str = "All"
    progress_deadline: datetime.timedelta | None = None
    min_success_time: datetime.timedelta = datetime.timedelta(0)
    max_failures: int | str = 0
    max_concurrency: int | str = 0
    mandatory: tuple[MandatoryGroup, ...] = ()


@dataclasses.dataclass(frozen=True)
class Result:
    """What to do now: roll out, report as timed out, delete; stopped or not; next look."""

    to_rollout: tuple[ClusterRollout, ...] = ()
    timed_out: tuple[ClusterRollout, ...] = ()
    removed: tuple[str, ...] = ()
    max_failure_breach: bool = False
    recheck_at: datetime.datetime | None = None


def work_status(
    cluster: str, conditions: Sequence[Mapping[str, Any]], generation: int
) -> ClusterStatus:
    """Return a cluster's status from its up-to-date work's conditions, as OCM's MWRS does."""
    found = {c.get("type"): c for c in conditions}
    current = {k: c for k, c in found.items() if c.get("observedGeneration") == generation}
    applied, progressing = current.get("Applied"), current.get("Progressing")
    degraded = found.get("Degraded")
    if not applied or applied.get("status") != "True" or not progressing:
        return ClusterStatus(cluster, Status.TO_APPLY)
    if degraded and "Degraded" not in current:
        return ClusterStatus(cluster, Status.TO_APPLY)
    if progressing.get("status") == "True" and degraded and degraded.get("status") == "True":
        return ClusterStatus(cluster, Status.FAILED, _since(degraded))
    status = Status.SUCCEEDED if progressing.get("status") == "False" else Status.PROGRESSING
    return ClusterStatus(cluster, status, _since(progressing))


def _since(condition: Mapping[str, Any]) -> datetime.datetime | None:
    """Return a condition's lastTransitionTime, or None when it has none."""
    return timefmt.parse(condition.get("lastTransitionTime"))


def strategy_from_dict(raw: Mapping[str, Any] | None) -> Strategy:
    """Parse a placementRef's ``rolloutStrategy`` (already validated); raise InvalidInput if bad."""
    raw = raw or {}
    kind = raw.get("type") or "All"
    if kind not in _PARAMS:
        kinds = "All, Progressive or ProgressivePerGroup"
        raise errors.InvalidInput(f"'type' must be {kinds} (got {kind!r})")
    params = raw.get(_PARAMS[kind]) or {}
    mandatory = params.get("mandatoryDecisionGroups") or []
    return Strategy(
        type=kind,
        progress_deadline=parse_deadline(params.get("progressDeadline")),
        min_success_time=parse_duration(params.get("minSuccessTime") or "0", "minSuccessTime"),
        max_failures=_count_or_percent(params.get("maxFailures", 0), "maxFailures"),
        max_concurrency=_count_or_percent(params.get("maxConcurrency", 0), "maxConcurrency"),
        mandatory=tuple(
            MandatoryGroup(str(g.get("groupName") or ""), int(g.get("groupIndex") or 0))
            for g in mandatory
        ),
    )


def parse_deadline(raw: Any) -> datetime.timedelta | None:
    """Return a progressDeadline: None for 'None', empty or absent, else the duration."""
    if raw is None or raw in ("", "None"):
        return None
    return parse_duration(raw, "progressDeadline")


def parse_duration(raw: Any, name: str = "duration") -> datetime.timedelta:
    """Return a duration such as 90s, 10m, 2h or 1h30m; '0' is zero; raise InvalidInput if bad."""
    text = str(raw)
    if text == "0":
        return datetime.timedelta(0)
    if not text or _DURATION_PART.sub("", text):
        raise errors.InvalidInput(f"{name!r} must be a duration like 90s, 10m, 2h (got {text!r})")
    seconds = sum(int(n) * _SECONDS[u] for n, u in _DURATION_PART.findall(text))
    return datetime.timedelta(seconds=seconds)


def _count_or_percent(raw: Any, name: str) -> int | str:
    """Return a count as an int or a percentage as 'NN%'; raise InvalidInput otherwise."""
    text = str(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if text.isdigit():
        return int(text)
    if text.endswith("%") and _PERCENT.match(text[:-1]):
        return text
    raise errors.InvalidInput(f"{name!r} must be a count or a percentage like 25% (got {text!r})")


def resolve(threshold: int | str, total: int, default: int) -> int:
    """Resolve a count or 'NN%' of ``total`` as OCM does: ceil, and out of (0, total] is default."""
    if isinstance(threshold, str):
        size = math.ceil(float(threshold[:-1]) / 100 * float(total))
    else:
        size = threshold
    return default if size <= 0 or size > total else size


def evaluate(
    strategy: Strategy,
    groups: Sequence[DecisionGroup],
    statuses: Sequence[ClusterStatus],
    now: datetime.datetime,
) -> Result:
    """Return OCM's rollout decision for one placement's decision groups at time ``now``."""
    where = _group_of(groups)
    current = tuple(_entry(s, where) for s in statuses if s.cluster in where)
    removed = tuple(s.cluster for s in statuses if s.cluster and s.cluster not in where)
    if strategy.type == "All":
        size = len(where)
        deadline = strategy.progress_deadline
        zero = datetime.timedelta(0)
        result = _per_cluster(groups, size, size, zero, deadline, current, now)
    else:
        result = _progressive(strategy, groups, current, now)
    return dataclasses.replace(result, removed=removed)


def _progressive(
    strategy: Strategy,
    groups: Sequence[DecisionGroup],
    current: Sequence[ClusterRollout],
    now: datetime.datetime,
) -> Result:
    """Mandatory groups first, allowing no failure; then the rest per cluster or per group."""
    soak, deadline = strategy.min_success_time, strategy.progress_deadline
    chosen = mandatory_keys(strategy.mandatory, groups)
    mandatory = [g for g in groups if g.key in chosen]
    if mandatory:
        first = _per_group(mandatory, 0, soak, deadline, current, now)
        if first.to_rollout or first.timed_out:
            return first
    rest = [g for g in groups if g.key not in chosen]
    if strategy.type == "ProgressivePerGroup":
        return _per_group(rest, strategy.max_failures, soak, deadline, current, now)
    max_failures = resolve(strategy.max_failures, len(_clusters(groups)), 0)
    size = len(_clusters(rest))
    window = resolve(strategy.max_concurrency, size, size)
    return _per_cluster(rest, window, max_failures, soak, deadline, current, now)


def mandatory_keys(
    mandatory: Iterable[MandatoryGroup], groups: Sequence[DecisionGroup]
) -> set[GroupKey]:
    """Return the keys of the mandatory groups: a name picks every index with that name."""
    chosen: set[GroupKey] = set()
    for want in mandatory:
        chosen.update(
            g.key
            for g in groups
            if (g.key.name == want.name if want.name else g.key.index == want.index)
        )
    return chosen


def _per_cluster(
    groups: Sequence[DecisionGroup],
    size: int,
    max_failures: int,
    soak: datetime.timedelta,
    deadline: datetime.timedelta | None,
    statuses: Sequence[ClusterRollout],
    now: datetime.datetime,
) -> Result:
    """Fill a window of ``size`` clusters: known statuses by name, then new clusters by name."""
    where = _group_of(groups)
    rollout: list[ClusterRollout] = []
    timed_out: list[ClusterRollout] = []
    seen: set[str] = set()
    failures, breach = 0, False
    for entry in sorted((s for s in statuses if s.cluster), key=lambda s: s.cluster):
        seen.add(entry.cluster)
        if not breach or entry.status is not Status.TO_APPLY:
            entry = _place(entry, soak, deadline, now, rollout, timed_out)
        if entry.status in (Status.TIME_OUT, Status.FAILED):
            failures += 1
            breach = failures > max_failures
        if len(rollout) >= size:
            return _result(rollout, timed_out, breach, now)
    if breach:
        return _result(rollout, timed_out, breach, now)
    for cluster in sorted(set(where) - seen):
        if len(rollout) >= size:
            break
        rollout.append(ClusterRollout(cluster, Status.TO_APPLY, where[cluster]))
    return _result(rollout, timed_out, False, now)


def _per_group(
    groups: Sequence[DecisionGroup],
    max_failures: int | str,
    soak: datetime.timedelta,
    deadline: datetime.timedelta | None,
    statuses: Sequence[ClusterRollout],
    now: datetime.datetime,
) -> Result:
    """Walk groups by index; stop at the first group that leaves work in flight or breaches."""
    rollout: list[ClusterRollout] = []
    timed_out: list[ClusterRollout] = []
    known: dict[str, Status] = {}
    for status in statuses:
        if status.cluster and status.status is not Status.TO_APPLY:
            entry = _place(status, soak, deadline, now, rollout, timed_out)
            known[status.cluster] = entry.status
    total_failures, breach = 0, False
    for group in sorted(groups, key=lambda g: g.key.index):
        limit = resolve(max_failures, len(group.clusters), 0)
        failures = 0
        for cluster in sorted(group.clusters):
            if cluster not in known:
                rollout.append(ClusterRollout(cluster, Status.TO_APPLY, group.key))
            elif known[cluster] in (Status.TIME_OUT, Status.FAILED):
                failures += 1
                breach = failures > limit
        total_failures += failures
        if len(rollout) - total_failures > 0 or breach:
            break
    return _result(rollout, timed_out, breach, now)


def _place(
    entry: ClusterRollout,
    soak: datetime.timedelta,
    deadline: datetime.timedelta | None,
    now: datetime.datetime,
    rollout: list[ClusterRollout],
    timed_out: list[ClusterRollout],
) -> ClusterRollout:
    """Put a known cluster in the window, among the timed out, or nowhere; return it as placed."""
    if entry.status is Status.TO_APPLY:
        rollout.append(entry)
    elif entry.status is Status.SUCCEEDED:
        soak_end = _after(entry.last_transition_time, soak, now)
        if now < soak_end:
            entry = dataclasses.replace(entry, recheck_time=soak_end)
            rollout.append(entry)
    elif entry.status not in (Status.TIME_OUT, Status.SKIP):
        due = None if deadline is None else _after(entry.last_transition_time, deadline, now)
        entry = dataclasses.replace(entry, recheck_time=due)
        if due is None or now < due:
            rollout.append(entry)
        else:
            entry = dataclasses.replace(entry, status=Status.TIME_OUT)
            timed_out.append(entry)
    return entry


def _after(
    start: datetime.datetime | None, span: datetime.timedelta, now: datetime.datetime
) -> datetime.datetime:
    """Return ``start + span``, counting from ``now`` when the start is unknown (as OCM)."""
    return (now if start is None else start) + span


def _result(
    rollout: list[ClusterRollout],
    timed_out: list[ClusterRollout],
    breach: bool,
    now: datetime.datetime,
) -> Result:
    """Assemble a result; the next look is the earliest recheck time still ahead of ``now``."""
    ahead = [e.recheck_time for e in rollout if e.recheck_time is not None and e.recheck_time > now]
    return Result(tuple(rollout), tuple(timed_out), (), breach, min(ahead, default=None))


def _entry(status: ClusterStatus, where: Mapping[str, GroupKey]) -> ClusterRollout:
    """Return a known status as a result entry, with the cluster's decision group."""
    group = where.get(status.cluster)
    return ClusterRollout(status.cluster, status.status, group, status.last_transition_time)


def _group_of(groups: Iterable[DecisionGroup]) -> dict[str, GroupKey]:
    """Map each cluster to its decision group."""
    return {cluster: g.key for g in groups for cluster in g.clusters}


def _clusters(groups: Iterable[DecisionGroup]) -> set[str]:
    """Return every cluster of the groups."""
    return {cluster for g in groups for cluster in g.clusters}
