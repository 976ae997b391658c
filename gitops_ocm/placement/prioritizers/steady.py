"""The Steady prioritizer: 100 for clusters already in this placement's decisions, else 0.

Pure. Keeps earlier picks sticky, as in OCM.
"""

from __future__ import annotations

import itertools

from gitops_ocm.placement import bitmap, plugins

NAME = "Steady"


class Steady(plugins.PlainScoresFromBitmap):
    """Prioritizer plugin ``BuiltIn/Steady``."""

    name = NAME
    by_name = True

    def score_bitmap(
        self, ctx: plugins.Context, feasible: bitmap.Bitmap, only: bitmap.Bitmap | None = None
    ) -> plugins.ScoreResult:
        """Return 100 for earlier decisions and 0 for the others."""
        decided = (ctx.own_bitmap & (feasible if only is None else only)).positions()
        return plugins.ScoreResult(0, dict(zip(decided, itertools.repeat(plugins.MAX_SCORE))))

    def same_scores(
        self,
        before: plugins.Context,
        after: plugins.Context,
        was: bitmap.Bitmap,
        now: bitmap.Bitmap,
    ) -> bool:
        """Return True: a score depends on the cluster's name and the history only."""
        return True
