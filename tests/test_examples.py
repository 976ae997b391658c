"""The example fleet in examples/repo loads, validates, and shows every feature it promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitops_ocm import source
from gitops_ocm.model import snapshot as snapshot_mod

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "repo"


@pytest.fixture(scope="module")
def snap() -> snapshot_mod.Snapshot:
    """The example repository, loaded once for the module."""
    return source.load_directory(EXAMPLES)


def _templates(policy: snapshot_mod.Obj) -> list[dict[str, Any]]:
    """Return the object-templates of every ConfigurationPolicy inside a Policy."""
    out: list[dict[str, Any]] = []
    for template in policy.spec.get("policy-templates", []):
        definition = template.get("objectDefinition", {})
        out.extend(definition.get("spec", {}).get("object-templates", []))
    return out


def test_loads_without_problems(snap: snapshot_mod.Snapshot) -> None:
    """Every file of the example repository parses into documents."""
    assert [p.render() for p in snap.load_problems] == []
    assert len(snap.objects) >= 30


def test_validates_cleanly(snap: snapshot_mod.Snapshot) -> None:
    """Both validation tiers find nothing to report, not even a warning."""
    from gitops_ocm import validation

    assert [p.render() for p in validation.validate(snap)] == []


@pytest.mark.parametrize(
    ("kind", "minimum"),
    [
        ("ManagedCluster", 8),
        ("ManagedClusterSet", 2),
        ("ManagedClusterSetBinding", 2),
        ("Placement", 4),
        ("ManifestWork", 1),
        ("ManifestWorkReplicaSet", 2),
        ("Policy", 3),
        ("PlacementBinding", 1),
        ("PolicySet", 1),
    ],
)
def test_has_enough_of_each_kind(snap: snapshot_mod.Snapshot, kind: str, minimum: int) -> None:
    """The fleet holds at least the promised number of objects of each kind."""
    assert len(snap.of_kind(kind)) >= minimum


def test_clusters_span_regions_and_environments(snap: snapshot_mod.Snapshot) -> None:
    """Clusters cover two regions and three environments, all accepted, in two exclusive sets."""
    clusters = snap.of_kind("ManagedCluster")
    assert {c.labels["region"] for c in clusters} == {"eu-west", "us-east"}
    assert {c.labels["environment"] for c in clusters} == {"dev", "staging", "prod"}
    assert all(c.spec["hubAcceptsClient"] is True for c in clusters)
    sets = {c.labels["cluster.open-cluster-management.io/clusterset"] for c in clusters}
    assert sets == {s.name for s in snap.of_kind("ManagedClusterSet")}
    assert any(c.spec.get("taints") for c in clusters)


def test_every_set_is_bound_by_its_own_name(snap: snapshot_mod.Snapshot) -> None:
    """Each binding is named like its set, and every set is bound somewhere."""
    bindings = snap.of_kind("ManagedClusterSetBinding")
    assert all(b.name == b.spec["clusterSet"] for b in bindings)
    assert {b.name for b in bindings} == {s.name for s in snap.of_kind("ManagedClusterSet")}


@pytest.mark.parametrize(
    "feature",
    ["claimSelector", "numberOfClusters+prioritizerPolicy", "tolerations", "decisionGroups"],
)
def test_placements_show_feature(snap: snapshot_mod.Snapshot, feature: str) -> None:
    """Some placement uses each scheduling feature the demo and docs rely on."""

    def uses(spec: dict[str, Any]) -> bool:
        predicates = spec.get("predicates", [])
        if feature == "claimSelector":
            return any("claimSelector" in p["requiredClusterSelector"] for p in predicates)
        if feature == "numberOfClusters+prioritizerPolicy":
            return "numberOfClusters" in spec and "prioritizerPolicy" in spec
        if feature == "tolerations":
            return bool(spec.get("tolerations"))
        groups = spec.get("decisionStrategy", {}).get("groupStrategy", {})
        return bool(groups.get("decisionGroups"))

    assert any(uses(p.spec) for p in snap.of_kind("Placement"))


def test_replica_sets_reference_placements_in_their_namespace(
    snap: snapshot_mod.Snapshot,
) -> None:
    """Every placementRef of a ManifestWorkReplicaSet names a Placement next to it."""
    for mwrs in snap.of_kind("ManifestWorkReplicaSet"):
        for ref in mwrs.spec["placementRefs"]:
            assert snap.find("Placement", mwrs.namespace, ref["name"]) is not None, ref


def test_direct_works_live_in_cluster_namespaces(snap: snapshot_mod.Snapshot) -> None:
    """A direct ManifestWork's namespace is the name of a cluster."""
    clusters = {c.name for c in snap.of_kind("ManagedCluster")}
    assert {w.namespace for w in snap.of_kind("ManifestWork")} <= clusters


def test_policies_cover_compliance_types_and_actions(snap: snapshot_mod.Snapshot) -> None:
    """Policies use musthave, mustonlyhave and mustnothave, and both inform and enforce."""
    policies = snap.of_kind("Policy")
    types = {t["complianceType"] for p in policies for t in _templates(p)}
    assert {"musthave", "mustonlyhave", "mustnothave"} <= types
    assert {p.spec["remediationAction"] for p in policies} == {"inform", "enforce"}
    assert all(p.spec["disabled"] is False for p in policies)


def test_every_policy_is_placed(snap: snapshot_mod.Snapshot) -> None:
    """Each policy is a subject of a PlacementBinding, directly or through a PolicySet."""
    placed: set[str] = set()
    for binding in snap.of_kind("PlacementBinding"):
        assert snap.find("Placement", binding.namespace, binding.body["placementRef"]["name"])
        for subject in binding.body["subjects"]:
            if subject["kind"] == "Policy":
                placed.add(subject["name"])
            else:
                policy_set = snap.find("PolicySet", binding.namespace, subject["name"])
                assert policy_set is not None, subject
                placed.update(policy_set.spec["policies"])
    assert placed == {p.name for p in snap.of_kind("Policy")}
