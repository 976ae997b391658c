"""Python's cyclic garbage collector, paused while many long-lived documents are built.

I/O shell: it changes process-wide state (``gc``), which the pure core may not
touch (an import-linter contract), so the shell wraps the pure calls that build
much data (loading a desired state, building the placement inventory from
thousands of reports) in :func:`paused`.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while many documents are built.

    A cold load builds about a million dicts and lists that stay alive (in a
    parse cache, an inventory); meanwhile the collector would scan the growing
    heap again and again (about 15% of the input side of a cold hub pass on the
    benchmark fleet). Building plain data makes no reference cycles, so nothing
    is lost by letting the collector resume afterwards with what survived.
    Leaves the collector as it found it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
