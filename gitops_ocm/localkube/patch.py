"""The three patch formats of PATCH requests: JSON patch, JSON merge patch, strategic merge.

Pure. JSON patch (RFC 6902) goes through the ``jsonpatch`` library; merge patch is
RFC 7386; strategic merge patch merges lists by the keys in ``schema`` and honours
the ``$patch``, ``$retainKeys``, ``$setElementOrder/`` and ``$deleteFromPrimitiveList/``
directives that kubectl sends.
"""

from __future__ import annotations

import copy
from typing import Any, cast

import jsonpatch

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import schema

JSON = "application/json-patch+json"
MERGE = "application/merge-patch+json"
STRATEGIC = "application/strategic-merge-patch+json"
APPLY_YAML = "application/apply-patch+yaml"
APPLY_CBOR = "application/apply-patch+cbor"

_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def json_patch(target: dict[str, Any], operations: Any) -> dict[str, Any]:
    """Apply an RFC 6902 patch; raise Invalid when it does not apply."""
    if not isinstance(operations, list):
        raise cluster.BadRequest("a JSON patch must be a list of operations")
    try:
        result = jsonpatch.apply_patch(target, operations, in_place=False)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
        raise cluster.Invalid(f"the JSON patch did not apply: {exc}") from exc
    except (TypeError, KeyError, IndexError, ValueError) as exc:
        raise cluster.BadRequest(f"malformed JSON patch: {exc}") from exc
    if not isinstance(result, dict):
        raise cluster.Invalid("the JSON patch did not produce an object")
    return result


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 merge patch: maps merge, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: dict[str, Any], patch: Any, *, builtin: bool) -> dict[str, Any]:
    """Apply a strategic merge patch to an object."""
    if not isinstance(patch, dict):
        raise cluster.BadRequest("a strategic merge patch must be an object")
    result = _merge_map(target, patch, (), builtin)
    return result if isinstance(result, dict) else {}


def _is_directive(key: str) -> bool:
    return key.startswith("$")


def _merge_map(
    original: Any, patch: dict[str, Any], names: schema.Names, builtin: bool
) -> dict[str, Any] | None:
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return cast(dict[str, Any], _strip(patch))
    result = dict(original) if isinstance(original, dict) else {}
    if "$retainKeys" in patch:
        retained = set(patch["$retainKeys"] or ())
        result = {k: v for k, v in result.items() if k in retained}
    for key, value in patch.items():
        if _is_directive(key):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _merge_map(result.get(key), value, (*names, key), builtin)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, (*names, key), builtin)
        else:
            result[key] = value
    _apply_list_directives(result, patch, names, builtin)
    return result


def _apply_list_directives(
    result: dict[str, Any], patch: dict[str, Any], names: schema.Names, builtin: bool
) -> None:
    for key, value in patch.items():
        if key.startswith(_DELETE_PRIMITIVE):
            field = key[len(_DELETE_PRIMITIVE) :]
            drop = value or []
            result[field] = [v for v in result.get(field) or [] if v not in drop]
        elif key.startswith(_ORDER) and isinstance(result.get(key[len(_ORDER) :]), list):
            field = key[len(_ORDER) :]
            result[field] = _order(result[field], value or [], (*names, field), builtin)


def _order(items: list[Any], order: list[Any], names: schema.Names, builtin: bool) -> list[Any]:
    """Sort ``items`` as ``order`` lists them; items it does not name keep their place last."""
    keys = schema.list_keys(names, builtin=builtin)

    def identity(item: Any) -> Any:
        if keys and isinstance(item, dict):
            return tuple(item.get(k) for k in keys)
        return item

    rank = {repr(identity(o)): i for i, o in enumerate(order)}
    return sorted(items, key=lambda item: rank.get(repr(identity(item)), len(rank)))


def _merge_list(original: Any, patch: list[Any], names: schema.Names, builtin: bool) -> list[Any]:
    original = original if isinstance(original, list) else []
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [_strip(p) for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    if schema.is_set(names):
        return cast(list[Any], original) + [p for p in patch if p not in original]
    keys = schema.list_keys(names, builtin=builtin)
    if not keys:
        return [_strip(p) for p in patch]
    result = list(original)
    for item in patch:
        if not isinstance(item, dict):
            raise cluster.BadRequest(f"list {'.'.join(names)} merges by key; got {item!r}")
        index = _find(result, item, keys)
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(_strip(item))
        else:
            result[index] = _merge_map(result[index], item, names, builtin) or {}
    return result


def _find(items: list[Any], item: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    wanted = tuple(item.get(k) for k in keys)
    for index, candidate in enumerate(items):
        if isinstance(candidate, dict) and tuple(candidate.get(k) for k in keys) == wanted:
            return index
    return None


def _strip(value: Any) -> Any:
    """Return ``value`` without strategic-merge directives or nulls inside maps."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not _is_directive(k) and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value
