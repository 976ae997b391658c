"""The ManagedCluster status and the Lease an agent reports, from what it read.

Pure; the time is a parameter. Follows OCM's registration agent:
``ManagedClusterJoined`` is set once the hub has accepted the cluster and never
taken back; ``ManagedClusterConditionAvailable`` is True when the cluster's API
answers, False otherwise (then capacity, claims and version keep their last
values); capacity sums every node, allocatable only schedulable ones; claims
come from ClusterClaim objects, reserved names first, at most 20 custom ones,
sorted, and none labelled spoke-only. AddOnPlacementScores found on the cluster
are reported one file each, by name, with their ``scores`` and ``validUntil``.
``HubVerified`` says whether the last ``ocm/hub`` tip verified with the
pinned hub key (:mod:`.hubtrust`). The Lease is renewed when ``now`` reaches
``renewTime + leaseDurationSeconds``.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from fractions import Fraction

from gitops_ocm.model import quantity, timefmt
from gitops_ocm.model.body import Body
from gitops_ocm.work import conditions

RESERVED_CLAIMS = (
    "id.k8s.io",
    "kubeversion.open-cluster-management.io",
    "platform.open-cluster-management.io",
    "product.open-cluster-management.io",
)
MAX_CUSTOM_CLAIMS = 20
SPOKE_ONLY = "open-cluster-management.io/spoke-only"
DEFAULT_LEASE_SECONDS = 60
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}


def parse_quantity(text: str) -> tuple[Fraction, bool] | None:
    """Return (exact value, uses a binary suffix) of a Kubernetes quantity, None if invalid."""
    found = quantity.parse(str(text).strip())
    return None if found is None else (found.exact(), found.binary)


def format_quantity(value: Fraction, binary: bool) -> str:
    """Format a sum canonically: binary suffixes if the inputs used them, else decimal."""
    if value.denominator != 1:
        milli = value * 1000
        return f"{int(milli)}m" if milli.denominator == 1 else str(float(value))
    number = int(value)
    table = sorted(_BINARY.items(), key=lambda kv: -kv[1]) if binary else []
    for suffix, power in table:
        if number and number % (2**power) == 0:
            return f"{number // 2**power}{suffix}"
    return str(number)


def sum_resources(nodes: Sequence[Body], field: str, *, schedulable_only: bool) -> dict[str, str]:
    """Sum ``status.<field>`` over nodes (skipping unschedulable ones when asked)."""
    totals: dict[str, Fraction] = {}
    binary: dict[str, bool] = {}
    for node in nodes:
        if schedulable_only and (node.get("spec") or {}).get("unschedulable") is True:
            continue
        for name, text in ((node.get("status") or {}).get(field) or {}).items():
            parsed = parse_quantity(str(text))
            if parsed is None:
                continue
            totals[name] = totals.get(name, Fraction(0)) + parsed[0]
            binary[name] = binary.get(name, True) and parsed[1]
    return {name: format_quantity(totals[name], binary[name]) for name in sorted(totals)}


KUBEVERSION_CLAIM = "kubeversion.open-cluster-management.io"


def cluster_claims(claims: Sequence[Body], version: str = "") -> list[Body]:
    """The ``clusterClaims`` list: reserved names first, then at most 20 custom, sorted.

    OCM's agent fills the reserved ``kubeversion.open-cluster-management.io`` claim
    itself from the server's version; so does this one, unless a ClusterClaim
    object of that name says otherwise.
    """
    if version and not any(
        (c.get("metadata") or {}).get("name") == KUBEVERSION_CLAIM for c in claims
    ):
        claims = [*claims, {"metadata": {"name": KUBEVERSION_CLAIM}, "spec": {"value": version}}]
    reserved: list[Body] = []
    custom: list[Body] = []
    for claim in claims:
        meta = claim.get("metadata") or {}
        if SPOKE_ONLY in (meta.get("labels") or {}):
            continue
        entry = {
            "name": str(meta.get("name", "")),
            "value": str((claim.get("spec") or {}).get("value", "")),
        }
        (reserved if entry["name"] in RESERVED_CLAIMS else custom).append(entry)
    reserved.sort(key=lambda e: RESERVED_CLAIMS.index(e["name"]))
    custom.sort(key=lambda e: e["name"])
    return reserved + custom[:MAX_CUSTOM_CLAIMS]


SCORES_FOLDER = "addonplacementscores"
HUB_VERIFIED = "HubVerified"


def addon_scores(found: Sequence[Body]) -> dict[str, Body]:
    """The AddOnPlacementScore report files: ``addonplacementscores/<name>.yaml`` each.

    On the hub OCM keeps them in the cluster's namespace, where names are unique;
    on a managed cluster one name may exist in several namespaces, and then the
    first namespace in sorted order is reported. Only ``status.scores`` (entries
    with a string name and an integer value) and ``status.validUntil`` are kept:
    what the AddOn prioritizer and ``scores()`` read.
    """
    out: dict[str, Body] = {}
    ordered = sorted(found, key=lambda o: _meta(o, "namespace") + "/" + _meta(o, "name"))
    for obj in ordered:
        name = _meta(obj, "name")
        if not name or f"{SCORES_FOLDER}/{name}.yaml" in out:
            continue
        found_status = obj.get("status")
        status: Body = found_status if isinstance(found_status, dict) else {}
        scores = [
            {"name": s["name"], "value": s["value"]}
            for s in status.get("scores") or []
            if isinstance(s, dict)
            and isinstance(s.get("name"), str)
            and isinstance(s.get("value"), int)
            and not isinstance(s.get("value"), bool)
        ]
        body: Body = {"scores": sorted(scores, key=lambda s: str(s["name"]))}
        if isinstance(status.get("validUntil"), str):
            body["validUntil"] = status["validUntil"]
        out[f"{SCORES_FOLDER}/{name}.yaml"] = {
            "apiVersion": "cluster.open-cluster-management.io/v1alpha1",
            "kind": "AddOnPlacementScore",
            "metadata": {"name": name},
            "status": body,
        }
    return out


def _meta(obj: Body, field: str) -> str:
    meta = obj.get("metadata")
    value = meta.get(field) if isinstance(meta, dict) else None
    return value if isinstance(value, str) else ""


def cluster_report(
    name: str,
    *,
    accepted: bool,
    healthy: bool,
    error: str,
    observed: Body,
    previous: Body | None,
    now: str,
    hub: Body | None = None,
) -> Body:
    """The ManagedCluster report; ``observed``: clusterClaims, allocatable, capacity, version.

    ``hub`` is the ``HubVerified`` condition of this pass's hub tip; None (no tip
    was judged: Git unreachable, no hub branch) keeps the last one reported.
    """
    before = (previous or {}).get("status") or {}
    old_conditions = list(before.get("conditions") or [])
    current = []
    joined = any(c.get("type") == "ManagedClusterJoined" for c in old_conditions)
    if accepted or joined:
        message = "Managed cluster joined"
        current.append(
            conditions.new("ManagedClusterJoined", "True", "ManagedClusterJoined", message, 0)
        )
    if healthy:
        current.append(
            conditions.new(
                "ManagedClusterConditionAvailable",
                "True",
                "ManagedClusterAvailable",
                "Managed cluster is available",
                0,
            )
        )
    else:
        current.append(
            conditions.new(
                "ManagedClusterConditionAvailable",
                "False",
                "ManagedClusterKubeAPIServerUnavailable",
                error,
                0,
            )
        )
    for condition in current:
        condition.pop("observedGeneration")
    kept = [c for c in old_conditions if isinstance(c, dict) and c.get("type") == HUB_VERIFIED]
    hub_condition = hub if hub is not None else (kept[0] if kept else None)
    if hub_condition is not None:
        current.append({k: v for k, v in hub_condition.items() if k != "lastTransitionTime"})
    status: Body = {"conditions": conditions.stamp(old_conditions, current, now)}
    source = observed if healthy else before
    for key in ("clusterClaims", "allocatable", "capacity", "version"):
        if source.get(key):
            status[key] = source[key]
    return {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": {"name": name},
        "status": status,
    }


def format_micro(now: datetime.datetime) -> str:
    """RFC 3339 with microseconds, as a Lease's renewTime (:func:`timefmt.format_micro`)."""
    return timefmt.format_micro(now)


def lease_seconds(cluster_spec: Body | None) -> int:
    """leaseDurationSeconds from the accepted ManagedCluster (0 or absent: 60)."""
    value = (cluster_spec or {}).get("leaseDurationSeconds")
    return value if isinstance(value, int) and value > 0 else DEFAULT_LEASE_SECONDS


def lease(
    cluster: str, previous: Body | None, seconds: int, now: datetime.datetime
) -> tuple[Body, bool]:
    """Return the Lease to report and whether it was renewed in this pass."""
    spec = (previous or {}).get("spec") or {}
    renewed = timefmt.parse(spec.get("renewTime"))
    due = (
        renewed is None
        or spec.get("leaseDurationSeconds") != seconds
        or now >= renewed + datetime.timedelta(seconds=seconds)
    )
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": "managed-cluster-lease",
            "namespace": cluster,
            "labels": {"open-cluster-management.io/cluster-name": cluster},
        },
        "spec": {
            "leaseDurationSeconds": seconds,
            "renewTime": format_micro(now) if due else spec.get("renewTime"),
        },
    }
    return body, due
