"""One step of a ManifestWorkReplicaSet's rollout: which revision each cluster holds next.

Pure. A set that rolls out in steps (:func:`rolloutstate.is_rollout`) is not
given to every selected cluster at once. Each pass computes, from

* the set on main (its template, strategies and annotations),
* its placements' decisions and decision groups,
* the previous hub tree (which revision each cluster's work file holds, and the
  state file ``rollouts/<ns>/<name>.yaml``),
* the status tree (each cluster's report of its work), and
* the time,

which clusters get the new revision now (OCM's ``RolloutHandler``,
:func:`gitops_ocm.work.rollout.evaluate`), which keep what they hold, and the
new state file. Nothing is remembered outside the hub tree, so a restarted
controller continues where the last one stopped, and ``gitops-ocm render
--previous --status --now`` computes the very step the controller publishes.

What we add to OCM (docs/rollout.md): with ``gitops-ocm.io/on-failure:
rollback`` a rollout that breaches ``maxFailures`` gives the clusters that took
the failing revision the last revision that succeeded on every cluster, as a
rollout of its own; ``gitops-ocm.io/rollout: paused`` holds a rollout where it is.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from gitops_ocm import errors
from gitops_ocm.model import rendercache, timefmt, yamlfile, yamlout
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.placement import publication
from gitops_ocm.render import works
from gitops_ocm.work import rollout, rolloutstate

Key = tuple[str, str]
PRESCRIPTION = "gitops-ocm.io/prescription"  # the report's note of the hub blob it observed


@dataclasses.dataclass(frozen=True)
class Context:
    """What a rollout step reads besides the desired state: ocm/hub, ocm/status and the time."""

    previous: Mapping[str, bytes]
    status: Mapping[str, bytes]
    now: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Step:
    """The outcome of one pass for one set: its works, its state file, and when to look again."""

    works: tuple[works.Work, ...]
    state: rolloutstate.RolloutState
    data: bytes
    recheck_at: datetime.datetime | None
    watching: tuple[str, ...]  # status paths whose change can move this rollout
    observed: tuple[object, ...] = ()  # what those paths held when this step was taken

    @property
    def path(self) -> str:
        """The state file's path on ``ocm/hub``."""
        return self.state.path

    @property
    def settled(self) -> bool:
        """Whether only a change on main can move this rollout again."""
        return not self.watching and self.recheck_at is None

    def still(self, ctx: Context) -> bool:
        """Whether stepping again at ``ctx`` would give this very step (nothing it reads moved).

        True when no soak or deadline has ended and every work report it watches
        is what it was; the caller also checks that the set and its placements
        did not change.
        """
        if self.recheck_at is not None and ctx.now >= self.recheck_at:
            return False
        return report_key(ctx.status, self.watching) == self.observed


def report_key(status: Mapping[str, bytes], paths: Sequence[str]) -> tuple[object, ...]:
    """Name what ``paths`` hold in a status tree: blob ids when it has them, else the bytes."""
    blob = getattr(status, "blob", None)
    if callable(blob):
        return tuple(blob(path) for path in paths)
    return tuple(status.get(path) for path in paths)


@dataclasses.dataclass(frozen=True)
class _Held:
    """What a cluster's work file on ``ocm/hub`` holds: its bytes, revision and template."""

    data: bytes
    revision: str
    template: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class _Part:
    """One placementRef's evaluation against one target revision."""

    name: str
    strategy: rollout.Strategy
    clusters: tuple[str, ...]
    result: rollout.Result
    statuses: Mapping[str, rollout.ClusterStatus]

    def given(self, held: Mapping[str, _Held | None], target: str) -> list[str]:
        """Clusters the window gives the target that do not hold it yet."""
        out = []
        for entry in self.result.to_rollout:
            now_held = held.get(entry.cluster)
            if now_held is None or now_held.revision != target:
                out.append(entry.cluster)
        return sorted(out)

    def window(self) -> set[str]:
        """Clusters in the window (to apply, in flight, failing within deadline, soaking)."""
        return {entry.cluster for entry in self.result.to_rollout}

    def failed(self) -> list[str]:
        """Clusters that failed (Failed, or past their deadline)."""
        timed = {entry.cluster for entry in self.result.timed_out}
        failed = {c for c, s in self.statuses.items() if s.status is rollout.Status.FAILED}
        return sorted(failed | timed)

    def timed_out(self) -> list[str]:
        """Clusters past their progress deadline."""
        return sorted(entry.cluster for entry in self.result.timed_out)

    def done(self) -> list[str]:
        """Clusters that hold the target, succeeded and finished soaking."""
        window = self.window()
        return sorted(
            c
            for c, s in self.statuses.items()
            if s.status is rollout.Status.SUCCEEDED and c not in window
        )


def step(
    obj: Obj,
    results: Mapping[Key, publication.PlacementResult],
    accepted: set[str] | frozenset[str],
    ctx: Context,
    held_files: Callable[[str], bytes | None] | None = None,
    cache: rendercache.RenderCache | None = None,
) -> Step:
    """Compute this pass's step of ManifestWorkReplicaSet ``obj`` (see the module docstring).

    ``held_files`` returns a cluster's current work file when the caller has
    them (the render engine); otherwise they are read from ``ctx.previous``.
    """
    template = obj.spec.get("manifestWorkTemplate")
    template = template if isinstance(template, dict) else {}
    name = works.mwrs_work_name(obj.namespace, obj.name)
    revision = rolloutstate.revision(template)
    stamp = timefmt.format_seconds(ctx.now)
    before = _previous_state(ctx, obj, cache)
    owner = _owners(obj, results, accepted)
    held = {c: _held(ctx, c, name, held_files, cache) for c in owner}
    same = before is not None and before.revision == revision
    stable = _stable(before, held, revision)
    backing = same and before is not None and before.failed_revision == revision
    backing = backing and stable is not None
    annotations = obj.annotations
    pause = rolloutstate.paused(annotations)

    target, target_template = _target(backing, stable, revision, template)
    parts = _evaluate(
        obj, results, owner, held, _Given(before if same else None, target), ctx, name, cache
    )
    breach = any(p.result.max_failure_breach for p in parts)
    if (
        breach
        and not backing
        and rolloutstate.rolls_back(annotations)
        and stable is not None
        and stable.revision != revision
        and not pause
    ):
        backing = True
        target, target_template = _target(backing, stable, revision, template)
        parts = _evaluate(
            obj, results, owner, held, _Given(before if same else None, target), ctx, name, cache
        )
        breach = any(p.result.max_failure_breach for p in parts)

    given = set() if pause else {c for p in parts for c in p.given(held, target)}
    bodies: dict[tuple[str, str], dict[str, Any]] = {}
    out: list[works.Work] = []
    for cluster in sorted(owner):
        placement = owner[cluster]
        now_held = held[cluster]
        if cluster in given:
            rev, tmpl = target, target_template
        elif now_held is not None:
            rev, tmpl = now_held.revision, now_held.template
        else:
            continue
        body = bodies.get((rev, placement))
        if body is None:
            body = bodies[(rev, placement)] = works.mwrs_body(obj, name, dict(tmpl), placement)
        out.append(works.Work(cluster, name, body, obj))
    out.sort(key=lambda w: (owner[w.cluster], w.cluster))

    total = len(owner)
    done = sum(len(p.done()) for p in parts)
    complete = total > 0 and done == total and not given
    ordered = sorted(given)
    phase, reason, message = _phase(
        pause, backing, breach, complete, total, parts, revision, target, stable
    )
    if complete and not backing:
        stable = rolloutstate.Stable(revision, template)
    states = tuple(_placement_state(p, held, target, given) for p in parts)
    since = before.since if before is not None and same and before.phase == phase else stamp
    started = before.started_at if before is not None and same else stamp
    steps = tuple(before.steps) if before is not None else ()
    moved = bool(given) or before is None or before.phase != phase or not same
    if moved:
        steps = (*steps, _step(stamp, phase, target, ordered, message))
    state = rolloutstate.RolloutState(
        namespace=obj.namespace,
        name=obj.name,
        work_name=name,
        revision=revision,
        target=target,
        phase=phase,
        reason=reason,
        message=message,
        since=since,
        started_at=started,
        stable=stable,
        failed_revision=revision if backing else None,
        placements=states,
        steps=steps[-rolloutstate.STEPS_KEPT :],
    )
    settled = phase in (rolloutstate.SUCCEEDED, rolloutstate.ROLLED_BACK, rolloutstate.PAUSED)
    times = [p.result.recheck_at for p in parts if p.result.recheck_at is not None]
    watching: tuple[str, ...] = ()
    if not settled:
        watching = tuple(
            _report_path(c, name) for c in sorted(owner) if c in given or _holds(held[c], target)
        )
    return Step(
        tuple(out),
        state,
        rendercache.dump_with(cache, state.to_body()),
        None if settled or not times else min(times),
        watching,
        report_key(ctx.status, watching),
    )


@dataclasses.dataclass(frozen=True)
class _Given:
    """When each cluster was given the target, as far as the last steps remember.

    ``before`` is the state of this same rollout (None when the revision on main
    changed: a new rollout knows no times, and an unknown time counts from now).
    """

    before: rolloutstate.RolloutState | None
    target: str

    def since(self, cluster: str) -> datetime.datetime | None:
        """The time of the step that gave ``cluster`` the target (else the rollout's start)."""
        if self.before is None:
            return None
        for past in reversed(self.before.steps):
            if past.revision == self.target and cluster in past.clusters:
                return timefmt.parse(past.time)
        return timefmt.parse(self.before.started_at)


def _target(
    backing: bool, stable: rolloutstate.Stable | None, revision: str, template: Mapping[str, Any]
) -> tuple[str, Mapping[str, Any]]:
    """The revision given out, and its template: the stable one while rolling back."""
    if backing and stable is not None:
        return stable.revision, stable.template
    return revision, template


def _holds(held: _Held | None, revision: str) -> bool:
    return held is not None and held.revision == revision


def _evaluate(
    obj: Obj,
    results: Mapping[Key, publication.PlacementResult],
    owner: Mapping[str, str],
    held: Mapping[str, _Held | None],
    given: _Given,
    ctx: Context,
    name: str,
    cache: rendercache.RenderCache | None,
) -> list[_Part]:
    """Run OCM's rollout for each placementRef against ``given.target``."""
    target = given.target
    parts: list[_Part] = []
    seen: set[str] = set()
    for ref in obj.spec.get("placementRefs") or []:
        if not isinstance(ref, Mapping):
            continue
        placement = str(ref.get("name"))
        if placement in seen:
            continue
        seen.add(placement)
        strategy = _strategy(ref.get("rolloutStrategy"))
        mine = tuple(sorted(c for c, p in owner.items() if p == placement))
        result = results.get((obj.namespace, placement))
        groups = _groups(result, set(mine))
        statuses: dict[str, rollout.ClusterStatus] = {}
        for cluster in mine:
            now_held = held[cluster]
            if now_held is not None and now_held.revision == target:
                found = _status(ctx, cluster, name, now_held.data, cache)
                if found.status is rollout.Status.TO_APPLY:
                    found = rollout.ClusterStatus(
                        cluster, rollout.Status.PROGRESSING, given.since(cluster)
                    )
                statuses[cluster] = found
        evaluated = rollout.evaluate(strategy, groups, list(statuses.values()), ctx.now)
        parts.append(_Part(placement, strategy, mine, evaluated, statuses))
    return parts


def _strategy(raw: object) -> rollout.Strategy:
    """The placementRef's strategy; one validation refused reads as All (never published)."""
    try:
        return rollout.strategy_from_dict(raw if isinstance(raw, Mapping) else None)
    except errors.InvalidInput:
        return rollout.Strategy()


def _groups(
    result: publication.PlacementResult | None, mine: set[str]
) -> list[rollout.DecisionGroup]:
    """The placement's decision groups, restricted to the clusters this set owns there."""
    if result is None:
        return []
    out = []
    for index, group in enumerate(result.groups):
        clusters = frozenset(c for c in group.clusters if c in mine)
        out.append(rollout.DecisionGroup(rollout.GroupKey(index, group.name), clusters))
    return out


def _owners(
    obj: Obj,
    results: Mapping[Key, publication.PlacementResult],
    accepted: set[str] | frozenset[str],
) -> dict[str, str]:
    """Each selected, accepted cluster and the first placementRef that selects it."""
    owner: dict[str, str] = {}
    for placement in works.placement_names(obj):
        result = results.get((obj.namespace, placement))
        for cluster in result.clusters if result is not None else ():
            if cluster in accepted:
                owner.setdefault(cluster, placement)
    return owner


def _previous_state(
    ctx: Context, obj: Obj, cache: rendercache.RenderCache | None
) -> rolloutstate.RolloutState | None:
    data = ctx.previous.get(rolloutstate.path(obj.namespace, obj.name))
    body = _load(cache, data)
    return rolloutstate.RolloutState.from_body(body) if body is not None else None


def _held(
    ctx: Context,
    cluster: str,
    name: str,
    files: Callable[[str], bytes | None] | None,
    cache: rendercache.RenderCache | None,
) -> _Held | None:
    """What the cluster's work file holds now (None: no work, or one we cannot read)."""
    if files is not None:
        data = files(cluster)
    else:
        data = ctx.previous.get(f"clusters/{cluster}/manifestworks/{name}.yaml")
    if data is None:
        return None
    body = _load(cache, data)
    spec = body.get("spec") if body is not None else None
    if not isinstance(spec, dict):
        return None
    if cache is None:
        return _Held(data, rolloutstate.revision(spec), spec)
    found = cache.memo("rollout-revision", data, lambda: rolloutstate.revision(spec))
    return _Held(data, found, spec)


def _stable(
    before: rolloutstate.RolloutState | None,
    held: Mapping[str, _Held | None],
    revision: str,
) -> rolloutstate.Stable | None:
    """The last revision that succeeded everywhere: remembered, or what every cluster holds.

    A set that had no state file (it rolled out all at once until now) counts
    the one revision every cluster holds, when they agree, as its stable one.
    """
    if before is not None:
        return before.stable
    found = {h.revision: h for h in held.values() if h is not None}
    if len(found) == 1 and None not in held.values():
        only = next(iter(found.values()))
        if only.revision != revision:
            return rolloutstate.Stable(only.revision, only.template)
    return None


def _report_path(cluster: str, name: str) -> str:
    return f"clusters/{cluster}/manifestworks/{name}.yaml"


def _status(
    ctx: Context, cluster: str, name: str, held: bytes, cache: rendercache.RenderCache | None
) -> rollout.ClusterStatus:
    """The cluster's rollout status from its report of the work it holds (ToApply: none yet)."""
    body = _load(cache, ctx.status.get(_report_path(cluster, name)))
    if body is None:
        return rollout.ClusterStatus(cluster, rollout.Status.TO_APPLY)
    meta = body.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    notes = meta.get("annotations")
    observed = notes.get(PRESCRIPTION) if isinstance(notes, dict) else None
    if observed != yamlfile.blob_id(held):
        return rollout.ClusterStatus(cluster, rollout.Status.TO_APPLY)
    status = body.get("status")
    raw = status.get("conditions") if isinstance(status, dict) else None
    conditions = [_condition(c) for c in raw if _is_condition(c)] if isinstance(raw, list) else []
    generation = meta.get("generation")
    generation = generation if isinstance(generation, int) else 1
    return work_status(cluster, conditions, generation)


def _is_condition(raw: object) -> bool:
    """Whether a reported condition has the shape we read (a report is untrusted input)."""
    return isinstance(raw, dict) and isinstance(raw.get("type"), str)


def _condition(raw: dict[str, Any]) -> dict[str, Any]:
    """A reported condition with only well-typed fields (odd ones read as absent)."""
    out = {
        k: raw[k] for k in ("type", "status", "lastTransitionTime") if isinstance(raw.get(k), str)
    }
    generation = raw.get("observedGeneration")
    if isinstance(generation, int) and not isinstance(generation, bool):
        out["observedGeneration"] = generation
    return out


def work_status(
    cluster: str, conditions: Sequence[Mapping[str, Any]], generation: int
) -> rollout.ClusterStatus:
    """A cluster's status: OCM's when its work has a Progressing condition, ours without one.

    OCM reads only Applied, Progressing and Degraded, so a work without a
    Progressing condition rule never advances a rollout. Without one we read
    Applied and Available: Applied False or Degraded True is Failed, Available
    True is Succeeded (since Available's transition), anything else is
    Progressing (since Applied's), so that ``progressDeadline`` can time it out.
    """
    current = {
        c.get("type"): c for c in conditions if c.get("observedGeneration") in (None, generation)
    }
    if "Progressing" in current:
        return rollout.work_status(cluster, conditions, generation)
    applied = current.get("Applied")
    if applied is None:
        return rollout.ClusterStatus(cluster, rollout.Status.TO_APPLY)
    degraded, available = current.get("Degraded"), current.get("Available")
    if applied.get("status") == "False":
        return rollout.ClusterStatus(cluster, rollout.Status.FAILED, _since(applied))
    if applied.get("status") != "True":
        return rollout.ClusterStatus(cluster, rollout.Status.TO_APPLY)
    if degraded is not None and degraded.get("status") == "True":
        return rollout.ClusterStatus(cluster, rollout.Status.FAILED, _since(degraded))
    if available is not None and available.get("status") == "True":
        return rollout.ClusterStatus(cluster, rollout.Status.SUCCEEDED, _since(available))
    return rollout.ClusterStatus(cluster, rollout.Status.PROGRESSING, _since(applied))


def _since(condition: Mapping[str, Any]) -> datetime.datetime | None:
    return timefmt.parse(condition.get("lastTransitionTime"))


def _phase(
    pause: bool,
    backing: bool,
    breach: bool,
    complete: bool,
    total: int,
    parts: Sequence[_Part],
    revision: str,
    target: str,
    stable: rolloutstate.Stable | None,
) -> tuple[str, str, str]:
    """The phase, its reason and a sentence saying why."""
    failed = sorted({c for p in parts for c in p.failed()})
    shown = ", ".join(failed[:5]) + (f" and {len(failed) - 5} more" if len(failed) > 5 else "")
    failures = f"{len(failed)} of {total} clusters failed" + (f": {shown}" if failed else "")
    if pause:
        return rolloutstate.PAUSED, "Paused", "held by gitops-ocm.io/rollout: paused"
    if total == 0:
        return rolloutstate.PROGRESSING, "PlacementDecisionEmpty", "no cluster is selected"
    if backing:
        if complete:
            return (
                rolloutstate.ROLLED_BACK,
                "RolledBack",
                f"revision {revision} failed; every cluster is back on {target}",
            )
        if breach:
            return (
                rolloutstate.HALTED,
                "RollbackFailed",
                f"rolling back to {target} failed too: {failures}",
            )
        return (
            rolloutstate.ROLLING_BACK,
            "MaxFailuresExceeded",
            f"revision {revision} failed; giving back {target}",
        )
    if complete:
        return rolloutstate.SUCCEEDED, "Complete", f"revision {revision} succeeded on every cluster"
    if breach:
        why = "no earlier revision succeeded everywhere" if stable is None else "halted"
        return rolloutstate.HALTED, "MaxFailuresExceeded", f"{failures} ({why})"
    return rolloutstate.PROGRESSING, "Progressing", f"rolling out revision {revision}"


def _placement_state(
    part: _Part, held: Mapping[str, _Held | None], target: str, given: set[str]
) -> rolloutstate.PlacementState:
    updated = [c for c in part.clusters if c in given or _holds(held[c], target)]
    failed, timed = part.failed(), part.timed_out()
    done = part.done()
    recheck = part.result.recheck_at
    return rolloutstate.PlacementState(
        name=part.name,
        type=part.strategy.type,
        total=len(part.clusters),
        updated=len(updated),
        succeeded=len(done),
        in_flight=len(updated) - len(done) - len(failed),
        failed=len(failed),
        timed_out=len(timed),
        failed_clusters=tuple(failed),
        timed_out_clusters=tuple(timed),
        recheck_at=timefmt.format_seconds(recheck) if recheck is not None else None,
    )


def _step(
    stamp: str, phase: str, target: str, given: Sequence[str], message: str
) -> rolloutstate.Step:
    count = f"{len(given)} cluster{'' if len(given) == 1 else 's'}"
    text = f"gave {target} to {count}" if given else message
    return rolloutstate.Step(stamp, phase, target, len(given), tuple(given), text)


def _load(cache: rendercache.RenderCache | None, data: bytes | None) -> dict[str, Any] | None:
    """Parse a YAML mapping (once per distinct bytes with a cache); None when it is not one.

    What is parsed is shared through the cache: read it, never change it.
    """
    if data is None:
        return None
    if cache is None:
        return yamlout.load_mapping(data) or None
    found: dict[str, Any] = cache.memo("rollout-load", data, lambda: yamlout.load_mapping(data))
    return found or None
