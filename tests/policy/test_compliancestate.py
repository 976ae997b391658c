"""Tests for compliance states: template state parsing, aggregate, root, history."""

from __future__ import annotations

import pytest

from gitops_ocm.policy import compliancestate


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Compliant; notification - x", "Compliant"),
        ("NonCompliant; violation - x", "NonCompliant"),
        ("Pending; Dependencies were not satisfied", "Pending"),
        ("(combined from similar events): compliant; notification", "Compliant"),
        ("weird", "NonCompliant"),
    ],
    ids=["compliant", "noncompliant", "pending", "combined-prefix", "unknown-is-noncompliant"],
)
def test_template_compliance_from_message(message: str, expected: str) -> None:
    """A template's state is read from its message prefix, case-insensitively."""
    assert compliancestate.template_compliance_from_message(message) == expected


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["Compliant", "Pending", "NonCompliant"], "NonCompliant"),
        (["Compliant", "Pending"], "Pending"),
        (["Compliant", "Compliant"], "Compliant"),
        (["Compliant", None], ""),
        ([], ""),
    ],
    ids=["noncompliant-wins", "pending-next", "all-compliant", "unknown", "no-templates"],
)
def test_aggregate(states: list[str | None], expected: str) -> None:
    """NonCompliant > Pending > Compliant; an unknown template leaves the state unknown."""
    assert compliancestate.aggregate(states) == expected


@pytest.mark.parametrize(
    ("per_cluster", "expected"),
    [
        ({}, ""),
        ({"a": "Compliant", "b": "NonCompliant", "c": ""}, "NonCompliant"),
        ({"a": "Pending", "b": ""}, "Pending"),
        ({"a": "Compliant", "b": ""}, ""),
        ({"a": "Compliant", "b": "Compliant"}, "Compliant"),
    ],
    ids=["no-clusters", "noncompliant", "pending-over-unknown", "unknown", "compliant"],
)
def test_root_compliance(per_cluster: dict[str, str], expected: str) -> None:
    """The root rolls up clusters as the propagator does."""
    assert compliancestate.root_compliance(per_cluster) == expected


def test_history_newest_first_and_deduplicated() -> None:
    """A new message goes first; the same message again does not add an entry."""
    first = compliancestate.history([], "Compliant; a", "t1")
    second = compliancestate.history(first, "NonCompliant; b", "t2")
    third = compliancestate.history(second, "NonCompliant; b", "t3")
    assert [e["message"] for e in third] == ["NonCompliant; b", "Compliant; a"]
    assert third[0]["lastTimestamp"] == "t2"


def test_history_limit() -> None:
    """History keeps at most ten entries."""
    entries: list[dict[str, str]] = []
    for i in range(15):
        entries = compliancestate.history(entries, f"Compliant; {i}", f"t{i}")
    assert len(entries) == 10
    assert entries[0]["message"] == "Compliant; 14"
    assert entries[-1]["message"] == "Compliant; 5"
