"""ManagedClusters as accepted by the hub: ``clusters/<cluster>/cluster.yaml``.

Pure. Only clusters with ``spec.hubAcceptsClient: true`` are published (the hub
half of OCM's double opt-in), and of those only the ones not awaiting their
agent's key (:mod:`registration`); an agent whose cluster has no such file
receives nothing. Status is not part of a prescription: it comes back in reports.

Taints get their ``timeAdded`` as OCM's admission webhook gives it: kept from
the previous hub tree while the taint is unchanged, else the time of the pass
that first published it (the inventory has already worked that out), so
``tolerationSeconds`` counts from when a taint really appeared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import rendercache, timefmt
from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.placement import inventory
from gitops_ocm.render import common


def accepted(snapshot: Snapshot, awaiting: frozenset[str] = frozenset()) -> list[str]:
    """Return the names of the accepted clusters not ``awaiting`` their agent, sorted."""
    return sorted(
        o.name
        for o in snapshot.of_kind("ManagedCluster")
        if o.spec.get("hubAcceptsClient") is True and o.name not in awaiting
    )


def _stamped(spec: Mapping[str, Any], info: inventory.ClusterInfo | None) -> dict[str, Any]:
    """Return ``spec`` with every user taint carrying its timeAdded."""
    taints = spec.get("taints")
    if not isinstance(taints, list) or info is None:
        return dict(spec)
    times = {(t.key, t.value, t.effect): t.time_added for t in info.taints}
    out = []
    for taint in taints:
        if isinstance(taint, dict) and not taint.get("timeAdded"):
            key = (
                str(taint.get("key", "")),
                str(taint.get("value", "")),
                str(taint.get("effect", "")),
            )
            added = times.get(key)
            if added is not None:
                taint = {**taint, "timeAdded": timefmt.format_seconds(added)}
        out.append(taint)
    return {**spec, "taints": out}


def render(
    snapshot: Snapshot,
    clusters: Sequence[inventory.ClusterInfo] = (),
    cache: rendercache.RenderCache | None = None,
    awaiting: frozenset[str] = frozenset(),
) -> dict[str, bytes]:
    """Return ``clusters/<c>/cluster.yaml`` for every accepted cluster not ``awaiting``."""
    infos = {c.name: c for c in clusters}
    out: dict[str, bytes] = {}
    for obj in snapshot.of_kind("ManagedCluster"):
        if obj.spec.get("hubAcceptsClient") is not True or obj.name in awaiting:
            continue
        out[f"clusters/{obj.name}/cluster.yaml"] = render_one(obj, infos.get(obj.name), cache)
    return out


def render_one(
    obj: Obj, info: inventory.ClusterInfo | None, cache: rendercache.RenderCache | None = None
) -> bytes:
    """Return the ``cluster.yaml`` of one accepted ManagedCluster."""
    body = {
        "apiVersion": obj.api_version,
        "kind": "ManagedCluster",
        "metadata": common.trimmed_metadata(obj.metadata, namespace=False),
        "spec": _stamped(obj.spec, info),
    }
    return rendercache.dump_with(cache, body)
