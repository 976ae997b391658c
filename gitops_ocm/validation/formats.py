"""The OpenAPI ``format`` values OCM's CRDs use, as checks: int32, int64, date-time, byte.

Pure. The API server checks a CRD field's ``format`` and OCM's typed clients
decode it (a ``metav1.Time`` with Go's RFC 3339 layout, an ``int32`` into 32 bits),
so a value outside its format is refused or breaks the controller that reads it.
Both the compiled check (compiled.py) and ``jsonschema`` (structure.py) use these
functions, so they always agree. Each check is True for values of another type:
the schema's ``type`` keyword reports those.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from typing import Any

INT_RANGES: Mapping[str, tuple[int, int]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}

# Go's time.RFC3339 layout (what metav1.Time parses): a 'T', seconds, optional
# fraction, and 'Z' or a numeric offset; Go then checks every field's range.
_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$"
)
# Go's base64.StdEncoding, with padding (it skips CR and LF).
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")

WHAT: Mapping[str, str] = {
    "int32": "a 32-bit integer (from -2147483648 to 2147483647)",
    "int64": "a 64-bit integer (from -9223372036854775808 to 9223372036854775807)",
    "date-time": "an RFC 3339 date-time like 2026-01-02T15:04:05Z",
    "byte": "base64-encoded data",
}


def _is_int(value: Any) -> bool:
    """Return whether ``value`` is a JSON integer (not a bool), as jsonschema counts them."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _int_range(name: str) -> Callable[[Any], bool]:
    low, high = INT_RANGES[name]
    return lambda value: not _is_int(value) or low <= value <= high


def is_date_time(value: Any) -> bool:
    """Return whether a string is an RFC 3339 date-time Go's ``time.Parse`` accepts."""
    if not isinstance(value, str):
        return True
    match = _DATE_TIME.match(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    offset_hour, offset_minute = match.group(7), match.group(8)
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return False
    if hour > 23 or minute > 59 or second > 59:
        return False
    return offset_hour is None or (int(offset_hour) <= 23 and int(offset_minute) <= 59)


def is_byte(value: Any) -> bool:
    """Return whether a string is standard, padded base64 (line breaks ignored)."""
    if not isinstance(value, str):
        return True
    return _BASE64.match(value.replace("\r", "").replace("\n", "")) is not None


CHECKS: Mapping[str, Callable[[Any], bool]] = {
    "int32": _int_range("int32"),
    "int64": _int_range("int64"),
    "date-time": is_date_time,
    "byte": is_byte,
}
