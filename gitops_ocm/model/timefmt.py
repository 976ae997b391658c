"""RFC 3339 times as Kubernetes writes and reads them, in one place.

Pure. Kubernetes has two layouts: ``metav1.Time`` with whole seconds
(``2026-01-02T15:04:05Z``: conditions, taints, our own stamps) and
``metav1.MicroTime`` with six fractional digits (a Lease's ``renewTime``).
Both are written in UTC with a ``Z``; both are read back by :func:`parse`,
which takes any offset, and treats a time without one as UTC.

Validating that a string is a date-time Go accepts is another matter, with
its own rules: :mod:`gitops_ocm.validation.formats`.
"""

from __future__ import annotations

import datetime
import functools


@functools.lru_cache(maxsize=256)
def format_seconds(value: datetime.datetime) -> str:
    """Format a time as RFC 3339 in UTC with second precision (``...Z``), a ``metav1.Time``."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro(value: datetime.datetime) -> str:
    """Format a time as RFC 3339 in UTC with microseconds, a ``metav1.MicroTime``."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(value: object) -> datetime.datetime | None:
    """Parse an RFC 3339 timestamp (None when absent or malformed); naive means UTC.

    A ``datetime`` (what a YAML loader makes of an unquoted timestamp) is taken
    as it is.
    """
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
