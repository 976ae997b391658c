"""The ResourceAllocatableCPU and ResourceAllocatableMemory prioritizers.

Pure. OCM's arithmetic: among the scored clusters that report BOTH allocatable
and capacity for the resource, take min and max allocatable; each such cluster
scores ``trunc(((a - min) / (max - min) - 0.5) * 200)``, or 100 when max == min.
Clusters lacking the resource get no score (they add 0). Min and max come from
the fleet's per-resource order (:meth:`fleet.Fleet.resource`), so scoring a few
clusters of a large feasible set is cheap.
"""

from __future__ import annotations

from gitops_ocm.placement import bitmap, plugins

RESOURCES = {"ResourceAllocatableCPU": "cpu", "ResourceAllocatableMemory": "memory"}


def value_score(value: float, low: float, high: float) -> int:
    """Return OCM's score of one allocatable ``value`` given the feasible min and max."""
    if high == low:
        return plugins.MAX_SCORE
    return int(((value - low) / (high - low) - 0.5) * 200)


class ResourceAllocatable(plugins.PlainScoresFromBitmap):
    """Prioritizer plugin ``BuiltIn/ResourceAllocatable{CPU,Memory}``."""

    by_name = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.resource = RESOURCES[name]

    def score_bitmap(
        self, ctx: plugins.Context, feasible: bitmap.Bitmap, only: bitmap.Bitmap | None = None
    ) -> plugins.ScoreResult:
        """Return the allocatable score of each cluster that reports the resource."""
        table = ctx.fleet.resource(self.resource)
        extremes = table.extremes(feasible)
        if extremes is None:
            return plugins.ScoreResult(None)
        low, high = extremes
        values = table.values
        scored = [i for i in (feasible if only is None else only).positions() if i in values]
        return plugins.ScoreResult(None, {i: value_score(values[i], low, high) for i in scored})

    def same_scores(
        self,
        before: plugins.Context,
        after: plugins.Context,
        was: bitmap.Bitmap,
        now: bitmap.Bitmap,
    ) -> bool:
        """Return whether min and max allocatable stay the same."""
        old = before.fleet.resource(self.resource).extremes(was)
        return old is not None and old == after.fleet.resource(self.resource).extremes(now)
