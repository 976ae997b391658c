"""ManifestWorkReplicaSet summaries and conditions, counted from up-to-date reports."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from statuskit import NOW, Fleet, applied, cond, placement

from gitops_ocm.model import yamlout

WEB = "manifestworkreplicasets/apps/web.yaml"


def _status(out: Any, path: str = WEB) -> dict[str, Any]:
    body = yamlout.load(out.files[path])
    assert body["apiVersion"] == "work.open-cluster-management.io/v1alpha1"
    assert set(body) == {"apiVersion", "kind", "metadata", "status"}
    return dict(body["status"])


def _reasons(status: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: f"{c['status']} {c['reason']}" for c in status["conditions"]}


NOT_APPLIED = [cond("Applied", "False", "AppliedManifestWorkFailed"), cond("Available", "False")]
DEGRADED = applied(cond("Degraded", "True"))


@pytest.mark.parametrize(
    ("reports", "summary", "reasons"),
    [
        pytest.param(
            {},
            {"total": 3, "applied": 3, "available": 3, "degraded": 0, "progressing": 0},
            ("True AsExpected", "True Complete", "True AsExpected"),
            id="all-available",
        ),
        pytest.param(
            {"c2": {"work": NOT_APPLIED}},
            {"total": 3, "applied": 2, "available": 2, "degraded": 0, "progressing": 0},
            ("True AsExpected", "False Progressing", "False NotAsExpected"),
            id="one-not-applied",
        ),
        pytest.param(
            {"c3": {"prescription": "0" * 40}},
            {"total": 3, "applied": 2, "available": 2, "degraded": 0, "progressing": 0},
            ("True AsExpected", "False Progressing", "False Processing"),
            id="outdated-prescription-not-counted",
        ),
        pytest.param(
            {"c1": {"work": DEGRADED}},
            {"total": 3, "applied": 3, "available": 3, "degraded": 1, "progressing": 0},
            ("True AsExpected", "False Progressing", "False NotAsExpected"),
            id="degraded",
        ),
        pytest.param(
            {"c1": {"work": applied(cond("Progressing", "True"))}},
            {"total": 3, "applied": 3, "available": 3, "degraded": 0, "progressing": 1},
            ("True AsExpected", "False Progressing", "False Processing"),
            id="progressing",
        ),
        pytest.param(
            {"c1": {"work": [cond("Applied", "True", generation=0), cond("Available", "True")]}},
            {"total": 3, "applied": 2, "available": 3, "degraded": 0, "progressing": 0},
            ("True AsExpected", "False Progressing", "True AsExpected"),
            id="stale-generation-not-applied",
        ),
    ],
)
def test_summary_and_conditions(
    reports: dict[str, dict[str, Any]], summary: dict[str, int], reasons: tuple[str, ...]
) -> None:
    """Summary counts and the three conditions follow OCM's rules (rollout All)."""
    fleet = Fleet()
    for name, change in reports.items():
        fleet.set_report(name, **change)
    status = _status(fleet.fold())
    assert status["summary"] == summary
    assert status["placementSummary"] == [
        {
            "name": "all",
            "summary": summary,
            "availableDecisionGroups": f"1 ({summary['applied']} / 3 clusters applied)",
        }
    ]
    found = _reasons(status)
    assert (
        found["PlacementVerified"],
        found["PlacementRolledOut"],
        found["ManifestworkApplied"],
    ) == reasons


def test_no_decisions_is_placement_decision_empty() -> None:
    """A declared set whose placement selects nothing: PlacementDecisionEmpty."""
    fleet = Fleet()
    fleet.hub.update(placement("apps", "none", [], satisfied="False"))
    out = fleet.fold(replica_sets={("apps", "idle"): ["none"]})
    found = _reasons(_status(out, "manifestworkreplicasets/apps/idle.yaml"))
    assert found["PlacementVerified"] == "False PlacementDecisionEmpty"
    assert found["ManifestworkApplied"] == "False PlacementDecisionEmpty"


def test_missing_placement_is_not_found() -> None:
    """A declared placementRef with no placement in the hub tree: PlacementDecisionNotFound."""
    out = Fleet().fold(replica_sets={("apps", "web"): ["all", "gone"]})
    found = _reasons(_status(out))
    assert found["PlacementVerified"] == "False PlacementDecisionNotFound"
    assert [p["name"] for p in _status(out)["placementSummary"]] == ["all", "gone"]


def test_transition_time_kept_until_status_flips() -> None:
    """lastTransitionTime comes from the previous file unless the status flips."""
    fleet = Fleet()
    first = fleet.fold()
    later = NOW + datetime.timedelta(minutes=1)
    same = fleet.fold(later, previous=first.files)
    assert same.files[WEB] == first.files[WEB]
    fleet.set_report("c2", work=NOT_APPLIED, renewed=later)
    flipped = _status(fleet.fold(later, previous=first.files))
    times = {c["type"]: c["lastTransitionTime"] for c in flipped["conditions"]}
    assert times == {
        "PlacementVerified": "2024-05-01T12:00:00Z",
        "PlacementRolledOut": "2024-05-01T12:01:00Z",
        "ManifestworkApplied": "2024-05-01T12:01:00Z",
    }
