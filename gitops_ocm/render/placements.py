"""The ``placements/`` part of the hub tree: every Placement with status, and its decisions.

Pure. Only builds files: scheduling, settling and what each placement publishes
are :mod:`gitops_ocm.placement.settle`'s and :mod:`gitops_ocm.placement.publication`'s.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import rendercache, yamlout
from gitops_ocm.model import snapshot as snapshot_mod
from gitops_ocm.placement import decisions, history, inventory, publication, settle


def render_placements(
    snap: snapshot_mod.Snapshot,
    clusters: Sequence[inventory.ClusterInfo],
    previous: Mapping[str, bytes],
    now: datetime.datetime,
) -> dict[str, bytes]:
    """Return the ``placements/`` files of the hub tree."""
    results = settle.schedule_all(snap, clusters, previous, now)
    bodies = {(o.namespace, o.name): o.body for o in snap.of_kind("Placement")}
    return files(results, bodies)


def files(
    results: Mapping[tuple[str, str], publication.PlacementResult],
    bodies: Mapping[tuple[str, str], Mapping[str, Any]],
    cache: rendercache.RenderCache | None = None,
) -> dict[str, bytes]:
    """Serialize placements and their pages into hub-tree files (each content once per cache)."""
    out: dict[str, bytes] = {}
    for key in sorted(results):
        res = results[key]
        folder = f"placements/{res.namespace}/{res.name}"
        body = _placement(bodies.get(key, {}), res)
        out[f"{folder}/placement.yaml"] = _dump(body, cache)
        for page in res.pages:
            data = decisions.page_bytes(res.namespace, res.name, page)
            if cache is not None:
                entry = decisions.page_entry(res.namespace, res.name, page)
                history.remember_entry(cache, data, entry)
            out[f"{folder}/{page.name}.yaml"] = data
    return out


def _dump(body: dict[str, Any], cache: rendercache.RenderCache | None) -> bytes:
    """Serialize a body; with a cache, also tell the next pass's history what it reads."""
    if cache is None:
        return yamlout.dump(body)
    data = cache.dump(body)
    history.remember(cache, data, body)
    return data


def _placement(body: Mapping[str, Any], res: publication.PlacementResult) -> dict[str, Any]:
    metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    kept = {k: metadata[k] for k in ("labels", "annotations") if metadata.get(k)}
    out: dict[str, Any] = {
        "apiVersion": body.get("apiVersion", "cluster.open-cluster-management.io/v1beta1"),
        "kind": "Placement",
        "metadata": {"name": res.name, "namespace": res.namespace, **kept},
        "spec": body.get("spec") if isinstance(body.get("spec"), dict) else {},
    }
    if res.status:
        out["status"] = dict(res.status)
    return out
