"""Tests for the root Policy, PolicySet and README rollups."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.policy import rollup


def body(compliant: str) -> dict[str, Any]:
    """A replicated policy report with ``compliant``."""
    return {"kind": "Policy", "status": {"compliant": compliant} if compliant else {}}


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({}, ""),
        ({"a": "Compliant", "b": "Pending", "c": "NonCompliant"}, "NonCompliant"),
        ({"a": "Compliant", "b": "Pending", "c": ""}, "Pending"),
        ({"a": "Compliant", "b": ""}, ""),
        ({"a": "Compliant", "b": "Compliant"}, "Compliant"),
    ],
    ids=["no-clusters", "noncompliant-wins", "pending-next", "unknown", "all-compliant"],
)
def test_root_compliance(states: dict[str, str], expected: str) -> None:
    """NonCompliant over Pending over Compliant; no clusters or an unknown one gives ""."""
    root = rollup.root_status(("default", "p"), {c: body(s) for c, s in states.items()})
    assert root.get("compliant", "") == expected


def test_root_rows_sorted_and_unreported_cluster() -> None:
    """Rows are sorted by cluster; a cluster without a report has no compliant field."""
    root = rollup.root_status(("default", "p"), {"b": body("Compliant"), "a": None})
    assert root["status"] == [
        {"clustername": "a", "clusternamespace": "a"},
        {"clustername": "b", "clusternamespace": "b", "compliant": "Compliant"},
    ]


def test_root_accepts_bare_status_bodies() -> None:
    """A status mapping (without the Policy envelope) works as input too."""
    root = rollup.root_status(("default", "p"), {"a": {"compliant": "NonCompliant"}})
    assert root["compliant"] == "NonCompliant"


@pytest.mark.parametrize(
    ("roots", "expected", "message"),
    [
        ({"a": {"compliant": "Compliant"}, "b": {"compliant": "Pending"}}, "Pending", "All"),
        ({"a": {"compliant": "NonCompliant"}, "b": {"compliant": "Pending"}}, "NonCompliant", ""),
        ({"a": {"compliant": "Compliant"}, "b": {"compliant": "Compliant"}}, "Compliant", "All"),
        ({"a": {"compliant": "Compliant"}, "b": {}}, "", "awaiting policy status: b"),
        ({"a": {"compliant": "Compliant"}}, "Compliant", "Policies not found: b"),
    ],
    ids=["pending", "noncompliant", "compliant", "awaiting", "missing-member"],
)
def test_policyset_status(roots: dict[str, Any], expected: str, message: str) -> None:
    """A PolicySet aggregates its members and explains missing or silent ones."""
    got = rollup.policyset_status(["a", "b"], roots)
    assert got.get("compliant", "") == expected
    assert message in got["statusMessage"]


def test_readme_section_counts_and_links() -> None:
    """The Compliance section has one row per policy with counts and a link."""
    roots = {
        ("default", "p"): rollup.root_status(
            ("default", "p"), {"a": body("Compliant"), "b": body("NonCompliant"), "c": None}
        ),
        ("apps", "q"): rollup.root_status(("apps", "q"), {"a": body("Pending")}),
    }
    text = rollup.readme_section(roots)
    lines = text.splitlines()
    assert lines[0] == "## Compliance"
    assert lines[4] == "| [apps/q](policies/apps/q.yaml) | Pending | 0 | 0 | 1 | 0 |"
    assert lines[5] == "| [default/p](policies/default/p.yaml) | NonCompliant | 1 | 1 | 0 | 1 |"
    assert rollup.readme_section({}) == "## Compliance\n\nNo policies.\n"
