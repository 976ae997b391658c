"""The AddOn prioritizer: a score published by an add-on in an AddOnPlacementScore.

Pure. For ``scoreCoordinate.addOn {resourceName, scoreName}`` each cluster's
AddOnPlacementScore named resourceName is read from the status tree; a missing
object, a missing score name or ``validUntil`` in the past (``now > validUntil``)
gives 0. Expired scores are reported as a warning, as OCM's event does.
"""

from __future__ import annotations

from collections.abc import Sequence

from gitops_ocm.placement import inventory, plugins


class AddOn:
    """Prioritizer plugin ``AddOn/<resourceName>/<scoreName>``."""

    def __init__(self, resource: str, score: str) -> None:
        self.resource = resource
        self.score_name = score
        self.name = f"AddOn/{resource}/{score}"

    def score(
        self, ctx: plugins.Context, clusters: Sequence[inventory.ClusterInfo]
    ) -> plugins.ScoreResult:
        """Return each cluster's add-on score (0 when absent or expired)."""
        scores: dict[str, int] = {}
        expired: list[str] = []
        for cluster in clusters:
            scores[cluster.name] = 0
            published = cluster.scores.get(self.resource)
            if published is None:
                continue
            if published.valid_until is not None and ctx.now > published.valid_until:
                expired.append(f"{cluster.name}/{self.resource}")
                continue
            scores[cluster.name] = published.scores.get(self.score_name, 0)
        warnings = (f"AddOnPlacementScores {' '.join(expired)} expired",) if expired else ()
        return plugins.ScoreResult(scores, warnings)
