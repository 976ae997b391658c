"""Waking the controller: inotify on a local repository's refs, or a timer.

I/O shell. An event is only a hint that refs may have moved; the pass re-reads
everything anyway (level-based), and a periodic resync catches whatever a
watch missed (``git pack-refs`` shows up as deleted loose refs, for instance).
"""

from __future__ import annotations

import threading
from pathlib import Path

import watchfiles


def _is_ref(change: watchfiles.Change, path: str) -> bool:
    name = Path(path).name
    return not name.endswith(".lock") and ("/refs/" in path or name == "packed-refs")


class RefWatcher:
    """Blocks until a ref of a local repository changes, or a timeout passes."""

    def __init__(self, git_dir: str, stop: threading.Event) -> None:
        self.git_dir = git_dir
        self.stop = stop

    def wait(self, timeout: float) -> bool:
        """Return True when refs changed, False on timeout or stop."""
        for changes in watchfiles.watch(
            self.git_dir,
            watch_filter=_is_ref,
            step=10,
            debounce=200,
            rust_timeout=max(1, int(timeout * 1000)),
            yield_on_timeout=True,
            stop_event=self.stop,
            raise_interrupt=False,
        ):
            return bool(changes)
        return False
