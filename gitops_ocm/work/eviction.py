"""Eviction of AppliedManifestWorks whose hub copy is gone, after a grace period.

Pure; the time is a parameter. As OCM's work agent does: when the hub no longer
has the work (here: the cluster is no longer accepted, the hub branch is gone, or
the AppliedManifestWork belongs to another hub), ``evictionStartTime`` is set once;
the work's resources are deleted when ``now >= start + grace``; if the work comes
back in time the start time is cleared. A grace period of 100 years or more
disables eviction.
"""

from __future__ import annotations

import dataclasses
import datetime

DEFAULT_GRACE = datetime.timedelta(minutes=60)
NEVER = datetime.timedelta(days=365 * 100)


@dataclasses.dataclass(frozen=True)
class Decision:
    """The eviction start time to record (None: clear) and whether to evict now."""

    start: datetime.datetime | None
    evict: bool


def decide(
    start: datetime.datetime | None,
    *,
    missing: bool,
    now: datetime.datetime,
    grace: datetime.timedelta = DEFAULT_GRACE,
) -> Decision:
    """Return what to do with an AppliedManifestWork given whether its hub work is missing."""
    if not missing:
        return Decision(None, False)
    begun = start or now
    return Decision(begun, grace < NEVER and now >= begun + grace)
