"""The Balance prioritizer: prefer clusters chosen by fewer OTHER placements.

Pure. OCM's arithmetic: count, over the decisions of every placement except
this one, how many list each cluster; ``max`` is the highest count. A cluster
with no decisions scores 100; otherwise ``2 * trunc(100 * (0.5 - count/max))``
(truncation toward zero before doubling, so scores are even). The decisions of
other placements are those of the previous hub tree (OCM reads the current
PlacementDecisions the same way), so results do not depend on scheduling order.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitops_ocm.placement import inventory, plugins

NAME = "Balance"


class Balance:
    """Prioritizer plugin ``BuiltIn/Balance``."""

    name = NAME

    def score(
        self, ctx: plugins.Context, clusters: Sequence[inventory.ClusterInfo]
    ) -> plugins.ScoreResult:
        """Return the Balance score of each cluster."""
        counts = ctx.history.counts
        own = ctx.own
        top = ctx.history.max_count_except(own)
        scores: dict[str, int] = {}
        for cluster in clusters:
            count = counts.get(cluster.name, 0) - (1 if cluster.name in own else 0)
            scores[cluster.name] = balance_score(count, top)
        return plugins.ScoreResult(scores)


def balance_score(count: int, top: int) -> int:
    """Return OCM's Balance score for a cluster listed ``count`` times, ``top`` the maximum."""
    if count <= 0 or top <= 0:
        return plugins.MAX_SCORE
    return 2 * int(100 * (0.5 - count / top))
