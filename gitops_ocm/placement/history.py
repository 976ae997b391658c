"""What the previous hub tree says about earlier scheduling: decisions and Placement status.

Pure. Steady, Balance and NoSelectIfNew need the current PlacementDecisions,
and conditions need the previous status (to keep ``lastTransitionTime``). OCM
reads them from its informer cache; we read them from the previous hub tree
(``placements/<ns>/<name>/placement.yaml`` and ``<name>-decision-<k>.yaml``).
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import json
from collections.abc import Mapping
from typing import Any

from gitops_ocm.model import rendercache, yamlfile, yamlout

PLACEMENT_LABEL = "cluster.open-cluster-management.io/placement"
GROUP_INDEX_LABEL = "cluster.open-cluster-management.io/decision-group-index"
GROUP_NAME_LABEL = "cluster.open-cluster-management.io/decision-group-name"


@dataclasses.dataclass(frozen=True)
class Page:
    """One earlier PlacementDecision: its group labels and cluster names."""

    name: str
    group_index: int
    group_name: str
    clusters: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Previous:
    """One placement's earlier decisions and status."""

    pages: tuple[Page, ...] = ()
    status: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @functools.cached_property
    def decisions(self) -> frozenset[str]:
        """Return every cluster named in any earlier page."""
        return frozenset(itertools.chain.from_iterable(page.clusters for page in self.pages))


@dataclasses.dataclass(frozen=True)
class History:
    """Earlier decisions of every placement, with Balance's counts precomputed."""

    placements: Mapping[tuple[str, str], Previous]
    counts: Mapping[str, int]
    top: int = 0
    top_clusters: frozenset[str] = frozenset()
    second: int = 0

    def of(self, key: tuple[str, str]) -> Previous:
        """Return one placement's history (empty when it is new)."""
        return self.placements.get(key) or Previous()

    def max_count_except(self, own: frozenset[str]) -> int:
        """Return the highest decision count of any cluster, not counting ``own`` decisions."""
        if not self.top_clusters <= own:
            return self.top
        return max(self.top - 1, self.second)


EMPTY = History({}, {})


def from_tree(tree: Mapping[str, bytes], cache: rendercache.RenderCache | None = None) -> History:
    """Read the decisions and Placement statuses of a hub tree.

    With a ``cache``, each file is read once per content (blob id) across passes.
    """
    return build(_read(tree, cache))


def _read(
    tree: Mapping[str, bytes], cache: rendercache.RenderCache | None
) -> dict[tuple[str, str], Previous]:
    """Read each placement's pages and status from the ``placements/`` files of ``tree``."""
    pages: dict[tuple[str, str], list[Page]] = {}
    statuses: dict[tuple[str, str], Mapping[str, Any]] = {}
    for path in sorted(p for p in tree if p.startswith("placements/") and p.endswith(".yaml")):
        entry = _entry(tree, path) if cache is None else _cached_entry(tree, path, cache)
        if entry is None:
            continue
        key, found = entry
        if isinstance(found, Page):
            pages.setdefault(key, []).append(found)
        else:
            statuses[key] = found
    keys = set(pages) | set(statuses)
    return {
        k: Previous(tuple(sorted(pages.get(k, []), key=_page_order)), statuses.get(k, {}))
        for k in keys
    }


_Entry = tuple[tuple[str, str], Page | Mapping[str, Any]] | None


def _cached_entry(tree: Mapping[str, bytes], path: str, cache: rendercache.RenderCache) -> _Entry:
    key = rendercache.file_key(tree, path)
    if isinstance(key, tuple) and key[0] == "bytes":  # name content as remember() does
        key = ("blob", yamlfile.blob_id(key[1]))
    return cache.memo(_TABLE, key, lambda: _entry(tree, path))


_TABLE = "history"


def remember(cache: rendercache.RenderCache, data: bytes, body: Mapping[str, Any]) -> None:
    """Record what a file we are publishing will read back as, so the next pass skips parsing it.

    ``body`` must be what ``data`` loads as (a JSON-like object: ``yamlout.dump``
    round-trips it); it is normalized through JSON so tuples become lists, as
    loading gives.
    """

    def make() -> _Entry:
        try:
            loaded = json.loads(json.dumps(body))
        except (TypeError, ValueError):  # not JSON-like: parse what we wrote
            loaded = yamlout.load_mapping(data)
        return entry_of(loaded)

    cache.memo(_TABLE, ("blob", yamlfile.blob_id(data)), make)


def remember_entry(cache: rendercache.RenderCache, data: bytes, entry: _Entry) -> None:
    """Record what a file we are publishing reads back as, when the caller knows the entry."""
    cache.memo(_TABLE, ("blob", yamlfile.blob_id(data)), lambda: entry)


def _entry(tree: Mapping[str, bytes], path: str) -> _Entry:
    """Return one file's placement key and its page or Placement status (None: neither)."""
    return entry_of(yamlout.load_mapping(tree[path]))


def entry_of(body: Mapping[str, Any]) -> _Entry:
    """Return a loaded file's placement key and its page or Placement status (None: neither)."""
    kind = body.get("kind")
    meta = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    namespace = str(meta.get("namespace", ""))
    if kind == "Placement":
        status = body.get("status")
        return (namespace, str(meta.get("name", ""))), (status if isinstance(status, dict) else {})
    if kind == "PlacementDecision":
        labels = meta.get("labels") if isinstance(meta.get("labels"), dict) else {}
        assert isinstance(labels, dict)
        key = (namespace, str(labels.get(PLACEMENT_LABEL, "")))
        return key, _page(str(meta.get("name", "")), labels, body)
    return None


def replaced(
    past: History,
    changed: Mapping[tuple[str, str], Mapping[str, bytes] | None],
    cache: rendercache.RenderCache | None = None,
) -> History:
    """Return ``past`` with some placements read again from their new files.

    ``changed`` maps a placement to the files of its folder in the new tree
    (``placements/<ns>/<name>/...``), or to None when it is gone. The result
    equals :func:`from_tree` of the whole new tree when the other placements'
    files are unchanged.
    """
    tally = Tally(past)
    for key, files in changed.items():
        found = _read(files, cache) if files else {}
        if key not in found:
            tally.put(key, None)
        for found_key, previous in found.items():
            tally.put(found_key, previous)
    return tally.history()


class Tally:
    """Earlier decisions kept current while placements are scheduled one after another.

    Mutable, unlike :class:`History`: :meth:`put` replaces one placement's
    decisions and updates Balance's counts by the clusters it gained and lost
    (a placement usually moves a few clusters, not its thousands); clusters are
    also kept by count, so the highest and second-highest counts need no scan.
    :meth:`history` returns the current state as a :class:`History`, made again
    only after a change.
    """

    def __init__(self, past: History) -> None:
        self._placements = dict(past.placements)
        self._counts = dict(past.counts)
        self._by_count: dict[int, set[str]] | None = None  # built at the first change
        self._history: History | None = past

    def put(self, key: tuple[str, str], new: Previous | None) -> bool:
        """Replace (None: remove) one placement's earlier decisions; return whether they moved."""
        old = self._placements.pop(key, None)
        if new is not None:
            self._placements[key] = new
        if old is new:
            return False
        self._history = None
        was = old.decisions if old is not None else frozenset()
        now = new.decisions if new is not None else frozenset()
        if was == now:
            return False
        self._count(was - now, -1)
        self._count(now - was, 1)
        return True

    def _count(self, clusters: frozenset[str], step: int) -> None:
        counts = self._counts
        if self._by_count is None:
            self._by_count = {}
            for cluster, n in counts.items():
                self._by_count.setdefault(n, set()).add(cluster)
        by_count = self._by_count
        for cluster in clusters:
            before = counts.get(cluster, 0)
            after = before + step
            if before:
                bucket = by_count[before]
                bucket.discard(cluster)
                if not bucket:
                    del by_count[before]
            if after:
                counts[cluster] = after
                by_count.setdefault(after, set()).add(cluster)
            else:
                del counts[cluster]

    def history(self) -> History:
        """Return the current decisions as an (immutable) history."""
        if self._history is None:
            if self._by_count is None:
                self._history = _summed(dict(self._placements), dict(self._counts))
            else:
                top = max(self._by_count, default=0)
                second = max((n for n in self._by_count if n < top), default=0)
                clusters = frozenset(self._by_count.get(top, ()))
                self._history = History(
                    dict(self._placements), dict(self._counts), top, clusters, second
                )
        return self._history


def build(placements: Mapping[tuple[str, str], Previous]) -> History:
    """Build a history (and Balance's counts) from per-placement earlier decisions."""
    counts: collections.Counter[str] = collections.Counter()
    for previous in placements.values():
        counts.update(previous.decisions)  # counted in C
    return _summed(placements, dict(counts))


def _summed(placements: Mapping[tuple[str, str], Previous], counts: dict[str, int]) -> History:
    """Return the history of ``placements`` whose per-cluster decision counts are ``counts``."""
    top = max(counts.values(), default=0)
    second = max((n for n in counts.values() if n < top), default=0)
    top_clusters = frozenset(c for c, n in counts.items() if n == top)
    return History(placements, counts, top, top_clusters, second)


def _page_order(page: Page) -> tuple[int, int, str]:
    suffix = page.name.rpartition("-")[2]
    return (page.group_index, int(suffix) if suffix.isdigit() else 0, page.name)


def _page(name: str, labels: Mapping[str, Any], body: Mapping[str, Any]) -> Page:
    status = body.get("status") if isinstance(body.get("status"), dict) else {}
    assert isinstance(status, dict)
    entries = status.get("decisions") if isinstance(status.get("decisions"), list) else []
    assert isinstance(entries, list)
    clusters = tuple(
        str(d["clusterName"]) for d in entries if isinstance(d, dict) and d.get("clusterName")
    )
    index = str(labels.get(GROUP_INDEX_LABEL, "0"))
    return Page(
        name, int(index) if index.isdigit() else 0, str(labels.get(GROUP_NAME_LABEL, "")), clusters
    )
