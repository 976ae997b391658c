"""The agent's ClusterRole: it covers what the example fleet applies, and nothing is a wildcard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import deploykit
import pytest

from gitops_ocm import source
from gitops_ocm.agent import crds
from gitops_ocm.localkube import resources
from gitops_ocm.model import snapshot as snapshot_mod

EXAMPLES = deploykit.ROOT / "examples" / "repo"
REGISTRY = resources.Registry()


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    """The rules of the agent's ClusterRole as the base builds it."""
    built = deploykit.build(deploykit.DEPLOY / "agent" / "base")
    (role,) = [o for o in built if o["kind"] == "ClusterRole"]
    return list(role["rules"])


def manifests(snap: snapshot_mod.Snapshot) -> Iterator[dict[str, Any]]:
    """The manifests of every ManifestWork and ManifestWorkReplicaSet of a fleet."""
    for work in snap.of_kind("ManifestWork"):
        yield from work.spec.get("workload", {}).get("manifests", [])
    for replicaset in snap.of_kind("ManifestWorkReplicaSet"):
        template = replicaset.spec.get("manifestWorkTemplate", {})
        yield from template.get("workload", {}).get("manifests", [])


def policy_objects(snap: snapshot_mod.Snapshot) -> Iterator[tuple[dict[str, Any], str]]:
    """(objectDefinition, remediation) of every ConfigurationPolicy template of a fleet.

    As in OCM, a Policy's remediationAction overrides its templates' own.
    """
    for policy in snap.of_kind("Policy"):
        for template in policy.spec.get("policy-templates", []):
            definition = template.get("objectDefinition", {})
            action = policy.spec.get("remediationAction") or definition["spec"].get(
                "remediationAction", "inform"
            )
            for entry in definition.get("spec", {}).get("object-templates", []):
                yield entry["objectDefinition"], str(action).lower()


def needed(snap: snapshot_mod.Snapshot) -> set[tuple[str, str, str]]:
    """(group, resource, verb) the agent uses for a fleet: write what it applies, read the rest."""
    wanted: set[tuple[str, str, str]] = set()
    objects = [(m, "enforce") for m in manifests(snap)] + list(policy_objects(snap))
    for obj, action in objects:
        found = REGISTRY.for_kind(obj["apiVersion"], obj["kind"])
        assert found is not None, f"{obj['kind']} is not a kind the local API server knows"
        verbs = deploykit.WRITE if action == "enforce" else deploykit.READ
        wanted.update((found.group, found.plural, verb) for verb in verbs)
    return wanted


def test_the_fleet_needs_what_it_applies() -> None:
    """The computed needs hold the works' kinds (write) and inform-only kinds (read only)."""
    wanted = needed(source.load_directory(EXAMPLES))
    assert ("apps", "deployments", "patch") in wanted
    assert ("", "resourcequotas", "delete") in wanted  # enforced by policy-prod-quota
    assert ("", "pods", "list") in wanted and ("", "pods", "delete") not in wanted


def test_covers_the_example_fleet(rules: list[dict[str, Any]]) -> None:
    """Every kind the example fleet applies, enforces or reads is allowed with its verbs."""
    wanted = needed(source.load_directory(EXAMPLES))
    assert sorted(w for w in wanted if not deploykit.allows(rules, *w)) == []


def test_covers_what_the_agent_itself_does(rules: list[dict[str, Any]]) -> None:
    """Its CRDs, the AppliedManifestWork inventory and status, claims, scores and nodes."""
    for api_version, kind, crd in (*crds.DEFINITIONS, *crds.OPTIONAL):
        group = api_version.split("/")[0]
        plural = crd["spec"]["names"]["plural"]
        assert deploykit.allows(rules, group, plural, "list"), kind
    assert deploykit.allows(rules, "apiextensions.k8s.io", "customresourcedefinitions", "create")
    for verb in ("get", "list", "create", "update", "delete"):
        assert deploykit.allows(
            rules, "work.open-cluster-management.io", "appliedmanifestworks", verb
        )
    assert deploykit.allows(
        rules, "work.open-cluster-management.io", "appliedmanifestworks/status", "update"
    )
    assert deploykit.allows(rules, "", "nodes", "list")


def test_grants_no_wildcard_and_nothing_secret(rules: list[dict[str, Any]]) -> None:
    """No `*` anywhere; no Secrets, no RBAC objects, no escalate, bind or impersonate."""
    for rule in rules:
        for field in ("apiGroups", "resources", "verbs"):
            assert "*" not in rule.get(field, ()), rule
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), rule
        assert "secrets" not in rule["resources"], rule
        assert "rbac.authorization.k8s.io" not in rule["apiGroups"], rule


def test_rules_name_only_served_resources(rules: list[dict[str, Any]]) -> None:
    """Every resource the role names is one the API serves (no typo grants nothing silently)."""
    served = {(r.group, r.plural) for r in resources.BUILTINS}
    for _, _, crd in (*crds.DEFINITIONS, *crds.OPTIONAL):
        served.add((crd["spec"]["group"], crd["spec"]["names"]["plural"]))
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                assert (group, resource.split("/")[0]) in served, (group, resource)


def test_cluster_admin_overlay_binds_the_agent() -> None:
    """The cluster-admin overlay binds the agent's account to cluster-admin beside its own role."""
    built = deploykit.build(deploykit.DEPLOY / "agent" / "overlays" / "cluster-admin")
    bindings = [o for o in built if o["kind"] == "ClusterRoleBinding"]
    (deployment,) = [o for o in built if o["kind"] == "Deployment"]
    account = {
        "kind": "ServiceAccount",
        "name": deployment["spec"]["template"]["spec"]["serviceAccountName"],
        "namespace": deployment["metadata"]["namespace"],
    }
    roles = {b["roleRef"]["name"] for b in bindings if account in b["subjects"]}
    assert roles == {"gitops-ocm-agent", "cluster-admin"}
