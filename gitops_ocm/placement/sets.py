"""ManagedClusterSets, their bindings, and which clusters a placement may see.

Pure. Follows OCM: a placement sees the members of the sets bound in its own
namespace (a binding counts when a set named like the binding exists),
intersected with ``spec.clusterSets`` when that is not empty. Membership is by
the exclusive ``cluster.open-cluster-management.io/clusterset`` label or by a
label selector. The built-in sets always exist: ``default`` (exclusive label;
clusters without the label carry ``default``, see :mod:`inventory`) and
``global`` (empty selector: every cluster). As in OCM, edits to a built-in set
count only with the annotation ``cluster.open-cluster-management.io/autoupdate: "false"``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from gitops_ocm.model import snapshot as snapshot_mod
from gitops_ocm.placement import fleet, selectors

CLUSTERSET_LABEL = "cluster.open-cluster-management.io/clusterset"
AUTOUPDATE = "cluster.open-cluster-management.io/autoupdate"
_BUILT_IN: dict[str, Mapping[str, Any]] = {
    "default": {"selectorType": "ExclusiveClusterSetLabel"},
    "global": {"selectorType": "LabelSelector", "labelSelector": {}},
}


@dataclasses.dataclass(frozen=True)
class Catalog:
    """Every cluster set (name to clusterSelector) and the bound set names per namespace."""

    sets: Mapping[str, Mapping[str, Any]]
    bindings: Mapping[str, tuple[str, ...]]


@dataclasses.dataclass(frozen=True)
class Scope:
    """The cluster sets a placement may use and their member clusters."""

    bindings: tuple[str, ...]
    eligible: tuple[str, ...]
    candidates: int


def catalog(snap: snapshot_mod.Snapshot) -> Catalog:
    """Collect sets (built-ins included) and bindings from the desired state."""
    sets: dict[str, Mapping[str, Any]] = dict(_BUILT_IN)
    for obj in snap.of_kind("ManagedClusterSet"):
        if obj.name in _BUILT_IN and obj.metadata.get("annotations", {}).get(AUTOUPDATE) != "false":
            continue
        selector = obj.spec.get("clusterSelector")
        sets[obj.name] = selector if isinstance(selector, dict) else {}
    bindings: dict[str, set[str]] = {}
    for obj in snap.of_kind("ManagedClusterSetBinding"):
        bindings.setdefault(obj.namespace, set()).add(obj.name)
    return Catalog(sets, {ns: tuple(sorted(names)) for ns, names in bindings.items()})


def scope(cat: Catalog, namespace: str, wanted: tuple[str, ...], everyone: fleet.Fleet) -> Scope:
    """Return the valid bindings, eligible sets and candidate clusters for one placement."""
    valid = tuple(n for n in cat.bindings.get(namespace, ()) if n in cat.sets)
    eligible = tuple(sorted(set(valid) & set(wanted))) if wanted else valid
    candidates = 0
    for name in eligible:
        candidates |= members(name, cat.sets[name], everyone)
    return Scope(valid, eligible, candidates)


def members(name: str, selector: Mapping[str, Any], everyone: fleet.Fleet) -> int:
    """Return the bitmap of a set's members (an invalid selector selects nobody)."""
    kind = selector.get("selectorType") or "ExclusiveClusterSetLabel"
    if kind == "ExclusiveClusterSetLabel":
        return everyone.labels.pair(CLUSTERSET_LABEL, name)
    if kind != "LabelSelector":
        return 0
    label_selector = selector.get("labelSelector")
    if label_selector is None:
        label_selector = {}
    if not isinstance(label_selector, dict) or selectors.problem(label_selector):
        return 0
    return selectors.select(label_selector, everyone.labels, everyone.all)
