"""Tests for policy dependencies, extraDependencies and ignorePending."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.policy import dependencies

API = "policy.open-cluster-management.io/v1"


def dep(
    name: str, compliance: str = "Compliant", kind: str = "Policy", **extra: str
) -> dict[str, Any]:
    """A dependency entry."""
    return {"apiVersion": API, "kind": kind, "name": name, "compliance": compliance, **extra}


def root(*deps: dict[str, Any]) -> dict[str, Any]:
    """A root Policy in namespace 'policies'."""
    return {
        "metadata": {"name": "p", "namespace": "policies"},
        "spec": {"dependencies": list(deps)},
    }


CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[Any, str], str, str]] = [
    ("no-dependencies", root(), {}, {}, "", ""),
    (
        "met",
        root(dep("a")),
        {},
        {("Policy", "cluster1", "policies.a"): "Compliant"},
        "",
        "",
    ),
    (
        "unmet-pending",
        root(dep("a")),
        {},
        {("Policy", "cluster1", "policies.a"): "NonCompliant"},
        "Pending",
        "Dependencies were not satisfied: 1 is still pending (Policy policies.a)",
    ),
    (
        "wants-noncompliant",
        root(dep("a", "NonCompliant")),
        {},
        {("Policy", "cluster1", "policies.a"): "NonCompliant"},
        "",
        "",
    ),
    (
        "missing-status-and-explicit-namespace",
        root(dep("a"), dep("b", namespace="other")),
        {},
        {},
        "Pending",
        "Dependencies were not satisfied: 2 are still pending (Policy other.b, Policy policies.a)",
    ),
    (
        "extra-dependency",
        root(),
        {"extraDependencies": [dep("cfg", kind="ConfigurationPolicy")]},
        {("ConfigurationPolicy", "cluster1", "cfg"): "Pending"},
        "Pending",
        "Dependencies were not satisfied: 1 is still pending (ConfigurationPolicy cfg)",
    ),
    (
        "ignore-pending",
        root(dep("a")),
        {"ignorePending": True},
        {},
        "Compliant",
        "Dependencies were not satisfied: 1 is still pending (Policy policies.a) "
        "but ignorePending is true",
    ),
    (
        "conflict",
        root(dep("a")),
        {"extraDependencies": [dep("a", "NonCompliant")]},
        {},
        "NonCompliant",
        "Failed to decode policy template with err: "
        "dependency on policies.a has conflicting compliance states",
    ),
    (
        "non-policy-object",
        root(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "name": "c",
                "namespace": "x",
                "compliance": "Compliant",
            }
        ),
        {},
        {("ConfigMap", "x", "c"): "Compliant"},
        "",
        "",
    ),
]


@pytest.mark.parametrize(
    ("policy", "template", "statuses", "compliance", "message"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_gate(
    policy: dict[str, Any],
    template: dict[str, Any],
    statuses: dict[Any, str],
    compliance: str,
    message: str,
) -> None:
    """A template waits until every dependency has the stated compliance."""
    result = dependencies.gate(policy, template, statuses, "cluster1")
    assert result.satisfied is (compliance == "")
    assert result.compliance == compliance
    assert result.message == message


def test_replica_dependency_name_is_kept() -> None:
    """In a replicated policy the dependency name is already canonical."""
    replica = root(dep("policies.a"))
    replica["metadata"]["labels"] = {dependencies.ROOT_POLICY_LABEL: "policies.p"}
    statuses = {("Policy", "cluster1", "policies.a"): "Compliant"}
    assert dependencies.gate(replica, {}, statuses, "cluster1").satisfied


def test_event_message_parses_as_pending() -> None:
    """The Pending event message starts with the state, as the status sync expects."""
    result = dependencies.gate(root(dep("a")), {}, {}, "cluster1")
    assert dependencies.event_message(result).startswith("Pending; Dependencies were not satisfied")
