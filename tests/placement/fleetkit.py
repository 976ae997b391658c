"""Builders for scheduler tests: clusters, placements and one-call scheduling."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.placement import cel, fleet, history, inventory, scheduler, sets, spec

NOW = datetime.datetime(2024, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)
NS = "apps"


def cluster(
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    taints: Sequence[inventory.Taint] = (),
    claims: Mapping[str, str] | None = None,
    allocatable: Mapping[str, float] | None = None,
    capacity: Mapping[str, float] | None = None,
    scores: Mapping[str, inventory.AddOnScore] | None = None,
) -> inventory.ClusterInfo:
    """Return a reachable cluster in the default set (unless labels say otherwise)."""
    all_labels = {sets.CLUSTERSET_LABEL: "default", **(labels or {})}
    body = {"metadata": {"name": name, "labels": all_labels}, "status": {}}
    return inventory.ClusterInfo(
        name=name,
        labels=all_labels,
        taints=tuple(taints),
        claims=dict(claims or {}),
        allocatable=dict(allocatable or {}),
        capacity=dict(capacity or allocatable or {}),
        available="True",
        scores=dict(scores or {}),
        reported=True,
        body=body,
    )


def taint(
    key: str, effect: str = "NoSelect", value: str = "", added: datetime.datetime | None = NOW
) -> inventory.Taint:
    """Return a taint added at ``added``."""
    return inventory.Taint(key, value, effect, added)


def placement(name: str = "p", namespace: str = NS, **fields: Any) -> spec.PlacementSpec:
    """Return a placement whose spec has ``fields`` (camelCase keys)."""
    return spec.from_body({"metadata": {"name": name, "namespace": namespace}, "spec": fields})


def catalog(
    bindings: Mapping[str, Sequence[str]] | None = None,
    extra_sets: Mapping[str, Mapping[str, Any]] | None = None,
) -> sets.Catalog:
    """Return built-in sets plus ``extra_sets``, with ``apps`` bound to ``global`` by default."""
    all_sets: dict[str, Mapping[str, Any]] = {
        "default": {"selectorType": "ExclusiveClusterSetLabel"},
        "global": {"selectorType": "LabelSelector", "labelSelector": {}},
        **(extra_sets or {}),
    }
    bound = {NS: ("global",)} if bindings is None else bindings
    return sets.Catalog(all_sets, {ns: tuple(sorted(names)) for ns, names in bound.items()})


def past(decisions: Mapping[tuple[str, str], Sequence[str]] | None = None) -> history.History:
    """Return a history in which each placement chose the given clusters."""
    pages = {
        key: history.Previous((history.Page(f"{key[1]}-decision-1", 0, "", tuple(names)),))
        for key, names in (decisions or {}).items()
    }
    return history.build(pages)


def run(
    p: spec.PlacementSpec,
    clusters: Sequence[inventory.ClusterInfo],
    *,
    decisions: Mapping[tuple[str, str], Sequence[str]] | None = None,
    cat: sets.Catalog | None = None,
    now: datetime.datetime = NOW,
    explain: bool = True,
) -> scheduler.Outcome:
    """Schedule ``p`` over ``clusters``."""
    indexed = fleet.build(clusters)
    evaluator = cel.Evaluator({c.name: c for c in indexed.clusters}, now)
    return scheduler.schedule(
        p, indexed, cat or catalog(), past(decisions), now, evaluator, explain
    )


def names(*clusters: str) -> tuple[str, ...]:
    """Return cluster names as a tuple (readability in tables)."""
    return tuple(clusters)
