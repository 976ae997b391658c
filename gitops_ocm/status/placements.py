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
from collections.abc import Set as AbstractSet
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.status import availability, hubindex, views
from gitops_ocm.status.cache import FoldCache

Shown = tuple[str, str, str]
"""A decided cluster as the rollup shows it: name, Available status, reason."""

API_VERSION = "cluster.open-cluster-management.io/v1beta1"


@dataclasses.dataclass(frozen=True)
class Rollup:
    """One placement, its decided clusters' availability and the counts.

    ``available`` are the decided clusters whose Available condition is True
    (sorted names); ``others`` the rest, each with its status and reason.
    """

    placement: hubindex.HubPlacement
    available: tuple[str, ...]
    others: tuple[Shown, ...]

    @property
    def path(self) -> str:
        """Its file in the status tree."""
        return f"placements/{self.placement.namespace}/{self.placement.name}.yaml"

    def counts(self) -> dict[str, int]:
        """selected, available (True), unavailable (False), unknown (anything else)."""
        return dict(self._counts)

    @functools.cached_property
    def _counts(self) -> dict[str, int]:
        available = len(self.available)
        unavailable = sum(1 for _name, status, _reason in self.others if status == "False")
        return {
            "selected": available + len(self.others),
            "available": available,
            "unavailable": unavailable,
            "unknown": len(self.others) - unavailable,
        }


def shown(found: views.Availability) -> tuple[str, str]:
    """What a rollup shows of a cluster's availability: status and reason."""
    return found.status, found.reason


NOT_REPORTED = shown(availability.no_report())


def rollup(placement: hubindex.HubPlacement, clusters: Mapping[str, views.ClusterState]) -> Rollup:
    """Join a placement's decisions with each cluster's availability."""
    available = []
    others = []
    for name in placement.clusters:
        state = clusters.get(name)
        status, reason = shown(state.availability) if state is not None else NOT_REPORTED
        if status == "True":
            available.append(name)
        else:
            others.append((name, status, reason))
    return Rollup(placement, tuple(available), tuple(others))


def rollup_of(
    placement: hubindex.HubPlacement,
    decided: AbstractSet[str],
    available: AbstractSet[str],
    unwell: Mapping[str, tuple[str, str]],
) -> Rollup:
    """:func:`rollup` from sets: ``decided`` (the placement's clusters), the clusters whose
    Available is True, and the shown (status, reason) of the other clusters with a state.

    Costs set operations plus work per decided cluster that is not available.
    """
    others = decided - available
    if not others:
        return Rollup(placement, placement.clusters, ())
    names = tuple(c for c in placement.clusters if c not in others)
    rest = tuple((c, *unwell.get(c, NOT_REPORTED)) for c in sorted(others))
    return Rollup(placement, names, rest)


def render(item: Rollup, cache: FoldCache | None = None) -> bytes:
    """Serialize a rollup (the incremental fold renders a placement only when it changed)."""
    del cache  # kept for callers of the one-shot fold
    return yamlout.dump(_body(item))


class Renderer:
    """:func:`render` at the cost of a join: the available names are written as lines.

    Keeps, across folds, which cluster names YAML writes plain and each
    placement's head (everything above ``clusters:``) by its ``placement.yaml``
    blob (the status is that file's). A head or a name that does not come out
    in the usual shape makes it fall back to :func:`render`.
    """

    def __init__(self) -> None:
        self._plain: set[str] = set()
        self._quoted: set[str] = set()

    def render(self, item: Rollup, cache: FoldCache) -> bytes:
        """The same bytes as :func:`render`."""
        placement = item.placement
        head = cache.get(
            "rollup-head",
            (placement.source, placement.namespace, placement.name),
            functools.partial(_head, placement),
        )
        if head is None or not self._all_plain(item.available):
            return render(item)
        return _compose(head, item)

    def _all_plain(self, names: Sequence[str]) -> bool:
        plain = self._plain
        if plain.issuperset(names):
            return True
        for name in names:
            if name not in plain and name not in self._quoted:
                if yamlout.dump({"name": name}) == f"name: {name}\n".encode():
                    plain.add(name)
                else:
                    self._quoted.add(name)
        return plain.issuperset(names)


def _head(placement: hubindex.HubPlacement) -> bytes | None:
    """The file above ``clusters:``, or None if the file does not split there.

    A probe with an available name and a name that must be quoted checks that
    the whole file is the head followed by what :func:`_compose` writes.
    """
    body = _body(Rollup(placement, (), ()))
    del body["clusters"], body["summary"]
    head = yamlout.dump(body)
    probe = Rollup(placement, ("a",), (("true", "False", "x"),))
    return head if render(probe) == _compose(head, probe) else None


def _compose(head: bytes, item: Rollup) -> bytes:
    """The file from its head, the available names (plain scalars) as lines and the rest."""
    tail = _tail(item)
    if not item.available:
        return head + tail
    lines = "\n  - ".join(item.available)
    middle = f"clusters:\n  available:\n  - {lines}\n".encode()
    if tail.startswith(b"clusters:\n"):
        tail = tail[len(b"clusters:\n") :]
    else:  # clusters: {} (nothing but available ones)
        tail = tail[tail.index(b"\n") + 1 :]
    return head + middle + tail


def _tail(item: Rollup) -> bytes:
    """``clusters:`` without the available names, and ``summary:``."""
    grouped = _grouped((), item.others)
    return yamlout.dump({"clusters": grouped, "summary": item.counts()})


def _body(item: Rollup) -> dict[str, Any]:
    placement = item.placement
    return {
        "apiVersion": API_VERSION,
        "kind": "Placement",
        "metadata": {"name": placement.name, "namespace": placement.namespace},
        "status": dict(placement.status),
        "clusters": _grouped(item.available, item.others),
        "summary": item.counts(),
    }


def _grouped(available: Sequence[str], others: Sequence[Shown]) -> dict[str, list[Any]]:
    """Available clusters by name; the others with reason and built-in taint."""
    out: dict[str, list[Any]] = {"available": list(available), "unavailable": [], "unknown": []}
    for name, status, reason in others:
        entry = {"name": name, "reason": reason}
        entry["taint"] = availability.taint(status) or ""
        out["unavailable" if status == "False" else "unknown"].append(entry)
    return {key: value for key, value in out.items() if value}
