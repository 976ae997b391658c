"""ConfigurationPolicy ``evaluationInterval``: whether a template is due for evaluation.

Pure; the clock is a parameter. OCM's config-policy-controller reads
``spec.evaluationInterval.compliant`` / ``.noncompliant`` according to the
template's last compliance: ``watch`` (the default) re-evaluates on every change,
which for a pull agent means every pass; ``never`` evaluates once and then keeps
the result; a Go duration (``10s``, ``5m``, ``1h30m``, ``1.5h``) is the minimum
time between two evaluations. A changed template is always re-evaluated (OCM:
a new generation), and so is a template in any other state (Pending, unknown).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

WATCH = "watch"
NEVER = "never"
_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


class DurationError(ValueError):
    """An ``evaluationInterval`` value that is neither watch, never nor a Go duration."""


def parse_duration(text: str) -> datetime.timedelta:
    """Parse a Go duration ("1h30m", "10s", "1.5h"); raise DurationError otherwise."""
    body = text.strip()
    if body in ("0", "+0", "-0"):
        return datetime.timedelta(0)
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if not body:
        raise DurationError(f"invalid duration {text!r}")
    seconds, pos = 0.0, 0
    for found in _PART.finditer(body):
        if found.start() != pos:
            break
        seconds += float(found.group(1)) * _UNITS[found.group(2)]
        pos = found.end()
    if pos != len(body):
        raise DurationError(f"invalid duration {text!r}")
    return datetime.timedelta(seconds=sign * seconds)


def setting(spec: Mapping[str, Any], compliance: str) -> str:
    """Return the interval text that applies after a ``compliance`` result ("watch" if unset)."""
    intervals = spec.get("evaluationInterval") or {}
    key = {"Compliant": "compliant", "NonCompliant": "noncompliant"}.get(compliance)
    if key is None or not isinstance(intervals, Mapping):
        return WATCH
    return str(intervals.get(key) or WATCH).strip().lower() or WATCH


def due(
    spec: Mapping[str, Any],
    last_compliance: str,
    last_evaluated: datetime.datetime | None,
    now: datetime.datetime,
) -> bool:
    """Return True when the template must be evaluated at ``now``.

    ``last_compliance``/``last_evaluated`` describe the previous evaluation of the
    same template content ("" / None when there was none). A malformed interval
    behaves like ``watch`` (evaluate), so a typo never freezes a policy.
    """
    if last_evaluated is None or last_compliance not in ("Compliant", "NonCompliant"):
        return True
    text = setting(spec, last_compliance)
    if text == WATCH:
        return True
    if text == NEVER:
        return False
    try:
        return now >= last_evaluated + parse_duration(text)
    except DurationError:
        return True
