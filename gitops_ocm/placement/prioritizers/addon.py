"""The AddOn prioritizer: a score published by an add-on in an AddOnPlacementScore.

Pure. For ``scoreCoordinate.addOn {resourceName, scoreName}`` each cluster's
AddOnPlacementScore named resourceName is read from the status tree; a missing
object, a missing score name or ``validUntil`` in the past (``now > validUntil``)
gives 0. Expired scores are reported as a warning, as OCM's event does.
"""

from __future__ import annotations

from gitops_ocm.placement import fleet, plugins


class AddOn:
    """Prioritizer plugin ``AddOn/<resourceName>/<scoreName>``."""

    by_name = False

    def __init__(self, resource: str, score: str) -> None:
        self.resource = resource
        self.score_name = score
        self.name = f"AddOn/{resource}/{score}"

    def score(
        self, ctx: plugins.Context, feasible: int, only: int | None = None
    ) -> plugins.ScoreResult:
        """Return each cluster's add-on score (0 when absent or expired)."""
        exceptions: dict[int, int] = {}
        expired: list[str] = []
        clusters = ctx.fleet.clusters
        for i in fleet.positions(feasible if only is None else only):
            cluster = clusters[i]
            published = cluster.scores.get(self.resource) if cluster.scores else None
            if published is None:
                continue
            if published.valid_until is not None and ctx.now > published.valid_until:
                expired.append(f"{cluster.name}/{self.resource}")
                continue
            exceptions[i] = published.scores.get(self.score_name, 0)
        warnings = (f"AddOnPlacementScores {' '.join(expired)} expired",) if expired else ()
        return plugins.ScoreResult(0, exceptions, warnings)

    def same_scores(
        self, before: plugins.Context, after: plugins.Context, was: int, now: int
    ) -> bool:
        """Return False: the warnings cover every feasible cluster."""
        return False
