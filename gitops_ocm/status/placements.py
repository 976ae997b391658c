"""``placements/<ns>/<name>.yaml`` on ``ocm/status``: a Placement's status and its clusters' health.

Pure. The Placement object carries the status the controller computed (from
the hub tree's ``placement.yaml``), and two readable additions outside OCM's
schema: ``clusters``, the decided clusters grouped by availability
(``available`` names only; ``unavailable`` and ``unknown`` with the reason and
the built-in taint OCM sets, which the scheduler honours), and ``summary``, the
counts. Names-only for the healthy keeps a 10,000-cluster placement readable
and quick to write. Nothing here
depends on the time of the fold, only on reports and the hub tree.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.status import availability, hubindex, views
from gitops_ocm.status.cache import FoldCache

Shown = tuple[str, str, str]
"""A decided cluster as the rollup shows it: name, Available status, reason."""

API_VERSION = "cluster.open-cluster-management.io/v1beta1"


@dataclasses.dataclass(frozen=True)
class Rollup:
    """One placement, its decided clusters' availability and the counts."""

    placement: hubindex.HubPlacement
    clusters: tuple[Shown, ...]

    @property
    def path(self) -> str:
        """Its file in the status tree."""
        return f"placements/{self.placement.namespace}/{self.placement.name}.yaml"

    def counts(self) -> dict[str, int]:
        """selected, available (True), unavailable (False), unknown (anything else)."""
        return dict(self._counts)

    @functools.cached_property
    def _counts(self) -> dict[str, int]:
        statuses = [status for _name, status, _reason in self.clusters]
        available = statuses.count("True")
        unavailable = statuses.count("False")
        return {
            "selected": len(statuses),
            "available": available,
            "unavailable": unavailable,
            "unknown": len(statuses) - available - unavailable,
        }


def shown(found: views.Availability) -> tuple[str, str]:
    """What a rollup shows of a cluster's availability: status and reason."""
    return found.status, found.reason


NOT_REPORTED = shown(availability.no_report())


def rollup(placement: hubindex.HubPlacement, clusters: Mapping[str, views.ClusterState]) -> Rollup:
    """Join a placement's decisions with each cluster's availability."""
    entries = []
    for name in placement.clusters:
        state = clusters.get(name)
        status, reason = shown(state.availability) if state is not None else NOT_REPORTED
        entries.append((name, status, reason))
    return Rollup(placement, tuple(entries))


def render(item: Rollup, cache: FoldCache | None = None) -> bytes:
    """Serialize a rollup (the incremental fold renders a placement only when it changed)."""
    del cache  # kept for callers of the one-shot fold
    return yamlout.dump(_body(item))


def _body(item: Rollup) -> dict[str, Any]:
    placement = item.placement
    return {
        "apiVersion": API_VERSION,
        "kind": "Placement",
        "metadata": {"name": placement.name, "namespace": placement.namespace},
        "status": dict(placement.status),
        "clusters": _grouped(item.clusters),
        "summary": item.counts(),
    }


def _grouped(clusters: Sequence[Shown]) -> dict[str, list[Any]]:
    """Available clusters by name; the others with reason and built-in taint."""
    out: dict[str, list[Any]] = {"available": [], "unavailable": [], "unknown": []}
    for name, status, reason in clusters:
        if status == "True":
            out["available"].append(name)
            continue
        entry = {"name": name, "reason": reason}
        entry["taint"] = availability.taint(status) or ""
        out["unavailable" if status == "False" else "unknown"].append(entry)
    return {key: value for key, value in out.items() if value}
