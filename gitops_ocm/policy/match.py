"""OCM's merge-and-compare algorithm for ConfigurationPolicy values.

Pure. A template value "matches" a live value when merging the template into the
live value gives back something equivalent to the live value. Under ``musthave``
maps merge recursively (extra live keys are fine) and lists merge item by item:
a template item is satisfied by a live item that contains it, or by a live map
item with the same non-empty ``name`` (then the two are merged, template fields
winning, so a same-named item with a differing field does *not* match). Live items
nobody claimed are kept, duplicates included. Under ``mustonlyhave`` the template
value is used as it is, so it must equal the live value exactly. Lists are always
compared order-insensitively; scalar strings that are Kubernetes quantities compare
by value (``1Gi`` equals ``1024Mi``). This follows config-policy-controller's
``mergeSpecs``/``mergeArrays``/``checkFieldsAreEquivalent``; see docs/policy.md.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from gitops_ocm.model import quantity
from gitops_ocm.policy import values

MUSTHAVE = "musthave"
MUSTONLYHAVE = "mustonlyhave"
MUSTNOTHAVE = "mustnothave"
_MISSING: Any = object()


def merge(template: Any, live: Any, compliance_type: str, *, lenient: bool = False) -> Any:
    """Return ``template`` merged into ``live`` (mustonlyhave: the template as it is).

    ``lenient`` treats omitted fields as their zero value inside list items, as OCM
    does when it searches for objects matching an unnamed template.
    """
    if compliance_type.lower() == MUSTONLYHAVE:
        return copy.deepcopy(template)
    return _merge(copy.deepcopy(template), live, lenient=lenient)


def matches(template: Any, live: Any, compliance_type: str) -> tuple[bool, str]:
    """Return whether ``live`` satisfies ``template``, and where they differ if not."""
    merged = merge(template, live, compliance_type)
    if equivalent(merged, live):
        return True, ""
    return False, explain(merged, live)


def equivalent(merged: Any, live: Any, *, lenient: bool = False) -> bool:
    """Return True when a merged value is equivalent to the live value (lists unordered)."""
    if isinstance(merged, dict):
        return isinstance(live, dict) and fields_equivalent(merged, live, lenient=lenient)
    if isinstance(merged, list):
        if not merged and live is None:
            return True
        return isinstance(live, list) and lists_equivalent(merged, live)
    if lenient and live is None and merged is not None:
        return values.is_zero(merged)
    if lenient and merged is None and live is not None:
        return values.is_zero(live)
    return values.sprint(merged) == values.sprint(live)


def fields_equivalent(merged: dict[str, Any], live: dict[str, Any], *, lenient: bool) -> bool:
    """Return True when every key of ``merged`` is equivalent in ``live`` (and none extra)."""
    if len(merged) < len(live):
        return False
    return all(
        _field_equivalent(value, live.get(key, _MISSING), lenient) for key, value in merged.items()
    )


def lists_equivalent(merged: list[Any], live: list[Any]) -> bool:
    """Return True when both lists hold equivalent items, in any order."""
    if len(merged) != len(live):
        return False
    left = sorted(merged, key=values.sort_key)
    right = sorted(live, key=values.sort_key)
    if all(_item_equivalent(m, o) for m, o in zip(left, right, strict=True)):
        return True
    return _greedy_pairing(left, right)


def explain(merged: Any, live: Any, path: str = "") -> str:
    """Return a short description of the first place where ``merged`` and ``live`` differ."""
    if isinstance(merged, dict) and isinstance(live, dict):
        for key in sorted(merged):
            if not _field_equivalent(merged[key], live.get(key, _MISSING), False):
                return explain(merged[key], live.get(key), f"{path}.{key}" if path else key)
        extra = sorted(set(live) - set(merged))
        if extra:
            return f"{path or '.'}: unexpected keys {', '.join(extra)}"
    got = "nothing" if live is None else _short(live)
    return f"{path or '.'}: want {_short(merged)}, got {got}"


def merge_lists(desired: list[Any], existing: list[Any], *, lenient: bool = False) -> list[Any]:
    """Return the musthave merge of a template list into a live list (OCM ``mergeArrays``)."""
    result = list(desired)
    claimed = [False] * len(desired)
    counts = Counter(values.sprint(item) for item in existing)
    firsts: dict[str, Any] = {}
    for item in existing:
        firsts.setdefault(values.sprint(item), item)
    for key, live_item in firsts.items():
        found = _claim(desired, live_item, counts[key], claimed, result, lenient)
        result.extend(copy.deepcopy(live_item) for _ in range(counts[key] - found))
    return result


def _claim(
    desired: list[Any],
    live_item: Any,
    wanted: int,
    claimed: list[bool],
    result: list[Any],
    lenient: bool,
) -> int:
    """Let unclaimed template items claim ``live_item`` up to ``wanted`` times.

    Template items equal to the live item claim it first, then subsets and
    same-named items: otherwise a loose item (``{}`` matches anything) could take
    a live item that an exact one needed, leaving the exact one unmatched.
    """
    found = 0
    key = values.sprint(live_item)
    exact = [i for i, item in enumerate(desired) if values.sprint(item) == key]
    rest = [i for i in range(len(desired)) if values.sprint(desired[i]) != key]
    for index in exact + rest:
        if found == wanted:
            break
        if claimed[index]:
            continue
        merged, same_name = _merge_item(desired[index], live_item, lenient)
        if same_name or equivalent(merged, live_item, lenient=lenient):
            found += 1
            result[index] = merged
            claimed[index] = True
    return found


def _merge_item(template_item: Any, live_item: Any, lenient: bool) -> tuple[Any, bool]:
    if not (isinstance(template_item, dict) and isinstance(live_item, dict)):
        return template_item, False
    name = live_item.get("name")
    same = isinstance(name, str) and name != "" and template_item.get("name") == name
    return _merge(copy.deepcopy(template_item), live_item, lenient=lenient), same


def _merge(template: Any, live: Any, *, lenient: bool) -> Any:
    if isinstance(template, dict):
        if not isinstance(live, dict):
            return template
        merged = {
            k: (_merge(template[k], v, lenient=lenient) if k in template else v)
            for k, v in live.items()
        }
        merged.update({k: v for k, v in template.items() if k not in live})
        return merged
    if isinstance(template, list):
        if isinstance(live, list) and live:
            return merge_lists(template, live, lenient=lenient)
        return template
    if template is None and isinstance(live, dict):
        return live
    return template


def _field_equivalent(merged: Any, live: Any, lenient: bool) -> bool:
    """Compare one map field the way ``checkFieldsAreEquivalent`` does."""
    if isinstance(merged, dict):
        if not isinstance(live, dict):
            return lenient and not merged
        return fields_equivalent(merged, live, lenient=lenient)
    if isinstance(merged, list):
        if not isinstance(live, list):
            return not merged
        return lists_equivalent(merged, live)
    if isinstance(merged, str):
        return _string_equivalent(merged, live)
    if live is _MISSING or live is None:
        return merged is None or values.is_zero(merged)
    return values.sprint(merged) == values.sprint(live)


def _string_equivalent(merged: str, live: Any) -> bool:
    if live is _MISSING:
        return False
    if values.sprint(live) == merged:
        return True
    wanted = quantity.exact(merged)
    if wanted is None or isinstance(live, bool) or not isinstance(live, str | int | float):
        return False
    return quantity.exact(values.sprint(live)) == wanted


def _item_equivalent(merged: Any, live: Any) -> bool:
    if isinstance(live, dict):
        return isinstance(merged, dict) and fields_equivalent(merged, live, lenient=True)
    return values.sprint(merged) == values.sprint(live)


def _greedy_pairing(merged: list[Any], live: list[Any]) -> bool:
    """Pair items regardless of sort position (quantities or zero values can reorder them)."""
    unused = list(range(len(live)))
    for item in merged:
        partner = next((i for i in unused if _item_equivalent(item, live[i])), None)
        if partner is None:
            return False
        unused.remove(partner)
    return True


def _short(value: Any) -> str:
    text = values.sprint(value)
    return text if len(text) <= 120 else text[:117] + "..."
