"""A Placement's spec as typed values (with OCM's defaults applied).

Pure. The one place where the scheduler reads a Placement document. Fields that
OCM checks at scheduling time (toleration operators, prioritizer names, the
``clustersPerDecisionGroup`` format) are kept as given, so the plugin that
checks them can report Misconfigured exactly as OCM does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

DISABLE_ANNOTATION = "cluster.open-cluster-management.io/experimental-scheduling-disable"


@dataclasses.dataclass(frozen=True)
class Toleration:
    """One ``spec.tolerations`` entry; ``seconds`` None means "forever"."""

    key: str = ""
    operator: str = "Equal"
    value: str = ""
    effect: str = ""
    seconds: int | None = None


@dataclasses.dataclass(frozen=True)
class Coordinate:
    """A prioritizer's ``scoreCoordinate``: BuiltIn name or AddOn resource/score."""

    type: str = "BuiltIn"
    built_in: str = ""
    resource: str = ""
    score: str = ""
    has_addon: bool = False

    @property
    def name(self) -> str:
        """Return the plugin name as OCM prints it (``Steady``, ``AddOn/res/score``)."""
        if self.type == "AddOn":
            return f"AddOn/{self.resource}/{self.score}"
        return self.built_in


@dataclasses.dataclass(frozen=True)
class SpreadConstraint:
    """One ``spreadPolicy.spreadConstraints`` entry."""

    key: str
    key_type: str = "Label"
    max_skew: int = 1
    when: str = "ScheduleAnyway"


@dataclasses.dataclass(frozen=True)
class GroupSpec:
    """One ``decisionStrategy.groupStrategy.decisionGroups`` entry."""

    name: str
    label_selector: Mapping[str, Any] | None
    claim_selector: Mapping[str, Any] | None


@dataclasses.dataclass(frozen=True)
class PlacementSpec:
    """What the scheduler needs from one Placement."""

    namespace: str
    name: str
    cluster_sets: tuple[str, ...] = ()
    number_of_clusters: int | None = None
    predicates: tuple[Mapping[str, Any], ...] = ()
    tolerations: tuple[Toleration, ...] = ()
    mode: str = "Additive"
    configurations: tuple[tuple[Coordinate | None, int], ...] = ()
    spread: tuple[SpreadConstraint, ...] = ()
    groups: tuple[GroupSpec, ...] = ()
    clusters_per_group: int | str = "100%"
    disabled: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """Return (namespace, name)."""
        return (self.namespace, self.name)


def _map(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _seq(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def from_body(body: Mapping[str, Any]) -> PlacementSpec:
    """Read a Placement document (missing or malformed fields take OCM's defaults)."""
    metadata = _map(body.get("metadata"))
    spec = _map(body.get("spec"))
    number = spec.get("numberOfClusters")
    policy = _map(spec.get("prioritizerPolicy"))
    strategy = _map(_map(spec.get("decisionStrategy")).get("groupStrategy"))
    per_group = strategy.get("clustersPerDecisionGroup", "100%")
    annotations = _map(metadata.get("annotations"))
    return PlacementSpec(
        namespace=str(metadata.get("namespace", "")),
        name=str(metadata.get("name", "")),
        cluster_sets=tuple(str(s) for s in _seq(spec.get("clusterSets"))),
        number_of_clusters=number
        if isinstance(number, int) and not isinstance(number, bool)
        else None,
        predicates=tuple(
            _map(p.get("requiredClusterSelector"))
            for p in _seq(spec.get("predicates"))
            if isinstance(p, dict)
        ),
        tolerations=tuple(
            _toleration(t) for t in _seq(spec.get("tolerations")) if isinstance(t, dict)
        ),
        mode=str(policy.get("mode") or "Additive"),
        configurations=tuple(
            _configuration(c) for c in _seq(policy.get("configurations")) if isinstance(c, dict)
        ),
        spread=tuple(
            _spread(c)
            for c in _seq(_map(spec.get("spreadPolicy")).get("spreadConstraints"))
            if isinstance(c, dict)
        ),
        groups=tuple(
            _group(g) for g in _seq(strategy.get("decisionGroups")) if isinstance(g, dict)
        ),
        clusters_per_group=per_group if isinstance(per_group, int | str) else "100%",
        disabled=annotations.get(DISABLE_ANNOTATION) == "true",
    )


def _toleration(raw: Mapping[str, Any]) -> Toleration:
    seconds = raw.get("tolerationSeconds")
    return Toleration(
        key=str(raw.get("key") or ""),
        operator=str(raw.get("operator") or "Equal"),
        value=str(raw.get("value") or ""),
        effect=str(raw.get("effect") or ""),
        seconds=seconds if isinstance(seconds, int) and not isinstance(seconds, bool) else None,
    )


def _configuration(raw: Mapping[str, Any]) -> tuple[Coordinate | None, int]:
    weight = raw.get("weight", 1)
    weight = weight if isinstance(weight, int) and not isinstance(weight, bool) else 1
    coordinate = raw.get("scoreCoordinate")
    if not isinstance(coordinate, dict):
        return (None, weight)
    addon = coordinate.get("addOn")
    addon_map = _map(addon)
    return (
        Coordinate(
            type=str(coordinate.get("type") or "BuiltIn"),
            built_in=str(coordinate.get("builtIn") or ""),
            resource=str(addon_map.get("resourceName") or ""),
            score=str(addon_map.get("scoreName") or ""),
            has_addon=isinstance(addon, dict),
        ),
        weight,
    )


def _spread(raw: Mapping[str, Any]) -> SpreadConstraint:
    skew = raw.get("maxSkew", 1)
    return SpreadConstraint(
        key=str(raw.get("topologyKey") or ""),
        key_type=str(raw.get("topologyKeyType") or "Label"),
        max_skew=skew if isinstance(skew, int) and not isinstance(skew, bool) else 1,
        when=str(raw.get("whenUnsatisfiable") or "ScheduleAnyway"),
    )


def _group(raw: Mapping[str, Any]) -> GroupSpec:
    selector = _map(raw.get("groupClusterSelector"))
    label = selector.get("labelSelector")
    claim = selector.get("claimSelector")
    return GroupSpec(
        name=str(raw.get("groupName") or ""),
        label_selector=label if isinstance(label, dict) else None,
        claim_selector=claim if isinstance(claim, dict) else None,
    )
