"""The TaintToleration filter: a cluster passes when every taint on it is tolerated.

Pure. OCM's rules: ``PreferNoSelect`` is always tolerated (no score penalty);
``NoSelectIfNew`` is tolerated for clusters already in this placement's
decisions; otherwise a matching toleration is needed (effect empty or equal,
key empty or equal, Equal compares values, Exists matches any value). With
``tolerationSeconds`` the taint is tolerated only while
``now < timeAdded + seconds``; the earliest such instant is the requeue time.
An empty key needs operator Exists and Exists needs an empty value, else the
placement is Misconfigured (checked only when there are candidates, as OCM does).
"""

from __future__ import annotations

import datetime

from gitops_ocm.model import timefmt
from gitops_ocm.placement import bitmap, inventory, plugins, spec

NAME = "TaintToleration"


class TaintToleration(plugins.PlainFilterFromBitmap):
    """Filter plugin for cluster taints and ``spec.tolerations``."""

    name = NAME

    def filter_bitmap(
        self, ctx: plugins.Context, candidates: bitmap.Bitmap
    ) -> plugins.FilterResult[bitmap.Bitmap]:
        """Return the candidates whose taints are all tolerated (only tainted ones are read)."""
        if not candidates:
            return plugins.FilterResult(candidates)
        problem = misconfiguration(ctx.placement.tolerations)
        if problem is not None:
            return plugins.FilterResult(bitmap.EMPTY, plugins.Misconfigured(NAME, problem))
        survivors = candidates.bits
        requeue: datetime.datetime | None = None
        for i in candidates & ctx.fleet.tainted:
            cluster = ctx.fleet.clusters[i]
            verdict = tolerated(
                cluster, ctx.placement.tolerations, cluster.name in ctx.own, ctx.now
            )
            if verdict.refused is not None:
                survivors &= ~(1 << i)
            elif verdict.until is not None and (requeue is None or verdict.until < requeue):
                requeue = verdict.until
        return plugins.FilterResult(bitmap.Bitmap(survivors), requeue_at=requeue)

    def why(self, ctx: plugins.Context, cluster: inventory.ClusterInfo) -> str:
        """Explain a drop: the first taint not tolerated."""
        verdict = tolerated(cluster, ctx.placement.tolerations, cluster.name in ctx.own, ctx.now)
        return verdict.refused or "tolerated"


def misconfiguration(tolerations: tuple[spec.Toleration, ...]) -> str | None:
    """Return OCM's message for an invalid toleration, or None."""
    for toleration in tolerations:
        if not toleration.key and toleration.operator != "Exists":
            return "If the key is empty, operator must be Exists."
        if toleration.operator == "Exists" and toleration.value:
            return "If the operator is Exists, the value should be empty."
    return None


class Verdict:
    """Whether a cluster's taints are tolerated, and until when."""

    __slots__ = ("refused", "until")

    def __init__(self, refused: str | None, until: datetime.datetime | None) -> None:
        self.refused = refused
        self.until = until


def tolerated(
    cluster: inventory.ClusterInfo,
    tolerations: tuple[spec.Toleration, ...],
    in_decisions: bool,
    now: datetime.datetime,
) -> Verdict:
    """Check every taint of ``cluster``; ``refused`` names the first one not tolerated."""
    until: datetime.datetime | None = None
    for taint in cluster.taints:
        if taint.effect == "PreferNoSelect":
            continue
        if taint.effect == "NoSelectIfNew" and in_decisions:
            continue
        ok, expiry = _tolerated_by_any(taint, tolerations, now)
        if not ok:
            return Verdict(
                f"taint {taint.describe()} not tolerated{_expired(taint, tolerations)}", None
            )
        if expiry is not None and (until is None or expiry < until):
            until = expiry
    return Verdict(None, until)


def _tolerated_by_any(
    taint: inventory.Taint, tolerations: tuple[spec.Toleration, ...], now: datetime.datetime
) -> tuple[bool, datetime.datetime | None]:
    for toleration in tolerations:
        if not _matches(taint, toleration):
            continue
        if toleration.seconds is None:
            return True, None
        expiry = _expiry(taint, toleration.seconds)
        if expiry is not None and now < expiry:
            return True, expiry
    return False, None


def _matches(taint: inventory.Taint, toleration: spec.Toleration) -> bool:
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator == "Exists":
        return True
    return toleration.operator in ("", "Equal") and toleration.value == taint.value


def _expiry(taint: inventory.Taint, seconds: int) -> datetime.datetime | None:
    if taint.time_added is None:
        return None
    return taint.time_added + datetime.timedelta(seconds=seconds)


def _expired(taint: inventory.Taint, tolerations: tuple[spec.Toleration, ...]) -> str:
    for toleration in tolerations:
        if _matches(taint, toleration) and toleration.seconds is not None:
            expiry = _expiry(taint, toleration.seconds)
            when = timefmt.format_seconds(expiry) if expiry else "unknown (cluster never reported)"
            return f" (tolerationSeconds {toleration.seconds} expired at {when})"
    return ""
