"""Spread constraints (``spreadPolicy.spreadConstraints``), which OCM accepts but ignores.

Pure. Better than OCM: the selected clusters are spread over topology domains.
A domain is a value of the constraint's ``topologyKey``, read from the cluster's
labels (``topologyKeyType: Label``) or claims (``Claim``); the domains are those
present among the feasible clusters. Skew is the largest minus the smallest
number of selected clusters over those domains.

Selection walks the clusters in score order and repeatedly takes the first one
whose domain keeps every constraint within ``maxSkew``. When no cluster can,
``ScheduleAnyway`` constraints are relaxed (the first cluster satisfying the
``DoNotSchedule`` ones is taken) and ``DoNotSchedule`` ones stop the selection,
leaving the rest unscheduled. A cluster without the key is not constrained by a
ScheduleAnyway constraint and never selected under a DoNotSchedule one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from gitops_ocm.placement import inventory, plugins, spec

NAME = "Spread"
HARD = "DoNotSchedule"
SOFT = "ScheduleAnyway"


@dataclasses.dataclass(frozen=True)
class Selection:
    """The chosen clusters in order, and why better-ranked clusters were passed over."""

    chosen: tuple[inventory.ClusterInfo, ...]
    passed_over: Mapping[str, str]


def misconfiguration(
    constraints: tuple[spec.SpreadConstraint, ...],
) -> plugins.Misconfigured | None:
    """Return why the constraints cannot be applied, or None."""
    for c in constraints:
        if not c.key:
            return plugins.Misconfigured(NAME, "topologyKey is required")
        if c.key_type not in ("Label", "Claim"):
            return plugins.Misconfigured(
                NAME, f"topologyKeyType must be Label or Claim (got {c.key_type})"
            )
        if c.max_skew < 1:
            return plugins.Misconfigured(NAME, f"maxSkew must be >= 1 (got {c.max_skew})")
        if c.when not in (HARD, SOFT):
            return plugins.Misconfigured(
                NAME, f"whenUnsatisfiable must be {SOFT} or {HARD} (got {c.when})"
            )
    return None


def select(
    constraints: tuple[spec.SpreadConstraint, ...],
    ordered: Sequence[inventory.ClusterInfo],
    wanted: int,
) -> Selection:
    """Choose up to ``wanted`` clusters from ``ordered`` (best first) honouring the constraints."""
    if not constraints:
        return Selection(tuple(ordered[:wanted]), {})
    counts = [_domains(c, ordered) for c in constraints]
    remaining = list(ordered)
    chosen: list[inventory.ClusterInfo] = []
    passed: dict[str, str] = {}
    while len(chosen) < wanted and remaining:
        pick = _first(constraints, counts, remaining, passed, soft=True)
        if pick is None:
            pick = _first(constraints, counts, remaining, passed, soft=False)
        if pick is None:
            break
        chosen.append(remaining.pop(pick))
        _count(constraints, counts, chosen[-1])
    return Selection(
        tuple(chosen), {n: r for n, r in passed.items() if n not in {c.name for c in chosen}}
    )


def topology(constraint: spec.SpreadConstraint, cluster: inventory.ClusterInfo) -> str | None:
    """Return the cluster's domain for one constraint (None when it lacks the key)."""
    source = cluster.labels if constraint.key_type == "Label" else cluster.claims
    return source.get(constraint.key)


def _domains(
    constraint: spec.SpreadConstraint, ordered: Sequence[inventory.ClusterInfo]
) -> dict[str, int]:
    out: dict[str, int] = {}
    for cluster in ordered:
        value = topology(constraint, cluster)
        if value is not None:
            out[value] = 0
    return out


def _first(
    constraints: tuple[spec.SpreadConstraint, ...],
    counts: list[dict[str, int]],
    remaining: list[inventory.ClusterInfo],
    passed: dict[str, str],
    soft: bool,
) -> int | None:
    for i, cluster in enumerate(remaining):
        problem = _violation(constraints, counts, cluster, soft)
        if problem is None:
            return i
        passed.setdefault(cluster.name, problem)
    return None


def _violation(
    constraints: tuple[spec.SpreadConstraint, ...],
    counts: list[dict[str, int]],
    cluster: inventory.ClusterInfo,
    soft: bool,
) -> str | None:
    for constraint, domain in zip(constraints, counts, strict=True):
        if constraint.when == SOFT and not soft:
            continue
        value = topology(constraint, cluster)
        if value is None:
            if constraint.when == HARD:
                return f"spread: no {constraint.key_type.lower()} {constraint.key} ({HARD})"
            continue
        after = dict(domain)
        after[value] += 1
        skew = max(after.values()) - min(after.values())
        if skew > constraint.max_skew:
            return (
                f"spread: {constraint.key}={value} would make skew {skew} > maxSkew "
                f"{constraint.max_skew} ({constraint.when})"
            )
    return None


def _count(
    constraints: tuple[spec.SpreadConstraint, ...],
    counts: list[dict[str, int]],
    cluster: inventory.ClusterInfo,
) -> None:
    for constraint, domain in zip(constraints, counts, strict=True):
        value = topology(constraint, cluster)
        if value is not None:
            domain[value] += 1
