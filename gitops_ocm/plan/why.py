"""One line per cluster saying why a placement did or did not select it.

Pure. Turns the scheduler's trace (the rows ``explain placement`` prints, see
:mod:`gitops_ocm.placement.explain`) into the short reasons a plan shows next
to each cluster that joins or leaves a placement.
"""

from __future__ import annotations

from gitops_ocm.placement import explain, scheduler


def reasons(outcome: scheduler.Outcome | None) -> dict[str, str]:
    """Return a reason per cluster of the fleet ({} when scheduling is disabled)."""
    if outcome is None or outcome.context is None:
        return {}
    wanted = outcome.placement.number_of_clusters
    misconfigured = f"placement misconfigured ({outcome.misconfigured}); earlier decisions kept"
    out: dict[str, str] = {}
    for row in explain.rows(outcome):
        if outcome.misconfigured is not None:
            out[row.cluster] = misconfigured
        else:
            out[row.cluster] = describe(row, wanted)
    return out


def describe(row: explain.Row, wanted: int | None) -> str:
    """Return the reason of one explain row."""
    if row.dropped_by is not None:
        return f"dropped by {row.dropped_by}: {row.reason}"
    parts = [f"{s.prioritizer} {s.weight}x{s.score}" for s in row.scores]
    score = f"score {' + '.join(parts)} = {row.total}" if parts else "not scored"
    if row.selected:
        return f"selected, rank {row.rank} ({score})"
    if row.reason == "below numberOfClusters" and wanted is not None:
        return f"outscored: rank {row.rank} > numberOfClusters {wanted} ({score})"
    return f"not selected, rank {row.rank}: {row.reason} ({score})"
