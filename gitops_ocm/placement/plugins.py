"""What scheduler plugins receive and return: the context, filter and prioritizer results.

Pure. A filter narrows a bitmap of candidate clusters and can say why it dropped
one cluster (for ``explain``); a prioritizer scores clusters in [-100, 100].
Either may report the placement Misconfigured, with OCM's plugin name.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from typing import Protocol

from gitops_ocm.placement import cel, fleet, history, inventory, spec

MAX_SCORE = 100
MIN_SCORE = -100


@dataclasses.dataclass(frozen=True)
class Context:
    """Everything a plugin may look at while scheduling one placement."""

    placement: spec.PlacementSpec
    fleet: fleet.Fleet
    history: history.History
    own: frozenset[str]
    now: datetime.datetime
    cel: cel.Evaluator


@dataclasses.dataclass(frozen=True)
class Misconfigured:
    """A configuration error found by a plugin; OCM prints it as ``<plugin>:<message>``."""

    plugin: str
    message: str

    def __str__(self) -> str:
        return f"{self.plugin}:{self.message}"


@dataclasses.dataclass(frozen=True)
class FilterResult:
    """The surviving clusters, or why the placement is misconfigured."""

    survivors: int
    misconfigured: Misconfigured | None = None
    requeue_at: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class ScoreResult:
    """Scores by cluster name (clusters left out add 0) and warnings (expired scores)."""

    scores: Mapping[str, int]
    warnings: tuple[str, ...] = ()


class Filter(Protocol):
    """A filter plugin."""

    name: str

    def filter(self, ctx: Context, candidates: int) -> FilterResult:
        """Return the candidates that pass."""
        ...

    def why(self, ctx: Context, cluster: inventory.ClusterInfo) -> str:
        """Return why ``cluster`` was dropped, for the trace."""
        ...


class Prioritizer(Protocol):
    """A prioritizer plugin."""

    name: str

    def score(self, ctx: Context, clusters: Sequence[inventory.ClusterInfo]) -> ScoreResult:
        """Return a score in [-100, 100] per cluster."""
        ...
