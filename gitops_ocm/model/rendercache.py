"""The render cache: parsed and serialized documents kept across hub passes.

Pure apart from its own memory. Rendering at fleet scale parses our own
published files (decision pages, Placement statuses, cluster reports) and
serializes tens of thousands of objects every pass, most of them unchanged;
the hub controller keeps one :class:`RenderCache` so that each blob is parsed
once and each distinct content serialized once. The YAML itself is read and
written by :mod:`gitops_ocm.model.yamlout`; this module only remembers results.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from gitops_ocm.model import filetree, yamlout

_MISSING = object()
T = TypeVar("T")


class RenderCache:
    """Parsed and serialized documents kept across passes by one long-lived caller.

    Pure apart from its own memory. The hub controller keeps one per
    :class:`~gitops_ocm.hub.controller.Controller`: our own published files
    (decision pages, Placement statuses, cluster reports) are parsed once per
    blob, and an object is serialized once per distinct content. Values are
    shared between passes and callers, so they are read-only: nobody mutates
    what :meth:`memo` or :meth:`dump` returns. :meth:`next_pass` forgets what
    the last pass did not use, so the cache holds about one pass's worth.
    """

    def __init__(self) -> None:
        self._new: dict[tuple[str, Hashable], Any] = {}
        self._old: dict[tuple[str, Hashable], Any] = {}

    def next_pass(self) -> None:
        """Start a pass: entries not used since the previous call are dropped."""
        self._old = self._new
        self._new = {}

    def memo(self, table: str, key: Hashable, make: Callable[[], T]) -> T:
        """Return the value of ``key`` in ``table``, computing it with ``make`` once."""
        slot = (table, key)
        value = self._new.get(slot, _MISSING)
        if value is _MISSING:
            value = self._old.pop(slot, _MISSING)
            if value is _MISSING:
                value = make()
            self._new[slot] = value
        return value  # type: ignore[no-any-return]

    def dump(self, body: dict[str, Any]) -> bytes:
        """Return :func:`~gitops_ocm.model.yamlout.dump` of ``body``, serializing each content once.

        The key is the object's pickle, which is C-fast and tells apart what
        ``==`` would confuse (``1`` and ``True``, ``1`` and ``"1"`` as keys).
        """
        try:
            key = pickle.dumps(body, protocol=5)
        except Exception:  # not picklable: serialize without caching
            return yamlout.dump(body)
        return self.memo("dump", key, lambda: yamlout.dump(body))


def dump_with(cache: RenderCache | None, body: dict[str, Any]) -> bytes:
    """Return :func:`~gitops_ocm.model.yamlout.dump` of ``body``, through ``cache`` when given."""
    return yamlout.dump(body) if cache is None else cache.dump(body)


def file_key(tree: Mapping[str, bytes], path: str) -> Hashable:
    """Return a key naming the content of ``tree[path]`` (None when absent).

    The blob ids of a :class:`~gitops_ocm.model.filetree.BlobTree` name the
    content without reading it. Otherwise the bytes themselves are the key.
    """
    blobs = filetree.blob_ids(tree)
    if blobs is not None:
        blob = blobs.get(path)
        return None if blob is None else ("blob", blob)
    data = tree.get(path)
    return None if data is None else ("bytes", data)


def load_with(cache: RenderCache | None, tree: Mapping[str, bytes], path: str, table: str) -> Any:
    """Return the parsed ``tree[path]`` (None when absent or unreadable), cached by content."""

    def parse() -> Any:
        data = tree.get(path)
        if data is None:
            return None
        try:
            return yamlout.load(data)
        except Exception:  # a damaged file counts as absent
            return None

    if cache is None:
        return parse()
    key = file_key(tree, path)
    return None if key is None else cache.memo(table, key, parse)
