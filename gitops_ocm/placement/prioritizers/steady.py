"""The Steady prioritizer: 100 for clusters already in this placement's decisions, else 0.

Pure. Keeps earlier picks sticky, as in OCM.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitops_ocm.placement import inventory, plugins

NAME = "Steady"


class Steady:
    """Prioritizer plugin ``BuiltIn/Steady``."""

    name = NAME

    def score(
        self, ctx: plugins.Context, clusters: Sequence[inventory.ClusterInfo]
    ) -> plugins.ScoreResult:
        """Return 100 for earlier decisions and 0 for the others."""
        own = ctx.own
        return plugins.ScoreResult(
            {c.name: plugins.MAX_SCORE if c.name in own else 0 for c in clusters}
        )
