"""The in-memory state of one cluster: objects, resourceVersions, events, and every write path.

I/O shell around the pure rules in ``objects``, ``patch`` and ``ssa``: it owns the
clock, uids and a lock. One global resourceVersion counter orders every change;
each resource keeps a bounded ring of events so that watches can resume from a
resourceVersion, or learn with 410 Gone that they fell too far behind. Deletion
honours finalizers; ``garbage`` collects dependents and terminating namespaces.
Objects are never mutated in place once stored: each write stores a new dict.
"""

from __future__ import annotations

import collections
import copy
import dataclasses
import datetime
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import garbage, objects, patch, resources, selectors, ssa, watches
from gitops_ocm.model import timefmt
from gitops_ocm.model.body import Body

Key = tuple[str, str]  # (group, plural)
Selectors = tuple[tuple[selectors.Requirement, ...], tuple[selectors.Requirement, ...]]
NO_SELECTORS: Selectors = ((), ())
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
CRD_KEY: Key = ("apiextensions.k8s.io", "customresourcedefinitions")
NS_KEY: Key = ("", "namespaces")
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def utc_now() -> str:
    """Return the current time as Kubernetes writes timestamps."""
    return timefmt.format_seconds(datetime.datetime.now(datetime.UTC))


@dataclasses.dataclass(frozen=True)
class Event:
    """One change of one object, as watches see it."""

    rv: int
    type: str
    obj: Body
    old: Body | None


class Store:
    """All objects of one cluster, guarded by one lock; see the module docstring."""

    def __init__(self, *, history: int = 1000, clock: Callable[[], str] = utc_now) -> None:
        self.registry = resources.Registry()
        self.cond = threading.Condition(threading.RLock())
        self.objects: dict[Key, dict[tuple[str, str], Body]] = {}
        self.uids: dict[str, tuple[Key, str, str]] = {}
        self.rv = 0
        self._events: dict[Key, collections.deque[Event]] = {}
        self._floor: dict[Key, int] = {}
        self._base_rv = 0  # no history before this resourceVersion (after a restore)
        self._history = history
        self._closed = False
        self.clock = clock
        for name in INITIAL_NAMESPACES:
            self.create(
                self.resource(NS_KEY), "", {"metadata": {"name": name}}, manager="localkube"
            )

    # -- lookups ------------------------------------------------------------

    def resource(self, key: Key) -> resources.Resource:
        """Return the first served version of a group/plural (for internal writes)."""
        return self.registry.versions_of(*key)[0]

    def _bucket(self, key: Key) -> dict[tuple[str, str], Body]:
        return self.objects.setdefault(key, {})

    @staticmethod
    def present(res: resources.Resource, obj: Body) -> Body:
        """Return a copy of a stored object as seen through ``res``'s version."""
        out = copy.deepcopy(obj)
        out["apiVersion"] = res.api_version
        return out

    def get(self, res: resources.Resource, namespace: str, name: str) -> Body:
        """Return one object; raise NotFound."""
        with self.cond:
            obj = self._bucket(res.key).get((namespace, name))
            if obj is None:
                raise objects.not_found(res, name)
            return self.present(res, obj)

    def list_objects(
        self, res: resources.Resource, namespace: str | None, sel: Selectors = NO_SELECTORS
    ) -> tuple[list[Body], str]:
        """Return matching objects sorted by namespace/name, and the list resourceVersion."""
        with self.cond:
            found = [
                self.present(res, obj)
                for (ns, _), obj in sorted(self._bucket(res.key).items())
                if (namespace is None or ns == namespace) and selectors.matches(obj, *sel)
            ]
            return found, str(self.rv)

    # -- writes -------------------------------------------------------------

    def create(
        self,
        res: resources.Resource,
        namespace: str,
        body: Body,
        *,
        manager: str,
        dry_run: bool = False,
    ) -> Body:
        """Create an object (POST)."""
        with self.cond:
            new = self._prepare_create(res, namespace, body)
            write = self._write(res, manager, "")
            entries = ssa.track_update(None, new, write)
            return self._commit_create(res, new, entries, dry_run)

    def replace(
        self,
        res: resources.Resource,
        namespace: str,
        name: str,
        body: Body,
        *,
        manager: str,
        subresource: str = "",
        dry_run: bool = False,
    ) -> Body:
        """Replace an object or its status (PUT); a resourceVersion in ``body`` must match."""
        with self.cond:
            old = self._existing(res, namespace, name)
            objects.check_identity(res, name, namespace, body)
            self._check_preconditions(res, old, body.get("metadata") or {})
            new = objects.carry_system_fields(res, old, body, subresource)
            entries = ssa.track_update(old, new, self._write(res, manager, subresource))
            return self._commit_update(res, old, new, entries, dry_run)

    def patch(
        self,
        res: resources.Resource,
        namespace: str,
        name: str,
        content_type: str,
        body: Any,
        *,
        manager: str,
        force: bool = False,
        subresource: str = "",
        dry_run: bool = False,
    ) -> tuple[Body, bool]:
        """Patch an object (or apply it, creating it if absent); return it and whether it is new."""
        with self.cond:
            if content_type in (patch.APPLY_YAML, patch.APPLY_CBOR):
                return self._apply(res, namespace, name, body, manager, force, subresource, dry_run)
            old = self._existing(res, namespace, name)
            new = self._patched(res, self.present(res, old), content_type, body)
            objects.check_identity(res, name, namespace, new)
            self._check_preconditions(res, old, new.get("metadata") or {})
            new = objects.carry_system_fields(res, old, new, subresource)
            entries = ssa.track_update(old, new, self._write(res, manager, subresource))
            return self._commit_update(res, old, new, entries, dry_run), False

    def delete(
        self,
        res: resources.Resource,
        namespace: str,
        name: str,
        *,
        propagation: str = "Background",
        preconditions: Body | None = None,
        dry_run: bool = False,
    ) -> tuple[Body, bool]:
        """Delete an object; return its last state and whether it is gone (not finalizing)."""
        with self.cond:
            old = self._existing(res, namespace, name)
            self._check_preconditions(res, old, preconditions or {})
            if dry_run:
                return self.present(res, old), not (old["metadata"].get("finalizers"))
            result, gone = self.start_deletion(res.key, namespace, name, propagation)
            garbage.collect(self)
            return self.present(res, result), gone

    def delete_collection(
        self, res: resources.Resource, namespace: str | None, sel: Selectors, propagation: str
    ) -> list[Body]:
        """Delete every matching object; return their last states."""
        with self.cond:
            items, _ = self.list_objects(res, namespace, sel)
            done = [
                self.start_deletion(
                    res.key, o["metadata"].get("namespace", ""), o["metadata"]["name"], propagation
                )[0]
                for o in items
            ]
            garbage.collect(self)
            return [self.present(res, o) for o in done]

    # -- write internals ------------------------------------------------------

    def _write(self, res: resources.Resource, manager: str, subresource: str) -> ssa.Write:
        return ssa.Write(
            manager=manager,
            api_version=res.api_version,
            time=self.clock(),
            subresource=subresource,
            part=objects.part(res, subresource),
            builtin=not res.custom,
        )

    def _existing(self, res: resources.Resource, namespace: str, name: str) -> Body:
        obj = self._bucket(res.key).get((namespace, name))
        if obj is None:
            raise objects.not_found(res, name)
        return obj

    def _check_preconditions(self, res: resources.Resource, old: Body, wanted: Body) -> None:
        name = old["metadata"]["name"]
        rv, uid = wanted.get("resourceVersion"), wanted.get("uid")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise objects.modified(res, name)
        if uid and uid != old["metadata"]["uid"]:
            why = (
                f"Precondition failed: UID in precondition: {uid}, "
                f"UID in object meta: {old['metadata']['uid']}"
            )
            raise objects.modified(res, name, why)

    def _patched(
        self, res: resources.Resource, current: Body, content_type: str, body: Any
    ) -> Body:
        if content_type == patch.JSON:
            return patch.json_patch(current, body)
        if content_type == patch.MERGE:
            merged = patch.merge_patch(current, body)
            return merged if isinstance(merged, dict) else {}
        if content_type == patch.STRATEGIC:
            if res.custom:
                raise cluster.UnsupportedMediaType(
                    "strategic merge patch is not supported for custom resources"
                )
            return patch.strategic_merge(current, body, builtin=True)
        raise cluster.UnsupportedMediaType(f"the content type {content_type!r} is not supported")

    def _apply(
        self,
        res: resources.Resource,
        namespace: str,
        name: str,
        body: Any,
        manager: str,
        force: bool,
        subresource: str,
        dry_run: bool,
    ) -> tuple[Body, bool]:
        if not isinstance(body, dict) or not body.get("apiVersion") or not body.get("kind"):
            raise cluster.BadRequest("an applied configuration needs apiVersion and kind")
        if not manager:
            raise cluster.BadRequest("PATCH /apply requires fieldManager")
        objects.check_identity(res, name, namespace, body)
        if (body.get("metadata") or {}).get("name") != name:
            raise cluster.BadRequest("metadata.name must be set and match the URL")
        old = self._bucket(res.key).get((namespace, name))
        write = self._write(res, manager, subresource)
        if old is None:
            if subresource:
                raise objects.not_found(res, name)
            merged, entries = ssa.apply(None, body, write, force=force)
            new = self._prepare_create(res, namespace, merged)
            return self._commit_create(res, new, entries, dry_run), True
        self._check_preconditions(res, old, body.get("metadata") or {})
        merged, entries = ssa.apply(self.present(res, old), body, write, force=force)
        new = objects.carry_system_fields(res, old, merged, subresource)
        return self._commit_update(res, old, new, entries, dry_run), False

    def _prepare_create(self, res: resources.Resource, namespace: str, body: Any) -> Body:
        if not isinstance(body, dict):
            raise cluster.BadRequest("the request body must be an object")
        objects.check_identity(res, "", namespace, body)
        new = copy.deepcopy(body)
        meta = new.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generate_name(res, namespace, str(meta["generateName"]))
        if not meta.get("name"):
            raise objects.invalid(res, "", "metadata.name", "", "name or generateName is required")
        objects.validate_name(res, str(meta["name"]))
        for key in ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "selfLink"):
            meta.pop(key, None)
        meta.pop("managedFields", None)
        meta.pop("deletionGracePeriodSeconds", None)
        if res.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        new["apiVersion"], new["kind"] = res.api_version, res.kind
        if res.status:
            new.pop("status", None)
        if res.key == NS_KEY:
            new["spec"] = {"finalizers": ["kubernetes"]}
            new["status"] = {"phase": "Active"}
        return new

    def _generate_name(self, res: resources.Resource, namespace: str, prefix: str) -> str:
        while True:
            name = prefix + "".join(random.choice(_NAME_CHARS) for _ in range(5))
            if (namespace, name) not in self._bucket(res.key):
                return name

    def _check_namespace(self, res: resources.Resource, namespace: str) -> None:
        if not res.namespaced:
            return
        ns = self._bucket(NS_KEY).get(("", namespace))
        if ns is None:
            raise cluster.NotFound(
                f'namespaces "{namespace}" not found',
                details={"name": namespace, "kind": "namespaces", "group": ""},
            )
        if ns["metadata"].get("deletionTimestamp"):
            raise cluster.Forbidden(
                f"unable to create new content in namespace {namespace} "
                "because it is being terminated"
            )

    def _commit_create(
        self, res: resources.Resource, new: Body, entries: list[ssa.Entry], dry_run: bool
    ) -> Body:
        meta = new["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        self._check_namespace(res, namespace)
        if (namespace, name) in self._bucket(res.key):
            raise objects.already_exists(res, name)
        now = self.clock()
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now
        if res.tracks_generation:
            meta["generation"] = 1
        if res.key == CRD_KEY:
            objects.validate_crd(res, new)
            new["status"] = objects.crd_status(new, now)
        meta["managedFields"] = ssa.encode(entries)
        if dry_run:
            return self.present(res, new)
        self.commit(res.key, new, None)
        if res.key == CRD_KEY:
            self._serve_crd(new)
        if meta.get("ownerReferences"):
            garbage.collect(self)
        return self.present(res, new)

    def _commit_update(
        self, res: resources.Resource, old: Body, new: Body, entries: list[ssa.Entry], dry_run: bool
    ) -> Body:
        meta = new["metadata"]
        if res.tracks_generation and objects.spec_changed(old, new):
            meta["generation"] = int(old["metadata"].get("generation", 1)) + 1
        if res.key == CRD_KEY:
            objects.validate_crd(res, new)
            new["status"] = objects.crd_status(new, self.clock())
            new["status"]["conditions"] = (old.get("status") or {}).get("conditions") or new[
                "status"
            ]["conditions"]
        meta["managedFields"] = ssa.encode(entries)
        meta["resourceVersion"] = old["metadata"]["resourceVersion"]
        if objects.unchanged(old, new) or dry_run:
            return self.present(res, new)
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self.remove(res.key, new)
        else:
            self.commit(res.key, new, old)
        if res.key == CRD_KEY:
            self._serve_crd(new)
        if any(old["metadata"].get(k) != meta.get(k) for k in ("finalizers", "ownerReferences")):
            garbage.collect(self)
        return self.present(res, new)

    def _serve_crd(self, crd: Body) -> None:
        spec = crd.get("spec") or {}
        self.registry.remove_group_plural(spec["group"], spec["names"]["plural"])
        for served in resources.from_crd(crd):
            self.registry.add(served)

    # -- the only three functions that change stored state --------------------

    def commit(self, key: Key, new: Body, old: Body | None) -> None:
        """Store ``new`` with the next resourceVersion and record the event."""
        self.rv += 1
        new["metadata"]["resourceVersion"] = str(self.rv)
        meta = new["metadata"]
        self._bucket(key)[(meta.get("namespace", ""), meta["name"])] = new
        self.uids[meta["uid"]] = (key, meta.get("namespace", ""), meta["name"])
        self._record(key, Event(self.rv, "MODIFIED" if old else "ADDED", new, old))

    def remove(self, key: Key, last: Body) -> None:
        """Remove an object for good, recording a DELETED event with its last state."""
        meta = last["metadata"]
        old = self._bucket(key).pop((meta.get("namespace", ""), meta["name"]))
        self.uids.pop(meta["uid"], None)
        self.rv += 1
        final = copy.deepcopy(last)
        final["metadata"]["resourceVersion"] = str(self.rv)
        self._record(key, Event(self.rv, "DELETED", final, old))
        if key == CRD_KEY:
            self._drop_crd(final)

    def _drop_crd(self, crd: Body) -> None:
        spec = crd.get("spec") or {}
        key = (str(spec.get("group")), str((spec.get("names") or {}).get("plural")))
        for obj in list(self._bucket(key).values()):
            self.remove(key, obj)
        self.registry.remove_group_plural(*key)

    def _record(self, key: Key, event: Event) -> None:
        ring = self._events.setdefault(key, collections.deque())
        ring.append(event)
        while len(ring) > self._history:
            self._floor[key] = ring.popleft().rv
        self.cond.notify_all()

    def start_deletion(
        self, key: Key, namespace: str, name: str, propagation: str
    ) -> tuple[Body, bool]:
        """Delete now, or mark deleting while finalizers remain; see ``garbage``."""
        return garbage.start_deletion(self, key, namespace, name, propagation)

    # -- watch --------------------------------------------------------------

    def watch(
        self,
        res: resources.Resource,
        namespace: str | None,
        *,
        resource_version: str = "",
        sel: Selectors = NO_SELECTORS,
        timeout: float | None = None,
    ) -> Iterator[tuple[str, Body]]:
        """Yield (type, object) events; raise Gone if ``resource_version`` is too old."""
        return watches.stream(self, res, namespace, resource_version, sel, timeout)

    def events_after(self, key: Key, cursor: int) -> list[Event]:
        """Return the recorded events of a resource after ``cursor``; raise Gone if lost."""
        floor = max(self._floor.get(key, 0), self._base_rv)
        if cursor < floor:
            raise cluster.Gone(f"too old resource version: {cursor} ({floor + 1})")
        ring = self._events.get(key) or ()
        return [e for e in ring if e.rv > cursor] if ring and ring[-1].rv > cursor else []

    @property
    def closed(self) -> bool:
        """Return whether watches should end."""
        return self._closed

    def wait_for_change(self, after: int, timeout: float) -> int:
        """Block until the resourceVersion passes ``after`` (or timeout); return it."""
        with self.cond:
            self.cond.wait_for(lambda: self.rv > after or self._closed, timeout)
            return self.rv

    def close(self) -> None:
        """Wake and end every watch."""
        with self.cond:
            self._closed = True
            self.cond.notify_all()

    def forget_history(self) -> None:
        """Drop all watch history: resuming from an earlier resourceVersion is now 410 Gone."""
        with self.cond:
            self._events.clear()
            self._floor.clear()
            self._base_rv = self.rv

    def reopen(self) -> None:
        """Allow watches again after ``close`` (a server restarted on the same store)."""
        with self.cond:
            self._closed = False
