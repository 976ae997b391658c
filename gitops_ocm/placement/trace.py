"""The record of one scheduling run: who was filtered out by what, and every score.

Pure. Filters are recorded as Bitmaps (cheap even for 10,000 clusters); names
and reasons are produced on demand by :mod:`gitops_ocm.placement.explain`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from gitops_ocm.placement import bitmap


@dataclasses.dataclass(frozen=True)
class FilterStep:
    """One filter and the clusters it dropped."""

    name: str
    dropped: bitmap.Bitmap


@dataclasses.dataclass(frozen=True)
class PrioritizerStep:
    """One prioritizer, its weight and its raw scores (before weighting)."""

    name: str
    weight: int
    scores: Mapping[str, int]


@dataclasses.dataclass(frozen=True)
class Trace:
    """Everything ``explain`` shows about one placement."""

    candidates: bitmap.Bitmap = bitmap.EMPTY
    filters: tuple[FilterStep, ...] = ()
    prioritizers: tuple[PrioritizerStep, ...] = ()
    totals: Mapping[str, int] = dataclasses.field(default_factory=dict)
    order: tuple[str, ...] = ()
    passed_over: Mapping[str, str] = dataclasses.field(default_factory=dict)
    scored: bool = False
