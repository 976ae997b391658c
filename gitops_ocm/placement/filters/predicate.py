"""The Predicate filter: keep clusters matching ANY predicate (label AND claim AND CEL).

Pure. No predicates means every cluster passes; an empty selector matches all.
Invalid selectors and CEL compile errors make the placement Misconfigured
(``Predicate:<reason>``), as in OCM. Label and claim parts are evaluated on the
fleet's bitmaps (the :class:`plugins.BitmapFilter` fast path); CEL runs per
cluster, only on clusters the other parts kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_ocm.placement import bitmap, cel, inventory, plugins, selectors

NAME = "Predicate"


class Predicate(plugins.PlainFilterFromBitmap):
    """Filter plugin for ``spec.predicates``."""

    name = NAME

    def filter_bitmap(
        self, ctx: plugins.Context, candidates: bitmap.Bitmap
    ) -> plugins.FilterResult[bitmap.Bitmap]:
        """Return the candidates matching at least one predicate."""
        predicates = ctx.placement.predicates
        if not predicates or not candidates:
            return plugins.FilterResult(candidates)
        problem = misconfiguration(predicates)
        if problem is not None:
            return plugins.FilterResult(bitmap.EMPTY, plugins.Misconfigured(NAME, problem))
        return plugins.FilterResult(matching(ctx, candidates))

    def why(self, ctx: plugins.Context, cluster: inventory.ClusterInfo) -> str:
        """Explain a drop: which part of each predicate failed."""
        bit = 1 << ctx.fleet.position[cluster.name]
        parts = [
            f"predicate {n}: {_failed_part(ctx, predicate, bit)}"
            for n, predicate in enumerate(ctx.placement.predicates, 1)
        ]
        return "; ".join(parts)


def matching(ctx: plugins.Context, candidates: bitmap.Bitmap) -> bitmap.Bitmap:
    """Return the candidates matching at least one predicate (predicates already checked)."""
    if not ctx.placement.predicates:
        return candidates
    within = candidates.bits
    matched = 0
    for predicate in ctx.placement.predicates:
        matched |= _match(ctx, predicate, within & ~matched)
    return bitmap.Bitmap(matched)


def misconfiguration(predicates: tuple[Mapping[str, Any], ...]) -> str | None:
    """Return the first reason a predicate cannot be evaluated, or None."""
    for predicate in predicates:
        for part in ("labelSelector", "claimSelector"):
            problem = selectors.problem(predicate.get(part))
            if problem is not None:
                return f"{part}: {problem}"
        for text in _expressions(predicate):
            _ast, error = cel.compile_expression(text)
            if error is not None:
                return error
    return None


def _expressions(predicate: Mapping[str, Any]) -> list[str]:
    cel_selector = predicate.get("celSelector")
    if not isinstance(cel_selector, dict):
        return []
    return [str(e) for e in cel_selector.get("celExpressions") or []]


def _failed_part(ctx: plugins.Context, predicate: Mapping[str, Any], bit: int) -> str:
    if not selectors.select(predicate.get("labelSelector"), ctx.fleet.labels, bit):
        return "labelSelector does not match"
    if not selectors.select(predicate.get("claimSelector"), ctx.fleet.claims, bit):
        return "claimSelector does not match"
    cluster = ctx.fleet.members(bitmap.Bitmap(bit))[0]
    for text in _expressions(predicate):
        if not ctx.cel.matches(text, cluster):
            return f"celExpression {text!r} is not true"
    return "matches"


def _match(ctx: plugins.Context, predicate: Mapping[str, Any], candidates: int) -> int:
    matched = selectors.select(predicate.get("labelSelector"), ctx.fleet.labels, candidates)
    matched = selectors.select(predicate.get("claimSelector"), ctx.fleet.claims, matched)
    for text in _expressions(predicate):
        if not matched:
            break
        kept = 0
        for i in bitmap.bits(matched):
            if ctx.cel.matches(text, ctx.fleet.clusters[i]):
                kept |= 1 << i
        matched = kept
    return matched
