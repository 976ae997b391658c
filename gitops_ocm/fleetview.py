"""Tables of the fleet read from an ``ocm/status`` tree, for ``gitops-ocm status``.

Pure: takes the status tree as a mapping of paths to bytes (read lazily by the
caller) and returns rows of plain strings. Layout (docs/architecture.md):
``clusters/<c>/{cluster,lease}.yaml``, ``clusters/<c>/manifestworks/<w>.yaml``,
``clusters/<c>/policies/<ns>.<name>.yaml``,
``clusters/<c>/addonplacementscores/<name>.yaml``, ``placements/<ns>/<name>.yaml``,
``policies/<ns>/<name>.yaml`` and ``controller.yaml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_ocm.model import yamlout

Row = dict[str, str]
AVAILABLE = "ManagedClusterConditionAvailable"


def _load(tree: Mapping[str, bytes], path: str) -> dict[str, Any]:
    return yamlout.load_mapping(tree.get(path))


def _condition(body: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    for cond in (body.get("status") or {}).get("conditions") or []:
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return {}


def clusters_in(tree: Mapping[str, bytes]) -> list[str]:
    """Return the clusters that have a folder in the status tree, sorted."""
    return sorted(_index(tree))


def _index(tree: Mapping[str, bytes]) -> dict[str, dict[str, list[str]]]:
    """Index the report files of every cluster by folder, in one scan of the tree.

    ``tree`` is read-only for the life of a view, so the index is kept on the
    mapping's identity; a status tree of 10,000 clusters is scanned once, not
    once per cluster.
    """
    cached = _INDEXES.get(id(tree))
    if cached is not None and cached[0] is tree:
        return cached[1]
    index: dict[str, dict[str, list[str]]] = {}
    for path in sorted(tree):
        parts = path.split("/")
        if parts[0] != "clusters" or len(parts) < 3:
            continue
        folders = index.setdefault(parts[1], {})
        if len(parts) == 4 and parts[3].endswith(".yaml"):
            folders.setdefault(parts[2], []).append(path)
    _INDEXES.clear()
    _INDEXES[id(tree)] = (tree, index)
    return index


_INDEXES: dict[int, tuple[Mapping[str, bytes], dict[str, dict[str, list[str]]]]] = {}


def _files(tree: Mapping[str, bytes], cluster: str, folder: str) -> list[str]:
    return _index(tree).get(cluster, {}).get(folder, [])


def work_state(body: Mapping[str, Any]) -> Row:
    """Return the work-level condition statuses of a reported ManifestWork."""
    row = {}
    for kind in ("Applied", "Available", "Progressing", "Degraded"):
        row[kind] = str(_condition(body, kind).get("status", "-"))
    return row


def cluster_rows(tree: Mapping[str, bytes]) -> list[Row]:
    """One row per cluster: availability, last heartbeat, work and policy counts."""
    rows = []
    for cluster in clusters_in(tree):
        report = _load(tree, f"clusters/{cluster}/cluster.yaml")
        lease = _load(tree, f"clusters/{cluster}/lease.yaml")
        available = _condition(report, AVAILABLE)
        works = [work_state(_load(tree, p)) for p in _files(tree, cluster, "manifestworks")]
        policies = [
            str((_load(tree, p).get("status") or {}).get("compliant") or "Pending")
            for p in _files(tree, cluster, "policies")
        ]
        rows.append(
            {
                "CLUSTER": cluster,
                "AVAILABLE": str(available.get("status", "Unknown")),
                "REASON": str(available.get("reason", "no report")),
                "LAST REPORT": str((lease.get("spec") or {}).get("renewTime", "-")),
                "WORKS": str(len(works)),
                "APPLIED": str(sum(w["Applied"] == "True" for w in works)),
                "AVAILABLE WORKS": str(sum(w["Available"] == "True" for w in works)),
                "DEGRADED": str(sum(w["Degraded"] == "True" for w in works)),
                "POLICIES": _compliance(policies),
            }
        )
    return rows


def _compliance(states: list[str]) -> str:
    if not states:
        return "-"
    bad = sum(s == "NonCompliant" for s in states)
    pending = sum(s == "Pending" for s in states)
    return f"{len(states) - bad - pending}/{len(states)} compliant" + (
        f", {bad} noncompliant" if bad else ""
    )


def cluster_detail(tree: Mapping[str, bytes], cluster: str) -> dict[str, Any]:
    """Everything reported for one cluster."""
    report = _load(tree, f"clusters/{cluster}/cluster.yaml")
    status = report.get("status") or {}
    works = {
        p.rsplit("/", 1)[1][:-5]: work_state(_load(tree, p))
        for p in _files(tree, cluster, "manifestworks")
    }
    policies = {
        p.rsplit("/", 1)[1][:-5]: str(
            (_load(tree, p).get("status") or {}).get("compliant") or "Pending"
        )
        for p in _files(tree, cluster, "policies")
    }
    return {
        "cluster": cluster,
        "conditions": [
            {k: str(c.get(k, "")) for k in ("type", "status", "reason", "message")}
            for c in status.get("conditions") or []
            if isinstance(c, dict)
        ],
        "version": str((status.get("version") or {}).get("kubernetes", "")),
        "clusterClaims": {
            str(c.get("name")): str(c.get("value"))
            for c in status.get("clusterClaims") or []
            if isinstance(c, dict)
        },
        "allocatable": status.get("allocatable") or {},
        "capacity": status.get("capacity") or {},
        "lease": (_load(tree, f"clusters/{cluster}/lease.yaml").get("spec") or {}),
        "addOnPlacementScores": _scores(tree, cluster),
        "works": works,
        "policies": policies,
    }


def _scores(tree: Mapping[str, bytes], cluster: str) -> dict[str, Any]:
    """The reported AddOnPlacementScores: ``{name: {scores: {name: value}, validUntil}}``."""
    out: dict[str, Any] = {}
    for path in _files(tree, cluster, "addonplacementscores"):
        status = _load(tree, path).get("status") or {}
        out[path.rsplit("/", 1)[1][:-5]] = {
            "scores": {
                str(s.get("name")): s.get("value")
                for s in status.get("scores") or []
                if isinstance(s, dict)
            },
            "validUntil": str(status.get("validUntil") or "-"),
        }
    return out


def work_rows(tree: Mapping[str, bytes], name: str, *, exact: bool = False) -> list[Row]:
    """One work across clusters, by name (unless ``exact``, also by its replica set's name)."""
    rows = []
    for cluster in clusters_in(tree):
        for path in _files(tree, cluster, "manifestworks"):
            work = path.rsplit("/", 1)[1][:-5]
            if work != name and (exact or work.rpartition("-")[0] != name):
                continue
            body = _load(tree, path)
            feedback = []
            for manifest in ((body.get("status") or {}).get("resourceStatus") or {}).get(
                "manifests"
            ) or []:
                for value in (manifest.get("statusFeedback") or {}).get("values") or []:
                    field = value.get("fieldValue") or {}
                    shown = next((str(v) for k, v in field.items() if k != "type"), "")
                    feedback.append(f"{value.get('name')}={shown}")
            rows.append({"CLUSTER": cluster, "WORK": work, **work_state(body),
                         "FEEDBACK": " ".join(feedback) or "-"})  # fmt: skip
    return rows


def placement_detail(tree: Mapping[str, bytes], namespace: str, name: str) -> dict[str, Any]:
    """A placement's rollup as folded into the status tree."""
    return _load(tree, f"placements/{namespace}/{name}.yaml")


def policy_detail(tree: Mapping[str, bytes], namespace: str, name: str) -> dict[str, Any]:
    """A root policy's compliance per cluster: the rollup if folded, else from the reports."""
    rollup = _load(tree, f"policies/{namespace}/{name}.yaml")
    if rollup:
        return rollup
    replica = f"{namespace}.{name}"
    per_cluster = []
    for cluster in clusters_in(tree):
        body = _load(tree, f"clusters/{cluster}/policies/{replica}.yaml")
        if body:
            compliant = str((body.get("status") or {}).get("compliant") or "Pending")
            per_cluster.append({"clustername": cluster, "compliant": compliant})
    return {"metadata": {"name": name, "namespace": namespace}, "status": {"status": per_cluster}}


def controller_summary(tree: Mapping[str, bytes]) -> str:
    """One line on the source: valid or not, and which commit is in force."""
    body = _load(tree, "controller.yaml")
    status = body.get("status") or {}
    cond = _condition(body, "SourceValid")
    if not cond:
        return "controller: no report yet"
    state = "valid" if cond.get("status") == "True" else "INVALID"
    reconciled = str(status.get("lastReconciledCommit") or "-")[:12]
    return f"source {str(status.get('sourceCommit', ''))[:12]} {state}; in force: {reconciled}"


def table(rows: list[Row]) -> str:
    """Render rows as an aligned text table."""
    if not rows:
        return "(nothing)"
    headers = list(rows[0])
    widths = {h: max(len(h), *(len(r.get(h, "")) for r in rows)) for h in headers}
    lines = ["  ".join(h.ljust(widths[h]) for h in headers).rstrip()]
    for row in rows:
        lines.append("  ".join(row.get(h, "").ljust(widths[h]) for h in headers).rstrip())
    return "\n".join(lines)
