"""Reading and writing file trees as ``{relative path: bytes}`` on local disk.

I/O shell. The pure core computes trees as dictionaries (hub store, status
tree); this module moves them to and from folders for ``render --out``,
``--previous`` and ``--status``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def read_tree(root: str | os.PathLike[str]) -> dict[str, bytes]:
    """Return every regular file below ``root`` (dot-folders skipped), by posix path."""
    base = Path(root)
    out: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(base, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            full = Path(folder) / name
            if full.is_symlink() or not full.is_file():
                continue
            out[full.relative_to(base).as_posix()] = full.read_bytes()
    return out


def write_tree(root: str | os.PathLike[str], files: Mapping[str, bytes]) -> None:
    """Write ``files`` below ``root``, replacing whatever tree was there."""
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    for stale in set(read_tree(base)) - set(files):
        (base / stale).unlink()
    for path, data in files.items():
        target = base / path
        if not target.resolve().is_relative_to(base.resolve()):
            raise ValueError(f"refusing to write outside {base}: {path}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    for folder, dirs, names in os.walk(base, topdown=False):
        if folder != str(base) and not dirs and not names:
            Path(folder).rmdir()
