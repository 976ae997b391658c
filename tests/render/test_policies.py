"""Policy propagation through bindings: which clusters get a replica, and through which path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_ocm import source
from gitops_ocm.render import policies

GROUP = "policy.open-cluster-management.io"
DECISIONS = {("gov", "all"): ["c1", "c2", "c3"], ("gov", "two"): ["c2", "c3"]}
ACCEPTED = {"c1", "c2", "c3"}


def _policy(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Policy",
        "metadata": {"name": name, "namespace": "gov"},
        "spec": {"disabled": False, "remediationAction": "inform", "policy-templates": []},
    }


def _policyset(name: str, members: list[str], excluded: dict[str, list[str]]) -> dict[str, Any]:
    rules = [{"policyName": p, "clusterNames": cs} for p, cs in excluded.items()]
    return {
        "apiVersion": f"{GROUP}/v1beta1",
        "kind": "PolicySet",
        "metadata": {"name": name, "namespace": "gov"},
        "spec": {"policies": members, "exclusions": rules},
    }


def _binding(name: str, placement: str, *subjects: str, **extra: Any) -> dict[str, Any]:
    """A binding; each subject is ``Kind/name``."""
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "PlacementBinding",
        "metadata": {"name": name, "namespace": "gov"},
        "placementRef": {
            "apiGroup": "cluster.open-cluster-management.io",
            "kind": "Placement",
            "name": placement,
        },
        "subjects": [
            {"apiGroup": GROUP, "kind": s.split("/")[0], "name": s.split("/")[1]} for s in subjects
        ],
        **extra,
    }


SET_EXCLUDES_C1 = _policyset("ps", ["p1", "p2"], {"p1": ["c1"]})

CASES = [
    pytest.param(
        [SET_EXCLUDES_C1, _binding("b", "all", "PolicySet/ps")],
        {"p1": {"c2", "c3"}, "p2": {"c1", "c2", "c3"}},
        set[str](),
        id="set-exclusion-applies-through-the-set",
    ),
    pytest.param(
        [SET_EXCLUDES_C1, _binding("b", "all", "PolicySet/ps"), _binding("d", "all", "Policy/p1")],
        {"p1": {"c1", "c2", "c3"}, "p2": {"c1", "c2", "c3"}},
        set[str](),
        id="direct-binding-still-reaches-excluded-cluster",
    ),
    pytest.param(
        [SET_EXCLUDES_C1, _binding("b", "all", "PolicySet/ps", "Policy/p1")],
        {"p1": {"c1", "c2", "c3"}, "p2": {"c1", "c2", "c3"}},
        set[str](),
        id="same-binding-naming-the-policy-ignores-exclusions",
    ),
    pytest.param(
        [
            SET_EXCLUDES_C1,
            _policyset("open", ["p1"], {}),
            _binding("b", "two", "PolicySet/ps"),
            _binding("o", "all", "PolicySet/open"),
        ],
        {"p1": {"c1", "c2", "c3"}, "p2": {"c2", "c3"}},
        set[str](),
        id="another-set-without-exclusion-reaches-cluster",
    ),
    pytest.param(
        [_policyset("unbound", ["p1"], {"p1": ["c1"]}), _binding("d", "all", "Policy/p1")],
        {"p1": {"c1", "c2", "c3"}},
        set[str](),
        id="unbound-set-excludes-nothing",
    ),
    pytest.param(
        [
            SET_EXCLUDES_C1,
            _binding("b", "all", "PolicySet/ps"),
            _binding("d", "two", "Policy/p1"),
            _binding(
                "r",
                "all",
                "PolicySet/ps",
                subFilter="restricted",
                bindingOverrides={"remediationAction": "Enforce"},
            ),
        ],
        {"p1": {"c2", "c3"}, "p2": {"c1", "c2", "c3"}},
        {"p2:c1", "p1:c2", "p1:c3", "p2:c2", "p2:c3"},
        id="restricted-override-follows-its-own-exclusions",
    ),
]


def _snapshot(tmp_path: Path, docs: list[dict[str, Any]]) -> Any:
    names = {d["metadata"]["name"] for d in docs if d["kind"] == "PolicySet"}
    members = {p for d in docs if d["kind"] == "PolicySet" for p in d["spec"]["policies"]}
    direct = {
        s["name"]
        for d in docs
        if d["kind"] == "PlacementBinding"
        for s in d["subjects"]
        if s["kind"] == "Policy"
    }
    roots = [_policy(p) for p in sorted(members | direct)]
    assert names or direct
    (tmp_path / "gov.yaml").write_text(yaml.safe_dump_all([*roots, *docs], sort_keys=False))
    return source.load_directory(tmp_path)


@pytest.mark.parametrize(("docs", "reach", "enforced"), CASES)
def test_coverage_follows_each_binding_path(
    tmp_path: Path, docs: list[dict[str, Any]], reach: dict[str, set[str]], enforced: set[str]
) -> None:
    """A policy's clusters and enforce upgrades follow OCM's per-binding PolicySet exclusions."""
    got = policies.coverage(_snapshot(tmp_path, docs), DECISIONS, ACCEPTED)
    assert {name: set(c.clusters) for (_, name), c in got.items()} == reach
    ups = {f"{name}:{c}" for (_, name), cover in got.items() for c in cover.enforced}
    assert ups == enforced


@pytest.mark.parametrize(("docs", "reach", "enforced"), CASES)
def test_per_cluster_signature_agrees_with_coverage(
    tmp_path: Path, docs: list[dict[str, Any]], reach: dict[str, set[str]], enforced: set[str]
) -> None:
    """The per-cluster path (plan + signature) gives each cluster the replicas coverage gives it."""
    snap = _snapshot(tmp_path, docs)
    entries = policies.plan(snap).entries
    chosen = {key: frozenset(clusters) for key, clusters in DECISIONS.items()}
    for cluster in sorted(ACCEPTED):
        code = policies.signature(entries, chosen, cluster)
        got = {f"{entries[v >> 1].replica.split('.', 1)[1]}": bool(v & 1) for v in code}
        assert set(got) == {p for p, cs in reach.items() if cluster in cs}
        assert {f"{p}:{cluster}" for p, up in got.items() if up} == {
            e for e in enforced if e.endswith(f":{cluster}")
        }
