"""Which prioritizers run for a placement, with which weights (``prioritizerPolicy``).

Pure. Additive (the default) starts from {Balance: 1, Steady: 1} and overlays
the configurations; Exact uses only the configurations; later duplicates
overwrite earlier ones; weight 0 disables a prioritizer. Any other mode, a
missing scoreCoordinate, an unknown built-in name (``Spread`` included) or an
AddOn coordinate without ``addOn`` make the placement Misconfigured, with OCM's
messages and its empty plugin name.
"""

from __future__ import annotations

import dataclasses

from gitops_ocm.placement import plugins, spec
from gitops_ocm.placement.prioritizers import addon, balance, resource, steady

DEFAULTS = (spec.Coordinate(built_in="Balance"), spec.Coordinate(built_in="Steady"))


@dataclasses.dataclass(frozen=True)
class Weighted:
    """One prioritizer to run and its weight."""

    plugin: plugins.Prioritizer
    weight: int


def prioritizers(
    placement: spec.PlacementSpec,
) -> tuple[tuple[Weighted, ...], plugins.Misconfigured | None]:
    """Return the weighted prioritizers in a stable order, or why the policy is invalid."""
    if placement.mode == "Exact":
        weights: dict[spec.Coordinate, int] = {}
    elif placement.mode == "Additive":
        weights = dict.fromkeys(DEFAULTS, 1)
    else:
        return (), plugins.Misconfigured("", f"incorrect prioritizer policy mode: {placement.mode}")
    for coordinate, weight in placement.configurations:
        if coordinate is None:
            return (), plugins.Misconfigured("", "scoreCoordinate field is required")
        weights[coordinate] = weight
    out: list[Weighted] = []
    for coordinate, weight in weights.items():
        if weight == 0:
            continue
        plugin, problem = _plugin(coordinate)
        if problem is not None:
            return (), problem
        assert plugin is not None
        out.append(Weighted(plugin, weight))
    return tuple(out), None


def _plugin(
    coordinate: spec.Coordinate,
) -> tuple[plugins.Prioritizer | None, plugins.Misconfigured | None]:
    if coordinate.type == "BuiltIn":
        if coordinate.built_in == "Balance":
            return balance.Balance(), None
        if coordinate.built_in == "Steady":
            return steady.Steady(), None
        if coordinate.built_in in resource.RESOURCES:
            return resource.ResourceAllocatable(coordinate.built_in), None
        message = f"incorrect builtin prioritizer: {coordinate.built_in}"
        return None, plugins.Misconfigured("", message)
    if not coordinate.has_addon:
        return None, plugins.Misconfigured("", "addOn should not be empty")
    return addon.AddOn(coordinate.resource, coordinate.score), None
