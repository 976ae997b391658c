"""How each ManifestWorkReplicaSet a change touches will roll out: order, batches, limits, soak.

Pure. A reviewer wants to know before merging not only what a change does to
each cluster but how it reaches them: all at once or a few at a time, which
decision groups go first, how many failures halt it, how long each step soaks.
A ManifestWorkReplicaSet of the head *rolls out* when some cluster it is given
to does not hold its template's revision (:func:`rolloutstate.revision`) in the
base hub tree: its template changed, it is new, or clusters join its
placements. For each of its placementRefs, :func:`plan` resolves the
``rolloutStrategy`` against the clusters that placement gives it, as
:mod:`gitops_ocm.work.rollout` (OCM's ``RolloutHandler``) resolves it, and lists
the order in which that algorithm hands the revision out, assuming every
cluster succeeds: the mandatory decision groups one after another, by index;
then for ``Progressive`` windows of ``maxConcurrency`` clusters in name order,
for ``ProgressivePerGroup`` one decision group after another, by index, and for
``All`` everything at once. ``tests/plan/test_rollout_plan.py`` checks that the
batches are those :func:`rollout.evaluate` gives out pass after pass.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.placement import groups as groups_mod
from gitops_ocm.render import works
from gitops_ocm.work import rollout, rolloutstate

Key = tuple[str, str]
Groups = Mapping[Key, Sequence[groups_mod.Group]]


@dataclasses.dataclass(frozen=True)
class Knob:
    """A count or percentage (``maxConcurrency``, ``maxFailures``) resolved against ``total``.

    ``default`` says the setting fell back to OCM's default: unset, 0, or a
    count or percentage that resolves to more than ``total``.
    """

    setting: int | str
    total: int
    value: int
    default: bool


@dataclasses.dataclass(frozen=True)
class Batch:
    """Clusters given the revision together; a whole decision group's when ``group`` is set.

    ``max_failures`` is the group's own limit (``ProgressivePerGroup``); a
    mandatory group allows no failure.
    """

    clusters: tuple[str, ...]
    group: rollout.GroupKey | None = None
    mandatory: bool = False
    max_failures: Knob | None = None


@dataclasses.dataclass(frozen=True)
class PlacementPlan:
    """One placementRef's rollout: its strategy resolved, and its batches in order.

    ``total`` counts the clusters this placement gives the set, ``updating``
    those of them that take the new revision. ``max_failures`` is the
    placement-wide limit of ``Progressive`` (None for ``All``: unlimited, and
    for ``ProgressivePerGroup``: per batch).
    """

    placement: str
    type: str
    total: int
    updating: int
    max_concurrency: Knob | None
    max_failures: Knob | None
    min_success_time: datetime.timedelta
    progress_deadline: datetime.timedelta | None
    mandatory: tuple[rollout.GroupKey, ...]
    batches: tuple[Batch, ...]

    @property
    def minimum(self) -> datetime.timedelta | None:
        """Return a lower bound of the rollout's duration (batches x soak), None without soak."""
        if self.type == "All" or not self.min_success_time:
            return None
        return self.min_success_time * len(self.batches)


@dataclasses.dataclass(frozen=True)
class RolloutPlan:
    """How one ManifestWorkReplicaSet's new revision reaches its clusters.

    ``held`` lists the revisions the updating clusters hold in the base (empty
    when none holds one yet).
    """

    namespace: str
    name: str
    work_name: str
    revision: str
    held: tuple[str, ...]
    rollback: bool
    paused: bool
    placements: tuple[PlacementPlan, ...]

    @property
    def minimum(self) -> datetime.timedelta | None:
        """Return the longest placement's lower bound (placements roll out side by side)."""
        return max((p.minimum for p in self.placements if p.minimum is not None), default=None)


def plan(
    snapshot: Snapshot, placed: Groups, accepted: frozenset[str], base: Mapping[str, bytes]
) -> tuple[RolloutPlan, ...]:
    """Return the rollout of every ManifestWorkReplicaSet whose clusters take a new revision.

    ``placed`` holds the head's decision groups per placement, ``accepted`` the
    head's accepted clusters and ``base`` the base hub tree (what each cluster holds).
    """
    decisions = {key: tuple(c for g in found for c in g.clusters) for key, found in placed.items()}
    held = _Held(base)
    out = []
    for obj in snapshot.of_kind("ManifestWorkReplicaSet"):
        found = _one(obj, decisions, placed, accepted, held)
        if found is not None:
            out.append(found)
    return tuple(sorted(out, key=lambda r: (r.namespace, r.name)))


def _one(
    obj: Obj,
    decisions: Mapping[Key, Sequence[str]],
    placed: Groups,
    accepted: frozenset[str],
    held: _Held,
) -> RolloutPlan | None:
    """Return one set's rollout, or None when every cluster already holds its revision."""
    template = obj.spec.get("manifestWorkTemplate")
    if not isinstance(template, dict):
        return None
    target = rolloutstate.revision(template)
    given = list(works.replicated_one(obj, decisions, accepted))
    holding = {w.cluster: held.revision(w, target) for w in given}
    updating = frozenset(cluster for cluster, rev in holding.items() if rev != target)
    if not updating:
        return None
    owner = {w.cluster: str(w.body["metadata"]["labels"][works.PLACEMENT_LABEL]) for w in given}
    annotations = obj.metadata.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    return RolloutPlan(
        obj.namespace,
        obj.name,
        works.mwrs_work_name(obj.namespace, obj.name),
        target,
        tuple(sorted({rev for c, rev in holding.items() if c in updating and rev is not None})),
        rolloutstate.rolls_back(annotations),
        rolloutstate.paused(annotations),
        _placements(obj, owner, updating, placed),
    )


def _placements(
    obj: Obj, owner: Mapping[str, str], updating: frozenset[str], placed: Groups
) -> tuple[PlacementPlan, ...]:
    """Return the plan of each placementRef that gives the set to an updating cluster."""
    out = []
    for name, raw in _strategies(obj).items():
        mine = frozenset(c for c, p in owner.items() if p == name)
        if mine & updating:
            decided = decision_groups(placed.get((obj.namespace, name), ()), mine)
            strategy = rollout.strategy_from_dict(raw)
            out.append(placement_plan(name, strategy, decided, mine & updating))
    return tuple(out)


def _strategies(obj: Obj) -> dict[str, Any]:
    """Return each placementRef's raw ``rolloutStrategy`` by placement name (the first wins)."""
    out: dict[str, Any] = {}
    for ref in obj.spec.get("placementRefs") or []:
        if isinstance(ref, dict):
            out.setdefault(str(ref.get("name")), ref.get("rolloutStrategy"))
    return out


def decision_groups(
    found: Sequence[groups_mod.Group], clusters: frozenset[str]
) -> tuple[rollout.DecisionGroup, ...]:
    """Return a placement's decision groups (index, name), kept to ``clusters``, none empty."""
    keyed = (
        rollout.DecisionGroup(rollout.GroupKey(index, g.name), frozenset(g.clusters) & clusters)
        for index, g in enumerate(found)
    )
    return tuple(g for g in keyed if g.clusters)


def placement_plan(
    name: str,
    strategy: rollout.Strategy,
    decided: Sequence[rollout.DecisionGroup],
    updating: frozenset[str],
) -> PlacementPlan:
    """Return one placement's rollout of ``updating`` clusters over its decision groups."""
    mandatory: tuple[rollout.GroupKey, ...] = ()
    if strategy.type != "All":
        mandatory = tuple(sorted(rollout.mandatory_keys(strategy.mandatory, decided)))
    concurrency, failures, batches = _steps(strategy, decided, updating, mandatory)
    return PlacementPlan(
        name,
        strategy.type,
        len({c for g in decided for c in g.clusters}),
        len(updating),
        concurrency,
        failures,
        strategy.min_success_time,
        strategy.progress_deadline,
        mandatory,
        batches,
    )


def _steps(
    strategy: rollout.Strategy,
    decided: Sequence[rollout.DecisionGroup],
    updating: frozenset[str],
    mandatory: Sequence[rollout.GroupKey],
) -> tuple[Knob | None, Knob | None, tuple[Batch, ...]]:
    """Return maxConcurrency and maxFailures as resolved (Progressive only) and the batches."""
    if strategy.type == "All":
        return None, None, (Batch(tuple(sorted(updating))),)
    first = tuple(_whole([g for g in decided if g.key in mandatory], updating, True, None))
    rest = [g for g in decided if g.key not in mandatory]
    if strategy.type == "ProgressivePerGroup":
        return None, None, first + tuple(_whole(rest, updating, False, strategy.max_failures))
    size = len({c for g in rest for c in g.clusters})
    concurrency = knob(strategy.max_concurrency, size, size)
    failures = knob(strategy.max_failures, len({c for g in decided for c in g.clusters}), 0)
    return concurrency, failures, first + _windows(rest, updating, concurrency.value)


def _whole(
    decided: Sequence[rollout.DecisionGroup],
    updating: frozenset[str],
    mandatory: bool,
    max_failures: int | str | None,
) -> list[Batch]:
    """One batch per group with clusters to update, by index; each group with its own limit."""
    out = []
    for group in sorted(decided, key=lambda g: g.key.index):
        clusters = tuple(sorted(group.clusters & updating))
        if clusters:
            limit = None if max_failures is None else knob(max_failures, len(group.clusters), 0)
            out.append(Batch(clusters, group.key, mandatory, limit))
    return out


def _windows(
    decided: Sequence[rollout.DecisionGroup], updating: frozenset[str], size: int
) -> tuple[Batch, ...]:
    """Windows of ``size`` clusters to update, in cluster-name order across the groups."""
    clusters = sorted({c for g in decided for c in g.clusters} & updating)
    if not clusters:
        return ()
    return tuple(Batch(tuple(clusters[i : i + size])) for i in range(0, len(clusters), size))


def knob(setting: int | str, total: int, default: int) -> Knob:
    """Resolve a count or percentage against ``total`` as OCM does, saying if it fell back."""
    resolved = rollout.resolve(setting, total, -1)
    if resolved < 0:
        return Knob(setting, total, default, True)
    return Knob(setting, total, resolved, False)


class _Held:
    """The revision each cluster holds in the base hub tree, each distinct work file read once.

    A base file equal to the head's own work (serialized once per body) holds
    the head's revision; only the others are parsed, which on an unchanged fleet
    is none of them.
    """

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self._files = files
        self._seen: dict[bytes, str | None] = {}
        self._dumped: dict[int, tuple[dict[str, Any], bytes]] = {}

    def revision(self, work: works.Work, target: str) -> str | None:
        """Return the revision the work's cluster holds (None: no work) given the head's."""
        data = self._files.get(f"clusters/{work.cluster}/manifestworks/{work.name}.yaml")
        if data is None:
            return None
        if data not in self._seen:
            if data == self._dump(work.body):
                self._seen[data] = target
            else:
                spec: Any = yamlout.load_mapping(data).get("spec")
                self._seen[data] = rolloutstate.revision(spec) if isinstance(spec, dict) else None
        return self._seen[data]

    def _dump(self, body: dict[str, Any]) -> bytes:
        """Return a body serialized as the hub tree holds it, once per body object."""
        kept = self._dumped.get(id(body))
        if kept is None:
            kept = self._dumped[id(body)] = (body, yamlout.dump(body))
        return kept[1]
