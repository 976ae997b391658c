"""Every placement's result, kept up to date as clusters and placements change.

Pure, but stateful: a :class:`Scheduler` keeps the current inputs and results
and replaces them as events come (a changed cluster, a changed placement, a
requeue time reached), as OCM's scheduling queue does; no I/O, no clock
(``now`` is given).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence

from gitops_ocm.placement import fleet, history, incremental, inventory, publication, settle, spec


class Scheduler:
    """Every placement's result, kept up to date as clusters change one at a time.

    Not pure: it holds the current inputs and results and replaces them on
    :meth:`update_cluster`, which reschedules only the placements the changed
    cluster can affect (see :mod:`gitops_ocm.placement.incremental`). The
    results always equal what :func:`publication.result` gives for the current inputs.
    Outcomes of unaffected placements keep their earlier context; ask
    :meth:`explain` for a trace against the current inputs.
    """

    def __init__(
        self, specs: Sequence[spec.PlacementSpec], inputs: publication.Inputs, settled: bool = False
    ) -> None:
        self.inputs = inputs
        if settled:  # event-driven use (below); update_cluster's guarantee then does not hold
            self.results = settle.settled(specs, inputs)
        else:
            self.results = {p.key: publication.result(p, inputs) for p in specs}
        self._specs = {p.key: p for p in specs}
        self._watch = incremental.Watch({p.key: p for p in specs if not p.disabled})

    def update_cluster(self, cluster: inventory.ClusterInfo) -> list[tuple[str, str]]:
        """Replace one known cluster; return the keys whose results changed, sorted."""
        change = self._replace(cluster)
        if change is None:
            return []
        changed: list[tuple[str, str]] = []
        for key in self._watch.affected(change):
            res = self.results[key]
            if res.outcome is None:
                continue
            outcome = incremental.reschedule(res.outcome, change, self._watch.signatures[key])
            if outcome is None:
                continue
            if publication.same_publication(outcome, res.outcome):
                self.results[key] = publication.PlacementResult(
                    res.namespace, res.name, res.clusters, res.groups, res.status, outcome
                )
                continue
            fresh = publication.published(outcome, self.inputs)
            if outcome.misconfigured is None and res.outcome.misconfigured is None:
                changed.append(key)  # other groups or counts always publish differently
            elif publication.public(fresh) != publication.public(res):
                changed.append(key)
            self.results[key] = fresh
        return sorted(changed)

    # Event-driven use, as OCM's scheduler works (the hub controller's engine): a
    # placement is scheduled again, in full, when an event reaches it, against
    # the current inventory and the decisions last published.

    def refresh(self, past: history.History, now: datetime.datetime) -> None:
        """Take ``past`` (the decisions last published) and ``now`` for later reschedules."""
        old = self.inputs
        self.inputs = dataclasses.replace(
            old, history=past, now=now, evaluator=old.evaluator.at(now)
        )

    def specs(self) -> dict[tuple[str, str], spec.PlacementSpec]:
        """Return the placements this scheduler holds, by key."""
        return dict(self._specs)

    def set_placement(self, placement: spec.PlacementSpec) -> list[tuple[str, str]]:
        """Replace one known placement's spec and schedule it; return its key if it changed."""
        self._specs[placement.key] = placement
        self._watch = incremental.Watch({k: p for k, p in self._specs.items() if not p.disabled})
        return self.reschedule([placement.key])

    def update_clusters(self, clusters: Sequence[inventory.ClusterInfo]) -> list[tuple[str, str]]:
        """Replace known clusters, then schedule every placement they can affect, in full.

        Returns the keys whose published results changed, sorted.
        """
        affected: set[tuple[str, str]] = set()
        for cluster in clusters:
            change = self._replace(cluster)
            if change is not None:
                affected.update(self._watch.affected(change))
        return self.reschedule(sorted(affected))

    def _replace(self, cluster: inventory.ClusterInfo) -> incremental.Change | None:
        """Put ``cluster`` in the inputs; return the change (None: it was already there)."""
        old = self.inputs
        if old.fleet.clusters[old.fleet.position[cluster.name]] == cluster:
            return None
        everyone = fleet.replace(old.fleet, cluster)
        evaluator = old.evaluator.replacing(cluster)
        self.inputs = dataclasses.replace(old, fleet=everyone, evaluator=evaluator)
        return incremental.Change(
            old.fleet,
            everyone,
            cluster.name,
            old.catalog,
            old.history,
            old.now,
            (old.evaluator, evaluator),
        )

    def due(self, now: datetime.datetime) -> list[tuple[str, str]]:
        """Return the placements whose requeue time (tolerationSeconds) has come, sorted."""
        return sorted(
            key
            for key, res in self.results.items()
            if res.outcome is not None
            and res.outcome.requeue_at is not None
            and res.outcome.requeue_at <= now
        )

    def reschedule(self, keys: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Schedule ``keys`` in full, in turn, against the current inputs; return the changed."""
        changed: list[tuple[str, str]] = []
        for key, fresh in settle.in_turn([self._specs[k] for k in keys], self.inputs).items():
            old = self.results.get(key)
            self.results[key] = fresh
            if old is None or publication.public(fresh) != publication.public(old):
                changed.append(key)
        return sorted(changed)

    def explain(self, key: tuple[str, str]) -> publication.PlacementResult:
        """Return one placement's result with a full trace, against the current inputs."""
        outcome = self.results[key].outcome
        assert outcome is not None, "scheduling is disabled for this placement"
        return publication.result(outcome.placement, self.inputs, explain=True)
