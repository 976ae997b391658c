"""The scheduler's plugin interface: the context, filters, prioritizers and their results.

Pure. The interface is OCM's: a :class:`Filter` gets the candidate clusters and
returns those that pass; a :class:`Prioritizer` gets the feasible clusters and
returns a score in [-100, 100] by cluster name. Either may report the placement
Misconfigured, with OCM's plugin name.

The fast path is an optional extension: a plugin that also implements
:class:`BitmapFilter` or :class:`BitmapPrioritizer` works on a
:class:`~gitops_ocm.placement.bitmap.Bitmap` of fleet positions instead of
lists of clusters (the built-in plugins all do). The scheduler calls
:func:`run_filter`, :func:`run_score` and :func:`same_scores`, which use the
extension when a plugin has it and otherwise adapt between bitmaps and the
plain interface at the boundary.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar, cast

from gitops_ocm.placement import bitmap, cel, fleet, history, inventory, spec

_S = TypeVar("_S")

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
    def own_bitmap(self) -> bitmap.Bitmap:
        """Return this placement's earlier decisions as a Bitmap of the fleet."""
        return self.fleet.bitmap(self.own)


@dataclasses.dataclass(frozen=True)
class Misconfigured:
    """A configuration error found by a plugin; OCM prints it as ``<plugin>:<message>``."""

    plugin: str
    message: str

    def __str__(self) -> str:
        return f"{self.plugin}:{self.message}"


@dataclasses.dataclass(frozen=True)
class FilterResult(Generic[_S]):
    """The surviving clusters (a list, or a Bitmap on the fast path), or why it is misconfigured."""

    survivors: _S
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

    def by_name(self, everyone: fleet.Fleet, feasible: bitmap.Bitmap) -> dict[str, int]:
        """Return the score of each scored cluster by name, in name order (for the trace)."""
        names = everyone.ordered_names
        if self.default is None:
            return {names[i]: self.exceptions[i] for i in sorted(self.exceptions)}
        default, exceptions = self.default, self.exceptions
        return {names[i]: exceptions.get(i, default) for i in feasible.positions()}


@dataclasses.dataclass(frozen=True)
class Scores:
    """A plain prioritizer's scores by cluster name, and warnings.

    A feasible cluster missing from ``scores`` gets no score (it adds 0 and the
    trace leaves it out), as OCM's resource prioritizers do for clusters that
    do not report the resource.
    """

    scores: Mapping[str, int]
    warnings: tuple[str, ...] = ()


Clusters = Sequence[inventory.ClusterInfo]


class Filter(Protocol):
    """A filter plugin (OCM's ``Filter``): keep the clusters that pass."""

    name: str

    def filter(self, ctx: Context, clusters: Clusters) -> FilterResult[Clusters]:
        """Return the clusters of ``clusters`` (in name order) that pass."""
        ...

    def why(self, ctx: Context, cluster: inventory.ClusterInfo) -> str:
        """Return why ``cluster`` was dropped, for the trace."""
        ...


class BitmapFilter(Filter, Protocol):
    """The fast-path extension of a filter: the same answer over a Bitmap of candidates."""

    def filter_bitmap(self, ctx: Context, candidates: bitmap.Bitmap) -> FilterResult[bitmap.Bitmap]:
        """Return the candidates that pass."""
        ...


class Prioritizer(Protocol):
    """A prioritizer plugin (OCM's ``Prioritizer``): a score in [-100, 100] per cluster."""

    name: str

    def score(self, ctx: Context, clusters: Clusters) -> Scores:
        """Return the score of each cluster of ``clusters`` (the feasible ones) by name."""
        ...


class BitmapPrioritizer(Prioritizer, Protocol):
    """The fast-path extension of a prioritizer.

    ``by_name`` is True when a score depends only on the cluster's name and the
    history (not on its labels or resources, nor on the other feasible clusters),
    and no warnings are produced. A plain prioritizer counts as False.
    """

    by_name: bool

    def score_bitmap(
        self, ctx: Context, feasible: bitmap.Bitmap, only: bitmap.Bitmap | None = None
    ) -> ScoreResult:
        """Return a score in [-100, 100] for each cluster of ``feasible`` (or of ``only``).

        With ``only`` (a subset of ``feasible``) just those clusters are scored,
        still as members of the whole feasible set.
        """
        ...

    def same_scores(
        self, before: Context, after: Context, was: bitmap.Bitmap, now: bitmap.Bitmap
    ) -> bool:
        """Return whether clusters feasible in both ``was`` and ``now`` keep their scores.

        ``before`` and ``after`` differ by one cluster; used for incremental rescheduling.
        A plain prioritizer counts as False (the placement is ranked again).
        """
        ...


def run_filter(
    plugin: Filter, ctx: Context, candidates: bitmap.Bitmap
) -> FilterResult[bitmap.Bitmap]:
    """Run a filter on ``candidates``: its fast path when it has one, else the plain method."""
    fast: Callable[[Context, bitmap.Bitmap], FilterResult[bitmap.Bitmap]] | None = getattr(
        plugin, "filter_bitmap", None
    )
    if fast is not None:
        return fast(ctx, candidates)
    result = plugin.filter(ctx, ctx.fleet.members(candidates))
    survivors = ctx.fleet.bitmap(c.name for c in result.survivors) & candidates
    return FilterResult(survivors, result.misconfigured, result.requeue_at)


def run_score(
    plugin: Prioritizer, ctx: Context, feasible: bitmap.Bitmap, only: bitmap.Bitmap | None = None
) -> ScoreResult:
    """Score ``feasible`` (or ``only`` of it): the fast path when there is one, else the plain one.

    A plain prioritizer's scores become exceptions to no default: the clusters
    it leaves out get no score, exactly as in its own answer.
    """
    fast: Callable[[Context, bitmap.Bitmap, bitmap.Bitmap | None], ScoreResult] | None = getattr(
        plugin, "score_bitmap", None
    )
    if fast is not None:
        return fast(ctx, feasible, only)
    result = plugin.score(ctx, ctx.fleet.members(feasible))
    wanted = feasible if only is None else only
    position = ctx.fleet.position
    exceptions = {
        position[name]: value
        for name, value in result.scores.items()
        if name in position and position[name] in wanted
    }
    return ScoreResult(None, exceptions, result.warnings)


def by_name(plugin: Prioritizer) -> bool:
    """Return whether the plugin's scores depend on names and history only (plain: False)."""
    return bool(getattr(plugin, "by_name", False))


def same_scores(
    plugin: Prioritizer, before: Context, after: Context, was: bitmap.Bitmap, now: bitmap.Bitmap
) -> bool:
    """Return whether the plugin keeps the scores of clusters feasible before and after."""
    check: Callable[[Context, Context, bitmap.Bitmap, bitmap.Bitmap], bool] | None = getattr(
        plugin, "same_scores", None
    )
    return check is not None and check(before, after, was, now)


class PlainFilterFromBitmap:
    """Mixin for a :class:`BitmapFilter`: the plain ``filter`` call, through the fast path."""

    def filter(self, ctx: Context, clusters: Clusters) -> FilterResult[Clusters]:
        """Return the clusters of ``clusters`` that pass (through ``filter_bitmap``)."""
        fast = cast("BitmapFilter", self)
        result = fast.filter_bitmap(ctx, ctx.fleet.bitmap(c.name for c in clusters))
        survivors = ctx.fleet.members(result.survivors)
        return FilterResult(survivors, result.misconfigured, result.requeue_at)


class PlainScoresFromBitmap:
    """Mixin for a :class:`BitmapPrioritizer`: the plain ``score`` call, through the fast path."""

    def score(self, ctx: Context, clusters: Clusters) -> Scores:
        """Return the score of each cluster by name (through ``score_bitmap``)."""
        fast = cast("BitmapPrioritizer", self)
        feasible = ctx.fleet.bitmap(c.name for c in clusters)
        result = fast.score_bitmap(ctx, feasible)
        return Scores(result.by_name(ctx.fleet, feasible), result.warnings)
