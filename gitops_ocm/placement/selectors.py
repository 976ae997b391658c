"""Label and claim selectors evaluated over a fleet index, and their validity check.

Pure. Semantics are ``metav1.LabelSelector`` (see :mod:`gitops_ocm.model.labelselector`):
matchLabels and matchExpressions are ANDed and an empty selector matches all.
Here a selector becomes a bitmap of the clusters it matches. An invalid selector
is what OCM reports as Misconfigured; :func:`problem` says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_ocm.model import labelselector
from gitops_ocm.placement import fleet


def problem(selector: object) -> str | None:
    """Return why ``selector`` cannot be used (first finding), or None when it is valid."""
    findings = labelselector.check(selector, "")
    if not findings:
        return None
    first = findings[0]
    where = f" at {first.pointer}" if first.pointer else ""
    got = f" (got {first.got})" if first.got is not None else ""
    return f"invalid selector{where}: {first.message}{got}"


def select(selector: Mapping[str, Any] | None, index: fleet.Index, everyone: int) -> int:
    """Return the bitmap of clusters in ``everyone`` whose maps satisfy ``selector``."""
    result = everyone
    if not selector:
        return result
    for key, value in (selector.get("matchLabels") or {}).items():
        result &= index.pair(str(key), str(value))
    for expr in selector.get("matchExpressions") or []:
        result &= requirement(expr, index, everyone)
    return result


def requirement(expr: Mapping[str, Any], index: fleet.Index, everyone: int) -> int:
    """Return the bitmap of clusters in ``everyone`` satisfying one requirement."""
    key = str(expr.get("key", ""))
    operator = expr.get("operator")
    values = [str(v) for v in expr.get("values") or []]
    if operator in ("In", "NotIn"):
        hit = 0
        for value in values:
            hit |= index.pair(key, value)
        return hit & everyone if operator == "In" else everyone & ~hit
    if operator == "Exists":
        return index.key(key) & everyone
    if operator == "DoesNotExist":
        return everyone & ~index.key(key)
    return 0
