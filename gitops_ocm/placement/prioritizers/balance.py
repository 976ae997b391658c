"""The Balance prioritizer: prefer clusters chosen by fewer OTHER placements.

Pure. OCM's arithmetic: count, over the decisions of every placement except
this one, how many list each cluster; ``max`` is the highest count. A cluster
with no decisions scores 100; otherwise ``2 * trunc(100 * (0.5 - count/max))``
(truncation toward zero before doubling, so scores are even). The decisions of
other placements are those of the history the caller passes: the previous hub
tree, updated by the placements scheduled before this one in the same render
(``placement.settle.settled``; OCM reads the current PlacementDecisions).
Clusters nobody else chose all score 100, the default; only the others are
listed as exceptions.
"""

from __future__ import annotations

from gitops_ocm.placement import bitmap, plugins

NAME = "Balance"


class Balance(plugins.PlainScoresFromBitmap):
    """Prioritizer plugin ``BuiltIn/Balance``."""

    name = NAME
    by_name = True

    def score_bitmap(
        self, ctx: plugins.Context, feasible: bitmap.Bitmap, only: bitmap.Bitmap | None = None
    ) -> plugins.ScoreResult:
        """Return the Balance score of each cluster (100 unless other placements chose it)."""
        counts = ctx.history.counts
        if not counts:
            return plugins.ScoreResult(plugins.MAX_SCORE)
        own = ctx.own
        top = ctx.history.max_count_except(own)
        names = ctx.fleet.ordered_names
        exceptions: dict[int, int] = {}
        for i in (feasible if only is None else only).positions():
            name = names[i]
            count = counts.get(name, 0) - (1 if name in own else 0)
            if count > 0:
                exceptions[i] = balance_score(count, top)
        return plugins.ScoreResult(plugins.MAX_SCORE, exceptions)

    def same_scores(
        self,
        before: plugins.Context,
        after: plugins.Context,
        was: bitmap.Bitmap,
        now: bitmap.Bitmap,
    ) -> bool:
        """Return True: a score depends on the cluster's name and the history only."""
        return True


def balance_score(count: int, top: int) -> int:
    """Return OCM's Balance score for a cluster listed ``count`` times, ``top`` the maximum."""
    if count <= 0 or top <= 0:
        return plugins.MAX_SCORE
    return 2 * int(100 * (0.5 - count / top))
