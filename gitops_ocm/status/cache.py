"""What one fold learned that the next fold can reuse, keyed by Git ids.

Pure (an in-memory dictionary; no I/O). Blobs and trees are content-addressed,
so a digest stored under a blob id is valid forever: re-folding after one
report changed reads and scans only that report's changed files. Two
generations are kept: an entry survives if the last fold used it, so memory
follows the fleet instead of growing with every lease renewal.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

T = TypeVar("T")


class FoldCache:
    """Digests by (kind, key); call :meth:`begin` at the start of each fold."""

    def __init__(self) -> None:
        self._current: dict[tuple[str, Hashable], object] = {}
        self._previous: dict[tuple[str, Hashable], object] = {}
        self.misses = 0

    def begin(self) -> None:
        """Start a fold: entries the previous fold did not use are forgotten now."""
        self._previous = self._current
        self._current = {}
        self.misses = 0

    def get(self, kind: str, key: Hashable, make: Callable[[], T]) -> T:
        """Return the value stored under (kind, key), computing it with ``make`` once."""
        slot = (kind, key)
        if slot in self._current:
            return cast(T, self._current[slot])
        if slot in self._previous:
            value = self._current[slot] = self._previous.pop(slot)
            return cast(T, value)
        self.misses += 1
        made = make()
        self._current[slot] = made
        return made

    def __len__(self) -> int:
        return len(self._current) + len(self._previous)
