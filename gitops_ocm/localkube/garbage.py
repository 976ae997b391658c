"""Deletion with finalizers, and garbage collection of dependents and terminating namespaces.

Part of the store's I/O shell (it changes stored state through ``Store.commit`` and
``Store.remove``, under the store's lock). A real cluster collects garbage
asynchronously; we run the collector to a fixed point right after each deletion,
which is one valid ordering of what a real cluster does and keeps tests exact:

- Background: the owner goes now; dependents whose owners are all gone follow.
- Foreground: the owner gets the ``foregroundDeletion`` finalizer and stays until
  every dependent is gone (a real collector waits only for ``blockOwnerDeletion``).
- Orphan: the owner goes; dependents lose their ownerReference to it.
- A deleted namespace turns Terminating, its contents are deleted, then it goes.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from gitops_ocm.model.body import Body

if TYPE_CHECKING:
    from gitops_ocm.localkube.store import Key, Store

FOREGROUND = "foregroundDeletion"
_NS_KEY = ("", "namespaces")
_MAX_PASSES = 100


def start_deletion(
    store: Store, key: Key, namespace: str, name: str, propagation: str
) -> tuple[Body, bool]:
    """Delete an object now, or mark it deleting while finalizers remain."""
    obj = store.objects[key][(namespace, name)]
    meta = obj["metadata"]
    finalizers = list(meta.get("finalizers") or [])
    if propagation == "Orphan":
        _orphan(store, meta["uid"])
    if propagation == "Foreground" and FOREGROUND not in finalizers:
        finalizers.append(FOREGROUND)
    if not finalizers and key != _NS_KEY:
        store.remove(key, obj)
        return obj, True
    if meta.get("deletionTimestamp") and finalizers == list(meta.get("finalizers") or []):
        return obj, False
    new = copy.deepcopy(obj)
    new_meta = new["metadata"]
    if not new_meta.get("deletionTimestamp"):
        new_meta["deletionTimestamp"] = store.clock()
        new_meta["deletionGracePeriodSeconds"] = 0
        if "generation" in new_meta:
            new_meta["generation"] = int(new_meta["generation"]) + 1
    if finalizers:
        new_meta["finalizers"] = finalizers
    if key == _NS_KEY:
        new["status"] = {**(new.get("status") or {}), "phase": "Terminating"}
    store.commit(key, new, obj)
    return new, False


def collect(store: Store) -> None:
    """Run the collector until nothing more changes."""
    for _ in range(_MAX_PASSES):
        if not _collect_pass(store):
            return


def _collect_pass(store: Store) -> bool:
    dependents = _dependents(store)
    progressed = False
    for key, bucket in list(store.objects.items()):
        for slot, obj in list(bucket.items()):
            if bucket.get(slot) is obj:
                progressed = _collect_one(store, key, obj, dependents) or progressed
    return progressed


def _collect_one(store: Store, key: Key, obj: Body, dependents: dict[str, list[Body]]) -> bool:
    meta = obj["metadata"]
    if meta.get("ownerReferences") and not meta.get("deletionTimestamp"):
        return _check_owners(store, key, obj)
    if not meta.get("deletionTimestamp"):
        return False
    if FOREGROUND in (meta.get("finalizers") or []):
        return _foreground(store, key, obj, dependents.get(meta["uid"], []))
    if key == _NS_KEY:
        return _terminate_namespace(store, obj)
    return False


def _slot(obj: Body) -> tuple[str, str]:
    return obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _key_of(store: Store, obj: Body) -> Key:
    return store.uids[obj["metadata"]["uid"]][0]


def _check_owners(store: Store, key: Key, obj: Body) -> bool:
    refs = obj["metadata"]["ownerReferences"]
    alive = [r for r in refs if r.get("uid") in store.uids]
    if not alive:
        start_deletion(store, key, *_slot(obj), "Background")
        return True
    if len(alive) < len(refs):
        new = copy.deepcopy(obj)
        new["metadata"]["ownerReferences"] = alive
        store.commit(key, new, obj)
        return True
    return False


def _foreground(store: Store, key: Key, obj: Body, dependents: list[Body]) -> bool:
    live = [d for d in dependents if d["metadata"]["uid"] in store.uids]
    progressed = False
    for dependent in live:
        current = store.objects[_key_of(store, dependent)][_slot(dependent)]
        if not current["metadata"].get("deletionTimestamp"):
            start_deletion(store, _key_of(store, dependent), *_slot(dependent), "Foreground")
            progressed = True
    if live:
        return progressed
    _drop_finalizer(store, key, obj, FOREGROUND)
    return True


def _drop_finalizer(store: Store, key: Key, obj: Body, finalizer: str) -> None:
    new = copy.deepcopy(obj)
    rest = [f for f in new["metadata"].get("finalizers") or [] if f != finalizer]
    if rest:
        new["metadata"]["finalizers"] = rest
        store.commit(key, new, obj)
    else:
        new["metadata"].pop("finalizers", None)
        store.remove(key, new)


def _terminate_namespace(store: Store, ns: Body) -> bool:
    name = ns["metadata"]["name"]
    progressed = False
    remaining = 0
    for key, bucket in list(store.objects.items()):
        for (namespace, obj_name), obj in list(bucket.items()):
            if namespace != name or key == _NS_KEY:
                continue
            remaining += 1
            if not obj["metadata"].get("deletionTimestamp"):
                start_deletion(store, key, namespace, obj_name, "Background")
                progressed = True
    if remaining == 0 and not ns["metadata"].get("finalizers"):
        store.remove(_NS_KEY, ns)
        return True
    return progressed


def _dependents(store: Store) -> dict[str, list[Body]]:
    found: dict[str, list[Body]] = {}
    for bucket in store.objects.values():
        for obj in bucket.values():
            for ref in obj["metadata"].get("ownerReferences") or []:
                found.setdefault(str(ref.get("uid")), []).append(obj)
    return found


def _orphan(store: Store, owner_uid: str) -> None:
    for key, bucket in list(store.objects.items()):
        for obj in list(bucket.values()):
            refs = obj["metadata"].get("ownerReferences") or []
            kept = [r for r in refs if r.get("uid") != owner_uid]
            if len(kept) < len(refs):
                new = copy.deepcopy(obj)
                if kept:
                    new["metadata"]["ownerReferences"] = kept
                else:
                    new["metadata"].pop("ownerReferences")
                store.commit(key, new, obj)
