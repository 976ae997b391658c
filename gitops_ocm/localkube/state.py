"""Persistence of a Store in a directory, so that ``localkube --state DIR`` survives restarts.

I/O. The whole cluster is one JSON snapshot (``cluster.json``), written atomically
(temporary file + rename) by a background saver whenever the resourceVersion moved,
and once more on shutdown. Loading restores objects, uids, resourceVersions and the
CRDs' kinds; the watch history starts empty, so older resourceVersions get 410 Gone.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from gitops_ocm.localkube import resources, store

FILE = "cluster.json"


def snapshot(db: store.Store) -> dict[str, Any]:
    """Return the persistent form of the store."""
    with db.cond:
        objects = [
            {"group": key[0], "plural": key[1], "object": obj}
            for key, bucket in sorted(db.objects.items())
            for _, obj in sorted(bucket.items())
        ]
        return {"resourceVersion": db.rv, "objects": objects}


def restore(db: store.Store, data: dict[str, Any]) -> None:
    """Replace the store's contents with a snapshot."""
    with db.cond:
        db.objects.clear()
        db.uids.clear()
        for entry in data.get("objects") or []:
            key = (str(entry["group"]), str(entry["plural"]))
            obj = entry["object"]
            meta = obj["metadata"]
            db.objects.setdefault(key, {})[(meta.get("namespace", ""), meta["name"])] = obj
            db.uids[meta["uid"]] = (key, meta.get("namespace", ""), meta["name"])
            if key == store.CRD_KEY:
                for served in resources.from_crd(obj):
                    db.registry.add(served)
        db.rv = int(data.get("resourceVersion") or 0)
        db.forget_history()


def save(db: store.Store, directory: Path) -> None:
    """Write the snapshot atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".cluster-")
    with os.fdopen(fd, "w") as handle:
        json.dump(snapshot(db), handle, separators=(",", ":"))
    os.replace(tmp, directory / FILE)


def load(db: store.Store, directory: Path) -> bool:
    """Load a snapshot if the directory has one; return whether it did."""
    path = directory / FILE
    if not path.exists():
        return False
    restore(db, json.loads(path.read_text()))
    return True


class Saver:
    """Saves the store whenever it changed, at most every ``interval`` seconds, and on stop."""

    def __init__(self, db: store.Store, directory: Path, *, interval: float = 1.0) -> None:
        self._db, self._directory, self._interval = db, directory, interval
        self._saved = db.rv
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="localkube-saver", daemon=True)

    def start(self) -> Saver:
        """Start saving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and save a last time."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()

    def flush(self) -> None:
        """Save now if anything changed since the last save."""
        if self._db.rv != self._saved:
            self._saved = self._db.rv
            save(self._db, self._directory)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()
