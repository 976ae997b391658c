"""What scheduler plugins receive and return: the context, filter and prioritizer results.

Pure. A filter narrows a bitmap of candidate clusters and can say why it dropped
one cluster (for ``explain``); a prioritizer scores clusters in [-100, 100].
Either may report the placement Misconfigured, with OCM's plugin name.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Mapping
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

    @functools.cached_property
    def own_bitmap(self) -> int:
        """Return this placement's earlier decisions as a bitmap of the fleet."""
        return self.fleet.bitmap(self.own)


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
    """Scores of the feasible clusters as one default plus exceptions, and warnings.

    ``exceptions`` maps fleet positions to scores; every other feasible cluster
    scores ``default``. A ``default`` of None means the others get no score at
    all (they add 0 and the trace leaves them out). Most prioritizers give most
    clusters the same score (Steady: 0 unless decided before; Balance: 100 unless
    chosen by other placements), so selection only has to look at the exceptions
    and at the first clusters by name.
    """

    default: int | None
    exceptions: Mapping[int, int] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def by_name(self, everyone: fleet.Fleet, feasible: int) -> dict[str, int]:
        """Return the score of each scored cluster by name, in name order (for the trace)."""
        names = everyone.ordered_names
        if self.default is None:
            return {names[i]: self.exceptions[i] for i in sorted(self.exceptions)}
        default, exceptions = self.default, self.exceptions
        return {names[i]: exceptions.get(i, default) for i in fleet.positions(feasible)}


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
    """A prioritizer plugin.

    ``by_name`` is True when a score depends only on the cluster's name and the
    history (not on its labels or resources, nor on the other feasible clusters),
    and no warnings are produced.
    """

    name: str
    by_name: bool

    def score(self, ctx: Context, feasible: int, only: int | None = None) -> ScoreResult:
        """Return a score in [-100, 100] for each cluster of ``feasible`` (or of ``only``).

        With ``only`` (a subset of ``feasible``) just those clusters are scored,
        still as members of the whole feasible set.
        """
        ...

    def same_scores(self, before: Context, after: Context, was: int, now: int) -> bool:
        """Return whether clusters feasible in both ``was`` and ``now`` keep their scores.

        ``before`` and ``after`` differ by one cluster; used for incremental rescheduling.
        """
        ...
