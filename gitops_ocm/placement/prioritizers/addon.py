"""The AddOn prioritizer: a score published by an add-on in an AddOnPlacementScore.

Pure. For ``scoreCoordinate.addOn {resourceName, scoreName}`` each cluster's
AddOnPlacementScore named resourceName is read from the status tree; a missing
object, a missing score name or ``validUntil`` in the past (``now > validUntil``)
gives 0. Expired scores are reported as a warning, as OCM's event does.

:meth:`AddOn.expires` gives the scheduler a requeue time: one second after the
earliest ``validUntil`` still ahead among the feasible clusters, so that a score
whose producer stopped refreshing it drops to 0 when it expires, not at the
next unrelated event (OCM notices at its next periodic resync).
"""

from __future__ import annotations

import datetime

from gitops_ocm.placement import bitmap, plugins

_AFTER = datetime.timedelta(seconds=1)


class AddOn(plugins.PlainScoresFromBitmap):
    """Prioritizer plugin ``AddOn/<resourceName>/<scoreName>``."""

    by_name = False

    def __init__(self, resource: str, score: str) -> None:
        self.resource = resource
        self.score_name = score
        self.name = f"AddOn/{resource}/{score}"

    def score_bitmap(
        self, ctx: plugins.Context, feasible: bitmap.Bitmap, only: bitmap.Bitmap | None = None
    ) -> plugins.ScoreResult:
        """Return each cluster's add-on score (0 when absent or expired)."""
        exceptions: dict[int, int] = {}
        expired: list[str] = []
        clusters = ctx.fleet.clusters
        for i in (feasible if only is None else only).positions():
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

    def expires(self, ctx: plugins.Context, feasible: bitmap.Bitmap) -> datetime.datetime | None:
        """Return one second after the earliest unexpired ``validUntil`` of these clusters."""
        soonest: datetime.datetime | None = None
        clusters = ctx.fleet.clusters
        for i in feasible.positions():
            scores = clusters[i].scores
            published = scores.get(self.resource) if scores else None
            until = published.valid_until if published is not None else None
            if until is not None and ctx.now <= until and (soonest is None or until < soonest):
                soonest = until
        return None if soonest is None else soonest + _AFTER

    def same_scores(
        self,
        before: plugins.Context,
        after: plugins.Context,
        was: bitmap.Bitmap,
        now: bitmap.Bitmap,
    ) -> bool:
        """Return False: the warnings cover every feasible cluster."""
        return False
