"""PlacementDecision pages and the Placement's ``status.decisionGroups``, named as OCM names them.

Pure. Each decision group is split into pages of at most 100 clusters, sorted
by name. Pages are named ``<placement>-decision-<k>`` with ``k`` counting from
1 across all groups, and labelled with the placement name and the group's index
and name. We write no ownerReferences (the hub tree has no UIDs; the placement
folder owns its pages) and leave the optional ``score`` field out.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.placement import groups, history

MAX_PER_PAGE = 100
API_VERSION = "cluster.open-cluster-management.io/v1beta1"


class Page(typing.NamedTuple):
    """One PlacementDecision.

    A named tuple rather than a frozen dataclass: a full render builds thousands
    of pages and a named tuple is several times cheaper to construct.
    """

    name: str
    group_index: int
    group_name: str
    clusters: tuple[str, ...]


def paginate(placement: str, grouped: Sequence[groups.Group]) -> tuple[Page, ...]:
    """Split groups into named pages (an empty group still gets one empty page)."""
    pages: list[Page] = []
    for index, group in enumerate(grouped):
        clusters = tuple(group.clusters)
        for start in range(0, max(len(clusters), 1), MAX_PER_PAGE):
            name = f"{placement}-decision-{len(pages) + 1}"
            pages.append(Page(name, index, group.name, clusters[start : start + MAX_PER_PAGE]))
    return tuple(pages)


def group_status(pages: Sequence[Page]) -> list[dict[str, Any]]:
    """Return ``status.decisionGroups`` for the pages."""
    out: list[dict[str, Any]] = []
    for page in pages:
        if not out or out[-1]["decisionGroupIndex"] != page.group_index:
            out.append(
                {
                    "decisionGroupIndex": page.group_index,
                    "decisionGroupName": page.group_name,
                    "decisions": [],
                    "clusterCount": 0,
                }
            )
        out[-1]["decisions"].append(page.name)
        out[-1]["clusterCount"] += len(page.clusters)
    return out


def group_status_of(placement: str, grouped: Sequence[groups.Group]) -> list[dict[str, Any]]:
    """Return ``status.decisionGroups`` for the pages of ``grouped`` without building them."""
    out: list[dict[str, Any]] = []
    pages = 0
    for index, group in enumerate(grouped):
        count = max(-(-len(group.clusters) // MAX_PER_PAGE), 1)
        names = [f"{placement}-decision-{pages + k}" for k in range(1, count + 1)]
        pages += count
        out.append(
            {
                "decisionGroupIndex": index,
                "decisionGroupName": group.name,
                "decisions": names,
                "clusterCount": len(group.clusters),
            }
        )
    return out


def to_object(namespace: str, placement: str, page: Page) -> dict[str, Any]:
    """Return the PlacementDecision object for one page."""
    return {
        "apiVersion": API_VERSION,
        "kind": "PlacementDecision",
        "metadata": {
            "name": page.name,
            "namespace": namespace,
            "labels": {
                history.PLACEMENT_LABEL: placement,
                history.GROUP_INDEX_LABEL: str(page.group_index),
                history.GROUP_NAME_LABEL: page.group_name,
            },
        },
        "status": {"decisions": [{"clusterName": c, "reason": ""} for c in sorted(page.clusters)]},
    }


_HEAD = b"status:\n  decisions:\n"
_LINES: dict[str, bytes] = {}
_MAX_LINES = 1 << 17
_HEADS: dict[tuple[str, str, str, object, str], bytes | None] = {}
_MAX_HEADS = 1 << 16  # a page's head is ~300 bytes: a fleet's pages fit


def page_bytes(namespace: str, placement: str, page: Page) -> bytes:
    """Return ``yamlout.dump(to_object(...))`` of one page, fast.

    A page is mostly its list of decisions, which the writer puts last; so the
    page is its lines before the decisions (the same for every content of that
    page, memoized) and each decision's lines (the same for a cluster on every
    page, memoized).
    """
    clusters = sorted(page.clusters)
    if not clusters:
        return yamlout.dump(to_object(namespace, placement, page))
    key = (namespace, placement, page.name, page.group_index, page.group_name)
    head = _HEADS.get(key)
    if head is None and key not in _HEADS:
        head = _head(namespace, placement, page._replace(clusters=(clusters[0],)))
        if len(_HEADS) >= _MAX_HEADS:
            _HEADS.clear()
        _HEADS[key] = head
    if head is None:  # not the layout this relies on: write it all
        return yamlout.dump(to_object(namespace, placement, page))
    try:
        lines = b"".join([_LINES[c] for c in clusters])
    except KeyError:  # a cluster not met yet
        lines = b"".join([_line(c) for c in clusters])
    return head + lines


def _head(namespace: str, placement: str, first: Page) -> bytes | None:
    """Return a one-decision page's bytes before its decision (None: not laid out so)."""
    data = yamlout.dump(to_object(namespace, placement, first))
    line = _line(first.clusters[0])
    return data[: -len(line)] if data.endswith(line) else None


def page_entry(namespace: str, placement: str, page: Page) -> tuple[tuple[str, str], history.Page]:
    """Return what ``history.entry_of(to_object(...))`` reads a page back as, without the body."""
    clusters = tuple(c for c in sorted(page.clusters) if c)
    index = page.group_index if str(page.group_index).isdigit() else 0
    return (namespace, placement), history.Page(page.name, index, page.group_name, clusters)


def _line(cluster: str) -> bytes:
    """Return the lines one decision takes in a page."""
    line = _LINES.get(cluster)
    if line is None:
        body = {"status": {"decisions": [{"clusterName": cluster, "reason": ""}]}}
        line = yamlout.dump(body).removeprefix(_HEAD)
        if len(_LINES) < _MAX_LINES:
            _LINES[cluster] = line
    return line


def regroup(pages: Sequence[history.Page]) -> tuple[groups.Group, ...]:
    """Rebuild decision groups from earlier pages (to keep earlier decisions)."""
    merged: dict[int, tuple[str, list[str]]] = {}
    for page in pages:
        merged.setdefault(page.group_index, (page.group_name, []))[1].extend(page.clusters)
    return tuple(
        groups.Group(name, tuple(sorted(cs))) for _index, (name, cs) in sorted(merged.items())
    )
