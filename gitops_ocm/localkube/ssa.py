"""Server-side apply: field ownership (managedFields), conflicts, and removal of dropped fields.

Pure. Objects are flattened into field paths in FieldsV1 notation (``f:spec``,
``k:{"name":"c"}`` for list items merged by key, ``v:"x"`` for set members, ``.``
for an item that is itself owned). Each manager owns a set of paths. An apply
conflicts with another manager that owns a path the apply would change; a forced
apply takes the path over. Paths a manager applied before and no longer applies
are removed from the object unless another manager still owns them. Any other
write (create, update, patch) gives its manager the paths whose values it changed.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import schema

Path = tuple[str, ...]
_ITEM = ("<item>",)  # the leaf value of a list item: equal whenever the item exists
_MISSING = object()
_TRACKED_METADATA = ("labels", "annotations", "finalizers", "ownerReferences")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One managedFields entry: a manager, an operation and the paths it owns."""

    manager: str
    operation: str  # "Apply" or "Update"
    api_version: str
    time: str
    subresource: str
    fields: frozenset[Path]

    def same_slot(self, manager: str, operation: str, subresource: str) -> bool:
        """Return whether this entry is the one for that manager/operation/subresource."""
        return (self.manager, self.operation, self.subresource) == (manager, operation, subresource)


def leaves(obj: dict[str, Any], part: str, *, builtin: bool) -> dict[Path, Any]:
    """Flatten ``obj`` into path -> leaf value; ``part`` is ``all``, ``main`` or ``status``."""
    out: dict[Path, Any] = {}
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or value is None:
            continue
        if (part == "main" and key == "status") or (part == "status" and key != "status"):
            continue
        if key == "metadata" and isinstance(value, dict):
            tracked = {k: value[k] for k in _TRACKED_METADATA if value.get(k) is not None}
            if tracked:
                _walk(tracked, ("f:metadata",), ("metadata",), builtin, out)
            continue
        _walk(value, (f"f:{key}",), (key,), builtin, out)
    return out


def _walk(value: Any, path: Path, names: schema.Names, builtin: bool, out: dict[Path, Any]) -> None:
    if isinstance(value, dict):
        if not value:
            out[path] = {}
        for key, child in value.items():
            if child is not None:
                _walk(child, (*path, f"f:{key}"), (*names, key), builtin, out)
        return
    if isinstance(value, list) and value:
        keys = schema.list_keys(names, builtin=builtin)
        if schema.is_set(names) and not any(isinstance(v, dict | list) for v in value):
            for member in value:
                out[(*path, "v:" + _dumps(member))] = _ITEM
            return
        if keys and all(isinstance(v, dict) for v in value):
            for item in value:
                item_path = (*path, _key_element(item, keys))
                out[item_path] = _ITEM
                _walk_fields(item, item_path, names, builtin, out)
            return
    out[path] = value


def _walk_fields(
    item: dict[str, Any], path: Path, names: schema.Names, builtin: bool, out: dict[Path, Any]
) -> None:
    for key, child in item.items():
        if child is not None:
            _walk(child, (*path, f"f:{key}"), (*names, key), builtin, out)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _key_element(item: dict[str, Any], keys: tuple[str, ...]) -> str:
    return "k:" + _dumps({k: item[k] for k in keys if k in item})


def to_fields_v1(paths: frozenset[Path]) -> dict[str, Any]:
    """Encode owned paths as a FieldsV1 tree."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for element in path:
            node = node.setdefault(element, {})
    for path in paths:
        node = root
        for element in path:
            node = node[element]
        if any(k != "." for k in node):
            node["."] = {}
    return root


def from_fields_v1(tree: dict[str, Any], prefix: Path = ()) -> frozenset[Path]:
    """Decode a FieldsV1 tree into owned paths."""
    out: set[Path] = set()
    for key, sub in tree.items():
        if key == ".":
            out.add(prefix)
        elif isinstance(sub, dict) and sub:
            out |= from_fields_v1(sub, (*prefix, key))
        else:
            out.add((*prefix, key))
    return frozenset(out)


def decode(obj: dict[str, Any] | None) -> list[Entry]:
    """Read the managedFields of an object."""
    entries = []
    for raw in ((obj or {}).get("metadata") or {}).get("managedFields") or []:
        if not isinstance(raw, dict) or not raw.get("manager"):
            continue
        entries.append(
            Entry(
                manager=str(raw["manager"]),
                operation=str(raw.get("operation", "Update")),
                api_version=str(raw.get("apiVersion", "")),
                time=str(raw.get("time", "")),
                subresource=str(raw.get("subresource", "")),
                fields=from_fields_v1(raw.get("fieldsV1") or {}),
            )
        )
    return entries


def encode(entries: list[Entry]) -> list[dict[str, Any]]:
    """Write entries as managedFields (entries owning nothing are dropped)."""
    out = []
    for entry in entries:
        if not entry.fields:
            continue
        raw: dict[str, Any] = {
            "manager": entry.manager,
            "operation": entry.operation,
            "apiVersion": entry.api_version,
            "time": entry.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(entry.fields),
        }
        if entry.subresource:
            raw["subresource"] = entry.subresource
        out.append(raw)
    return out


@dataclasses.dataclass(frozen=True)
class Write:
    """Who writes, with which apiVersion, when, and to which part of the object."""

    manager: str
    api_version: str
    time: str
    subresource: str = ""
    part: str = "all"
    builtin: bool = True


def track_update(old: dict[str, Any] | None, new: dict[str, Any], write: Write) -> list[Entry]:
    """Return the managedFields after a non-apply write changed ``old`` into ``new``."""
    old_leaves = leaves(old or {}, write.part, builtin=write.builtin)
    new_leaves = leaves(new, write.part, builtin=write.builtin)
    changed = {p for p, v in new_leaves.items() if old_leaves.get(p, _MISSING) != v}
    present = frozenset(new_leaves)
    result: list[Entry] = []
    mine: Entry | None = None
    for entry in decode(old):
        if entry.same_slot(write.manager, "Update", write.subresource):
            mine = entry
        elif entry.subresource == write.subresource:
            result.append(dataclasses.replace(entry, fields=(entry.fields - changed) & present))
        else:
            result.append(entry)
    if changed or mine is not None:
        fields = ((mine.fields if mine else frozenset()) | changed) & present
        time = write.time if changed or mine is None else mine.time
        result.append(
            Entry(write.manager, "Update", write.api_version, time, write.subresource, fields)
        )
    return result


def apply(
    live: dict[str, Any] | None, applied: dict[str, Any], write: Write, *, force: bool
) -> tuple[dict[str, Any], list[Entry]]:
    """Server-side apply ``applied`` onto ``live``; return the new object and managedFields."""
    live = live or {}
    applied = _drop_nulls(applied)
    applied_leaves = leaves(applied, write.part, builtin=write.builtin)
    live_leaves = leaves(live, write.part, builtin=write.builtin)
    entries = decode(live)
    own = next((e for e in entries if e.same_slot(write.manager, "Apply", write.subresource)), None)
    others = [e for e in entries if e is not own]
    conflicts = _conflicts(others, applied_leaves, live_leaves)
    if conflicts and not force:
        raise _conflict_error(conflicts)
    others = [dataclasses.replace(e, fields=e.fields - conflicts.keys()) for e in others]
    merged = _merge(live, applied, (), write.builtin)
    still_owned = frozenset().union(*(e.fields for e in others)) | frozenset(applied_leaves)
    removed = (own.fields if own else frozenset()) - applied_leaves.keys()
    _remove_all(merged, removed, still_owned)
    present = frozenset(leaves(merged, write.part, builtin=write.builtin))
    result = [dataclasses.replace(e, fields=e.fields & present) for e in others]
    fields = frozenset(applied_leaves)
    result.append(
        Entry(write.manager, "Apply", write.api_version, write.time, write.subresource, fields)
    )
    return merged, result


def _remove_all(obj: dict[str, Any], removed: frozenset[Path], owned: frozenset[Path]) -> None:
    """Remove the top-most of ``removed`` that no one else owns (their subtrees go with them)."""
    done: set[Path] = set()
    for path in sorted(removed, key=len):
        if any(path[:i] in done for i in range(1, len(path))):
            continue
        if not any(q[: len(path)] == path for q in owned):
            _remove(obj, path, owned)
            done.add(path)


def _conflicts(
    others: list[Entry], applied: dict[Path, Any], live: dict[Path, Any]
) -> dict[Path, list[Entry]]:
    found: dict[Path, list[Entry]] = {}
    for entry in others:
        for path in entry.fields & applied.keys():
            if live.get(path, _MISSING) != applied[path]:
                found.setdefault(path, []).append(entry)
    return found


def path_string(path: Path) -> str:
    """Render a path as Kubernetes prints it, e.g. ``.spec.containers[name="c"].image``."""
    out = ""
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            out += "." + rest
        elif kind == "k":
            pairs = json.loads(rest).items()
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in pairs) + "]"
        elif kind == "v":
            out += f"[={rest}]"
    return out


def _conflict_error(conflicts: dict[Path, list[Entry]]) -> cluster.Conflict:
    causes = []
    lines = []
    for path in sorted(conflicts):
        for entry in conflicts[path]:
            text = f'conflict with "{entry.manager}" using {entry.api_version}'
            causes.append(
                {"reason": "FieldManagerConflict", "message": text, "field": path_string(path)}
            )
            lines.append(f"{text}: {path_string(path)}")
    count = len(causes)
    noun = "conflict" if count == 1 else "conflicts"
    message = f"Apply failed with {count} {noun}: " + "; ".join(lines)
    return cluster.Conflict(message, details={"causes": causes})


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _merge(live: Any, applied: Any, names: schema.Names, builtin: bool) -> Any:
    """Merge an applied configuration into the live value, by the structure of ``schema``."""
    if isinstance(applied, dict) and isinstance(live, dict):
        merged = dict(live)
        for key, value in applied.items():
            merged[key] = _merge(live.get(key), value, (*names, key), builtin)
        return merged
    if isinstance(applied, list) and isinstance(live, list):
        if schema.is_set(names):
            return live + [v for v in applied if v not in live]
        keys = schema.list_keys(names, builtin=builtin)
        if keys and all(isinstance(v, dict) for v in applied + live):
            merged_list = list(live)
            for item in applied:
                index = _index_of(merged_list, {k: item[k] for k in keys if k in item})
                if index is None:
                    merged_list.append(copy.deepcopy(item))
                else:
                    merged_list[index] = _merge(merged_list[index], item, names, builtin)
            return merged_list
    return copy.deepcopy(applied)


def _index_of(items: list[Any], key: dict[str, Any]) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and all(item.get(k) == v for k, v in key.items()):
            return index
    return None


def _child(node: Any, element: str) -> Any:
    kind, _, rest = element.partition(":")
    if kind == "f" and isinstance(node, dict):
        return node.get(rest)
    if kind == "k" and isinstance(node, list):
        index = _index_of(node, json.loads(rest))
        return None if index is None else node[index]
    return None


def _delete_child(node: Any, element: str) -> None:
    kind, _, rest = element.partition(":")
    if kind == "f" and isinstance(node, dict):
        node.pop(rest, None)
    elif kind == "k" and isinstance(node, list):
        index = _index_of(node, json.loads(rest))
        if index is not None:
            del node[index]
    elif kind == "v" and isinstance(node, list):
        value = json.loads(rest)
        node[:] = [v for v in node if v != value]


def _remove(node: Any, path: Path, keep: frozenset[Path], prefix: Path = ()) -> None:
    """Remove ``path`` from ``node`` in place, pruning maps it leaves empty and nobody owns."""
    element, rest = path[0], path[1:]
    if not rest:
        _delete_child(node, element)
        return
    child = _child(node, element)
    if child is None:
        return
    _remove(child, rest, keep, (*prefix, element))
    here = (*prefix, element)
    if child in ({}, []) and element.startswith("f:") and here not in keep:
        _delete_child(node, element)
