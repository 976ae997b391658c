"""Published trees read lazily: paths and blob ids up front, contents on demand.

Pure, apart from calling the reader it is given. The controller and the status
fold read only the few files of ``ocm/hub`` and ``ocm/status`` they need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping


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


def of_blobs(blobs: Mapping[str, str], read_blob: Callable[[str], bytes]) -> LazyFiles:
    """A lazy tree from {path: blob id} and a function that reads a blob by id."""
    return LazyFiles(blobs, lambda path: read_blob(blobs[path]))
