"""What a tree of files is, to the code that reads one.

Pure. A file tree is a read-only mapping from slash-separated paths to bytes.
Some trees are read lazily from Git (:class:`gitops_ocm.hub.trees.LazyFiles`)
and also know each file's blob id before reading it: :class:`BlobTree`. Caches
key on those ids, which name a file's content without reading it; for any
other tree the bytes themselves are the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, TypeAlias

FileTree: TypeAlias = Mapping[str, bytes]
"""A tree of files that can be read: path -> content."""


class BlobTree(Protocol):
    """A file tree that also names each file's content by its blob id."""

    def __getitem__(self, path: str) -> bytes:
        """The content of the file at ``path``."""
        ...

    def blob_ids(self) -> Mapping[str, str]:
        """Blob ids by path, known without reading any file."""
        ...


def blob_ids(tree: FileTree) -> Mapping[str, str] | None:
    """Return the blob ids of ``tree`` by path when it is a :class:`BlobTree`, else None.

    The one structural check on a tree. It looks the method up rather than
    using ``isinstance`` with a runtime-checkable protocol, which costs about
    10 µs a call on Python 3.11, and callers ask once per file read.
    """
    method = getattr(tree, "blob_ids", None)
    return None if method is None else method()
