"""Fleet checks: the ones that need scheduling decisions (F4xx).

Pure. Run after placements are scheduled and works are rendered:

* F401 two works put the same object (group, kind, namespace, name) on one cluster,
  which makes OCM's agents fight over it forever;
* F402 (warning) a placement selects no cluster;
* F403 a rendered prescription is larger than OCM's ManifestWork limit (500 KiB);
* F404 two works of one cluster have the same name (a direct work and a
  ManifestWorkReplicaSet's, for instance).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitops_ocm import problems
from gitops_ocm.model.kinds import MANIFEST_LIMIT, group_of
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.problems import Finding, Problem, Severity
from gitops_ocm.render.works import Work


def _manifests(work: Work) -> list[Any]:
    workload = work.body.get("spec", {}).get("workload") or {}
    manifests = workload.get("manifests") if isinstance(workload, dict) else None
    return manifests if isinstance(manifests, list) else []


def _pointer(work: Work, index: int) -> str:
    base = "/spec" if work.source.kind == "ManifestWork" else "/spec/manifestWorkTemplate"
    return f"{base}/workload/manifests/{index}"


def _object_key(manifest: dict[str, Any]) -> tuple[str, str, str, str]:
    """Return (group, kind, namespace, name) of a manifest: what two works must not share."""
    meta = manifest.get("metadata") or {}
    return (
        group_of(str(manifest.get("apiVersion", ""))),
        str(manifest.get("kind", "")),
        str(meta.get("namespace", "") or ""),
        str(meta.get("name", "") or ""),
    )


def _may_clash(works: Sequence[Work]) -> bool:
    """Return whether two sources share a work name or an object and have a cluster in common.

    Works of one source share their manifests, so this looks at each body and
    each source once, and only a real overlap pays for :func:`claims`'s full scan.
    """
    clusters: dict[int, set[str]] = {}
    keys: dict[int, set[tuple[str, str, str, str]]] = {}
    names: dict[str, set[int]] = {}
    bodies: dict[int, list[tuple[str, str, str, str]]] = {}
    for work in works:
        source = id(work.source)
        clusters.setdefault(source, set()).add(work.cluster)
        names.setdefault(work.name, set()).add(source)
        found = bodies.get(id(work.body))
        if found is None:
            found = bodies[id(work.body)] = [
                _object_key(m) for m in _manifests(work) if isinstance(m, dict)
            ]
        keys.setdefault(source, set()).update(found)
    holders: dict[tuple[str, str, str, str], set[int]] = {}
    for source, held in keys.items():
        for key in held:
            holders.setdefault(key, set()).add(source)
    for group in (*names.values(), *holders.values()):
        if len(group) > 1:
            ordered = sorted(group)
            for i, first in enumerate(ordered):
                if any(clusters[first] & clusters[other] for other in ordered[i + 1 :]):
                    return True
    return False


def claims(snapshot: Snapshot, works: Sequence[Work]) -> Iterator[Problem]:
    """Yield F401 for objects claimed twice on a cluster, F404 for work names used twice."""
    if not _may_clash(works):
        return
    owners: dict[tuple[str, str, str, str, str], Work] = {}
    names: dict[tuple[str, str], Work] = {}
    reported: set[tuple[int, int, str]] = set()
    for work in works:
        first = names.setdefault((work.cluster, work.name), work)
        if first is not work and (id(first.source), id(work.source), "name") not in reported:
            reported.add((id(first.source), id(work.source), "name"))
            yield snapshot.locate(
                work.source.doc,
                Finding(
                    "F404",
                    "/metadata/name",
                    f"cluster {work.cluster} already has a work named {work.name!r} "
                    f"from {first.source.where}",
                    problems.describe(work.name),
                ),
            )
        for i, manifest in enumerate(_manifests(work)):
            if not isinstance(manifest, dict):
                continue
            key = (work.cluster, *_object_key(manifest))
            first = owners.setdefault(key, work)
            if first is work or first.source is work.source:
                continue
            mark = (id(first.source), id(work.source), "/".join(key[1:]))
            if mark in reported:
                continue
            reported.add(mark)
            yield snapshot.locate(
                work.source.doc,
                Finding(
                    "F401",
                    _pointer(work, i),
                    f"{key[2]} {'/'.join(k for k in key[3:] if k)} is also in work "
                    f"{first.name!r} ({first.source.where}) on cluster {work.cluster}; "
                    "the two would overwrite each other",
                ),
            )


def empty_placements(
    snapshot: Snapshot, decisions: Mapping[tuple[str, str], Sequence[str]]
) -> Iterator[Problem]:
    """Yield F402 for each placement that selects no cluster."""
    for obj in snapshot.of_kind("Placement"):
        if not decisions.get((obj.namespace, obj.name)):
            yield snapshot.locate(
                obj.doc,
                Finding(
                    "F402",
                    "/spec",
                    "the placement selects no cluster with the current inventory",
                    severity=Severity.WARNING,
                ),
            )


def sizes(
    snapshot: Snapshot, works: Sequence[Work], cluster_files: Mapping[str, Mapping[str, bytes]]
) -> Iterator[Problem]:
    """Yield F403 for each source whose rendered work is over the size limit."""
    seen: set[int] = set()
    for work in works:
        data = cluster_files.get(work.cluster, {}).get(f"manifestworks/{work.name}.yaml", b"")
        if len(data) > MANIFEST_LIMIT and id(work.source) not in seen:
            seen.add(id(work.source))
            yield snapshot.locate(
                work.source.doc,
                Finding(
                    "F403",
                    "/spec",
                    "the rendered ManifestWork is larger than OCM's limit of "
                    f"{MANIFEST_LIMIT} bytes",
                    f"{len(data)} bytes",
                ),
            )
