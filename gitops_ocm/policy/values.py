"""How OCM turns a JSON value into a string, for comparing scalars and ordering lists.

Pure. The config-policy-controller compares scalars by their Go ``fmt.Sprint`` form
(so ``80`` equals ``"80"`` and ``true`` equals ``"true"``) and sorts list items by a
canonical string form before comparing two lists order-insensitively. Reproducing
those forms keeps our answers identical to OCM's on the same objects.
"""

from __future__ import annotations

from typing import Any


def sprint(value: Any) -> str:
    """Return ``value`` formatted like Go's ``fmt.Sprint`` of decoded JSON."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{sprint(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(sprint(v) for v in value) + "]"
    return str(value)


def sort_key(value: Any) -> str:
    """Return the canonical form OCM sorts list items by (nested lists sorted too)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{sort_key(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(sorted(sort_key(v) for v in value)) + "]"
    return sprint(value)


def is_zero(value: Any) -> bool:
    """Return True for the Go zero value of the value's own type (0, false, "")."""
    if isinstance(value, bool):
        return value is False
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, str):
        return value == ""
    return value is None


def _float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)
