"""Published trees read lazily: paths and blob ids up front, contents on demand.

Pure, apart from calling the reader it is given. The controller and the status
fold read only the few files of ``ocm/hub`` and ``ocm/status`` they need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping


class LazyFiles(Mapping[str, bytes]):
    """A tree as a read-only mapping: paths are known up front, contents read on demand.

    A :class:`gitops_ocm.model.filetree.BlobTree`: its blob ids name each
    file's content without reading it.
    """

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

    def blob_ids(self) -> Mapping[str, str]:
        """Blob ids by path (the :class:`~gitops_ocm.model.filetree.BlobTree` protocol)."""
        return self.blobs


def of_blobs(blobs: Mapping[str, str], read_blob: Callable[[str], bytes]) -> LazyFiles:
    """A lazy tree from {path: blob id} and a function that reads a blob by id."""
    return LazyFiles(blobs, lambda path: read_blob(blobs[path]))


class Deferred(Mapping[str, bytes]):
    """A lazy tree whose listing is itself put off until something reads it.

    The controller hands the engine the whole previous ``ocm/hub`` tree, which
    only a full render reads; listing its ``placements/`` (tens of thousands of
    pages) every pass would cost more than an incremental pass's scheduling.
    """

    def __init__(self, load: Callable[[], LazyFiles]) -> None:
        self._load = load
        self._files: LazyFiles | None = None

    @property
    def files(self) -> LazyFiles:
        """The tree, listed on first use."""
        if self._files is None:
            self._files = self._load()
        return self._files

    @property
    def blobs(self) -> Mapping[str, str]:
        """Blob ids by path, listing the tree."""
        return self.files.blobs

    def blob_ids(self) -> Mapping[str, str]:
        """Blob ids by path (the :class:`~gitops_ocm.model.filetree.BlobTree` protocol)."""
        return self.files.blobs

    def __getitem__(self, path: str) -> bytes:
        return self.files[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __contains__(self, path: object) -> bool:
        return path in self.files
