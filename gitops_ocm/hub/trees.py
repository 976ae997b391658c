"""Published trees read lazily, and the changes that turn one tree into another.

Pure, apart from calling a reader it is given. The controller compares what it
rendered with what ``ocm/hub`` holds by blob id, so unchanged files are never
read back, and only changed paths are written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from gitops_ocm.model import yamlfile


class LazyFiles(Mapping[str, bytes]):
    """A tree as a read-only mapping: paths are known up front, contents read on demand."""

    def __init__(self, blobs: Mapping[str, str], read: Callable[[str], bytes]) -> None:
        self.blobs = dict(blobs)
        self._read = read
        self._cache: dict[str, bytes] = {}

    def __getitem__(self, path: str) -> bytes:
        data = self._cache.get(path)
        if data is None:
            if path not in self.blobs:
                raise KeyError(path)
            data = self._cache[path] = self._read(path)
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(self.blobs)

    def __len__(self) -> int:
        return len(self.blobs)

    def __contains__(self, path: object) -> bool:
        return path in self.blobs


def changes(current: Mapping[str, str], desired: Mapping[str, bytes]) -> dict[str, bytes | None]:
    """Return the edits from a tree of blob ids to ``desired``: new or changed files, and None
    for each file to delete. Identical byte strings are hashed once."""
    ids: dict[int, str] = {}
    out: dict[str, bytes | None] = {}
    for path, data in desired.items():
        blob = ids.get(id(data))
        if blob is None:
            blob = ids[id(data)] = yamlfile.blob_id(data)
        if current.get(path) != blob:
            out[path] = data
    for path in current:
        if path not in desired:
            out[path] = None
    return out


def clusters_touched(edits: Mapping[str, bytes | None]) -> set[str]:
    """Return the clusters whose prescriptions an edit set touches."""
    return {p.split("/")[1] for p in edits if p.startswith("clusters/") and p.count("/") >= 2}
