"""Placements OCM accepts but its scheduler calls Misconfigured: refused, yet rendered on request.

Validation must call a placement invalid exactly when the scheduler (the same
rules as OCM's) reports ``PlacementMisconfigured``; ``render`` asked directly
writes the tree so the placement's status shows that condition, and exits 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_ocm import source, validation
from gitops_ocm.cli import main
from gitops_ocm.placement import spec, weights

NOW = "2024-01-01T00:00:00Z"

FLEET = """\
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata: {name: default, namespace: apps}
spec: {clusterSet: default}
---
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {name: a}
spec: {hubAcceptsClient: true}
"""

MISCONFIGURED = [
    (
        "unknown-builtin",
        {"prioritizerPolicy": {"configurations": [{"scoreCoordinate": {"builtIn": "Spread"}}]}},
        "M326",
        ":incorrect builtin prioritizer: Spread",
    ),
    ("unknown-mode", {"prioritizerPolicy": {"mode": "Sum"}}, "M331", ":incorrect prioritizer"),
    (
        "addon-without-addon",
        {"prioritizerPolicy": {"configurations": [{"scoreCoordinate": {"type": "AddOn"}}]}},
        "M326",
        ":addOn should not be empty",
    ),
    (
        "cel-compile-error",
        {"predicates": [{"requiredClusterSelector": {"celSelector": {"celExpressions": ["1 +"]}}}]},
        "M334",
        "Predicate:compile CEL expression",
    ),
    (
        "toleration-exists-with-value",
        {"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]},
        "M312",
        "TaintToleration:",
    ),
]


def _placement(body: dict[str, Any]) -> str:
    document = {
        "apiVersion": "cluster.open-cluster-management.io/v1beta1",
        "kind": "Placement",
        "metadata": {"name": "web", "namespace": "apps"},
        "spec": body,
    }
    return yaml.safe_dump(document, sort_keys=False)


def _repo(tmp_path: Path, body: dict[str, Any], extra: str = "") -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "fleet.yaml").write_text(FLEET + extra)
    (repo / "placement.yaml").write_text(_placement(body))
    return repo


def _condition(out: Path) -> dict[str, Any]:
    status = yaml.safe_load((out / "placements/apps/web/placement.yaml").read_text())["status"]
    return next(c for c in status["conditions"] if c["type"] == "PlacementMisconfigured")


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [c[1:] for c in MISCONFIGURED],
    ids=[c[0] for c in MISCONFIGURED],
)
def test_misconfigured_placement_is_an_error_that_render_shows(
    body: dict[str, Any], code: str, message: str, tmp_path: Path, capsys: Any
) -> None:
    """The commit is invalid (its code), and render writes OCM's condition and exits 1."""
    repo = _repo(tmp_path, body)
    found = validation.validate(source.load_directory(repo))
    assert [p.code for p in found if p.severity.value == "error"] == [code]
    out = tmp_path / "out"
    assert main.main(["render", str(repo), "--out", str(out), "--now", NOW]) == 1
    condition = _condition(out)
    assert (condition["status"], condition["reason"]) == ("True", "Misconfigured")
    assert condition["message"].startswith(message)
    assert code in capsys.readouterr().err


def test_render_still_refuses_other_errors(tmp_path: Path) -> None:
    """With any other error beside a misconfiguration, render writes nothing."""
    body = {"prioritizerPolicy": {"mode": "Sum"}, "numberOfCluster": 1}
    out = tmp_path / "out"
    assert main.main(["render", str(_repo(tmp_path, body)), "--out", str(out), "--now", NOW]) == 1
    assert not out.exists()


def test_weight_zero_is_ignored_like_ocm(tmp_path: Path) -> None:
    """An unknown built-in of weight 0 is valid, and the placement is not Misconfigured."""
    body = {
        "prioritizerPolicy": {
            "configurations": [{"scoreCoordinate": {"builtIn": "Spread"}, "weight": 0}]
        }
    }
    out = tmp_path / "out"
    assert main.main(["render", str(_repo(tmp_path, body)), "--out", str(out), "--now", NOW]) == 0
    assert _condition(out)["reason"] == "Succeedconfigured"


POLICIES: list[dict[str, Any]] = [
    {},
    {"mode": "Exact"},
    {"mode": "Additive"},
    {"mode": ""},
    {"mode": "exact"},
    {"configurations": [{"scoreCoordinate": {"builtIn": "Balance"}, "weight": -10}]},
    {"configurations": [{"scoreCoordinate": {"builtIn": "Spread"}, "weight": 0}]},
    {"configurations": [{"scoreCoordinate": {"builtIn": "Spread"}, "weight": 1}]},
    {"configurations": [{"scoreCoordinate": {"builtIn": "Spread"}}]},
    {"configurations": [{"scoreCoordinate": {}}]},
    {
        "configurations": [
            {"scoreCoordinate": {"builtIn": "Spread"}, "weight": 1},
            {"scoreCoordinate": {"builtIn": "Spread"}, "weight": 0},
        ]
    },
    {
        "configurations": [
            {"scoreCoordinate": {"builtIn": "Spread"}, "weight": 0},
            {"scoreCoordinate": {"type": "BuiltIn", "builtIn": "Spread"}, "weight": 2},
        ]
    },
    {"configurations": [{"scoreCoordinate": {"type": "AddOn"}, "weight": 0}]},
    {"configurations": [{"scoreCoordinate": {"type": "AddOn"}, "weight": 3}]},
    {
        "configurations": [
            {
                "scoreCoordinate": {
                    "type": "AddOn",
                    "addOn": {"resourceName": "r", "scoreName": "s"},
                },
                "weight": 3,
            }
        ]
    },
    {"mode": "Exact", "configurations": [{"scoreCoordinate": {"builtIn": "Steady"}}]},
]


@pytest.mark.parametrize("policy", POLICIES, ids=[str(i) for i in range(len(POLICIES))])
def test_validation_agrees_with_the_scheduler(policy: dict[str, Any], tmp_path: Path) -> None:
    """A prioritizer policy is an error exactly when the scheduler calls it Misconfigured."""
    body = {"prioritizerPolicy": policy}
    document = yaml.safe_load(_placement(body))
    _, problem = weights.prioritizers(spec.from_body(document))
    found = validation.validate(source.load_directory(_repo(tmp_path, body)))
    assert bool(found) == (problem is not None), [p.render() for p in found]
    assert all(p.code in ("M326", "M331") for p in found)
