"""Decision groups (``decisionStrategy.groupStrategy``), computed as OCM does.

Pure. ``groupLength`` is ``clustersPerDecisionGroup`` (an int, or ``ceil(pct% x
total)`` for a percentage of the *total* number of selected clusters); a value
<= 0 or > total means total; a string that is not a percentage is Misconfigured.
Each configured group takes, in spec order, the still-unassigned selected
clusters matching its label AND claim selector; the rest form groups named "".
Every group is sorted by name and chunked into groups of at most groupLength.
With nothing selected there is one empty group. Indexes start at 0.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

from gitops_ocm.placement import bitmap, fleet, plugins, selectors, spec

_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")


@dataclasses.dataclass(frozen=True)
class Group:
    """One decision group: its name and its clusters, sorted by name."""

    name: str
    clusters: tuple[str, ...]


def group_length(value: int | str, total: int) -> tuple[int, plugins.Misconfigured | None]:
    """Return the clusters per group for ``total`` selected clusters, or a misconfiguration."""
    length = total
    if isinstance(value, int):
        length = value
    else:
        match = _PERCENT.match(value)
        if match is None:
            return total, plugins.Misconfigured(
                "", f"{value} invalid type: string is not a percentage"
            )
        length = math.ceil(float(match.group(1)) / 100 * total)
    if length <= 0 or length > total:
        length = total
    return length, None


def build(
    placement: spec.PlacementSpec,
    selected: bitmap.Bitmap,
    everyone: fleet.Fleet,
    names: Sequence[str] | None = None,
) -> tuple[tuple[Group, ...], plugins.Misconfigured | None]:
    """Group the selected clusters by the placement's decision strategy.

    ``names`` may give the selected names in name order, to save looking them up.
    """
    total = len(selected)
    length, problem = group_length(placement.clusters_per_group, total)
    if problem is not None:
        return (), problem
    groups: list[Group] = []
    rest = selected.bits
    for group in placement.groups:
        for part in (group.label_selector, group.claim_selector):
            why = selectors.problem(part)
            if why is not None:
                return (), plugins.Misconfigured("", why)
        matched = selectors.select(group.label_selector, everyone.labels, rest)
        matched = selectors.select(group.claim_selector, everyone.claims, matched)
        rest &= ~matched
        groups.extend(_chunks(group.name, everyone.names(bitmap.Bitmap(matched)), length))
    if names is not None and rest == selected.bits:
        rest_names = names
    else:
        rest_names = everyone.names(bitmap.Bitmap(rest))
    groups.extend(_chunks("", rest_names, length))
    return tuple(groups) or (Group("", ()),), None


def _chunks(name: str, clusters: Sequence[str], length: int) -> list[Group]:
    if not clusters:
        return []
    if length >= len(clusters):
        return [Group(name, tuple(clusters))]
    return [Group(name, tuple(clusters[i : i + length])) for i in range(0, len(clusters), length)]
