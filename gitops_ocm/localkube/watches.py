"""Watch streams over a Store: initial state, replay from a resourceVersion, selector moves.

Part of the store's I/O shell (it waits on the store's condition variable); the
translation of one event for a filtered watch (``as_seen``) is pure.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import resources, selectors
from gitops_ocm.model.body import Body

if TYPE_CHECKING:
    from gitops_ocm.localkube.store import Event, Key, Selectors, Store


def stream(
    db: Store,
    res: resources.Resource,
    namespace: str | None,
    resource_version: str,
    sel: Selectors,
    timeout: float | None,
) -> Iterator[tuple[str, Body]]:
    """Yield (type, object) events; raise Gone if ``resource_version`` is too old."""
    with db.cond:
        initial: list[Body] = []
        if resource_version in ("", "0"):
            cursor = db.rv
            initial = [o for _, o in sorted(db.objects.get(res.key, {}).items())]
        else:
            cursor = _parse_rv(resource_version)
            db.events_after(res.key, cursor)
    return _events(db, res, namespace, sel, timeout, initial, cursor)


def _events(
    db: Store,
    res: resources.Resource,
    namespace: str | None,
    sel: Selectors,
    timeout: float | None,
    initial: list[Body],
    cursor: int,
) -> Iterator[tuple[str, Body]]:
    for obj in initial:
        if _in(obj, namespace) and selectors.matches(obj, *sel):
            yield "ADDED", db.present(res, obj)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        batch = _next_events(db, res.key, cursor, deadline)
        if batch is None:
            return
        for event in batch:
            cursor = event.rv
            seen = as_seen(event, namespace, sel)
            if seen is not None:
                yield seen[0], db.present(res, seen[1])


def _next_events(db: Store, key: Key, cursor: int, deadline: float | None) -> list[Event] | None:
    with db.cond:
        while True:
            batch = db.events_after(key, cursor)
            if batch:
                return batch
            remaining = None if deadline is None else deadline - time.monotonic()
            if db.closed or (remaining is not None and remaining <= 0):
                return None
            db.cond.wait(remaining if remaining is not None else 1.0)


def _parse_rv(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise cluster.BadRequest(f"invalid resourceVersion {text!r}") from None


def _in(obj: Body, namespace: str | None) -> bool:
    return namespace is None or obj["metadata"].get("namespace", "") == namespace


def as_seen(event: Event, namespace: str | None, sel: Selectors) -> tuple[str, Body] | None:
    """Translate an event for a filtered watch (objects move in and out of a selector)."""
    now = _in(event.obj, namespace) and selectors.matches(event.obj, *sel)
    before = (
        event.old is not None and _in(event.old, namespace) and selectors.matches(event.old, *sel)
    )
    if event.type != "MODIFIED":
        return (event.type, event.obj) if now else None
    if now:
        return ("MODIFIED" if before else "ADDED", event.obj)
    return ("DELETED", event.obj) if before else None
