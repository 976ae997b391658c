"""The ResourceAllocatableCPU and ResourceAllocatableMemory prioritizers.

Pure. OCM's arithmetic: among the scored clusters that report BOTH allocatable
and capacity for the resource, take min and max allocatable; each such cluster
scores ``trunc(((a - min) / (max - min) - 0.5) * 200)``, or 100 when max == min.
Clusters lacking the resource get no score (they add 0).
"""

from __future__ import annotations

from collections.abc import Sequence

from gitops_ocm.placement import inventory, plugins

RESOURCES = {"ResourceAllocatableCPU": "cpu", "ResourceAllocatableMemory": "memory"}


class ResourceAllocatable:
    """Prioritizer plugin ``BuiltIn/ResourceAllocatable{CPU,Memory}``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.resource = RESOURCES[name]

    def score(
        self, ctx: plugins.Context, clusters: Sequence[inventory.ClusterInfo]
    ) -> plugins.ScoreResult:
        """Return the allocatable score of each cluster that reports the resource."""
        values = {
            c.name: c.allocatable[self.resource]
            for c in clusters
            if self.resource in c.allocatable and self.resource in c.capacity
        }
        if not values:
            return plugins.ScoreResult({})
        low, high = min(values.values()), max(values.values())
        if high == low:
            return plugins.ScoreResult({name: plugins.MAX_SCORE for name in values})
        return plugins.ScoreResult(
            {name: int(((v - low) / (high - low) - 0.5) * 200) for name, v in values.items()}
        )
