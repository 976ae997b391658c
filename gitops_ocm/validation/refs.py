"""Meaning checks on references between objects.

Pure. Every reference a controller would follow must resolve in the same desired
state, or OCM would silently do nothing. Codes:

* M304 a ManifestWork's namespace is not a declared ManagedCluster;
* M305 a ManifestWorkReplicaSet's placementRef names no Placement in its namespace;
* M306 a PlacementBinding's placementRef names no Placement in its namespace;
* M307 a PlacementBinding's subject names no Policy or PolicySet in its namespace;
* M308 a PolicySet lists a policy that is not declared in its namespace;
* M309 a ManagedClusterSetBinding names a set that is not declared (``default`` and
  ``global`` exist on every hub and need no declaration);
* M310 a ManagedClusterSetBinding's name differs from its ``spec.clusterSet``;
* M322 (warning) a Placement's ``spec.clusterSets`` names a set not bound in its namespace;
* M325 (warning) a Policy dependency names a Policy or PolicySet not declared here.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_ocm import problems
from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.problems import Finding, Problem, Severity

BUILTIN_SETS = ("default", "global")


class _Index:
    """Names of the objects that references may point at."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.clusters = {o.name for o in snapshot.of_kind("ManagedCluster")}
        self.sets = {o.name for o in snapshot.of_kind("ManagedClusterSet")} | set(BUILTIN_SETS)
        self.placements = {(o.namespace, o.name) for o in snapshot.of_kind("Placement")}
        self.policies = {(o.namespace, o.name) for o in snapshot.of_kind("Policy")}
        self.policysets = {(o.namespace, o.name) for o in snapshot.of_kind("PolicySet")}
        self.bound = {(o.namespace, o.name) for o in snapshot.of_kind("ManagedClusterSetBinding")}


def check(snapshot: Snapshot) -> Iterator[Problem]:
    """Yield a problem for every dangling or inconsistent reference."""
    index = _Index(snapshot)
    checks = (
        ("ManifestWork", _work),
        ("ManifestWorkReplicaSet", _mwrs),
        ("PlacementBinding", _binding),
        ("PolicySet", _policyset),
        ("ManagedClusterSetBinding", _setbinding),
        ("Placement", _placement),
        ("Policy", _policy),
    )
    for kind, fn in checks:
        for obj in snapshot.of_kind(kind):
            yield from snapshot.locate_all(obj.doc, fn(obj, index))


def _work(obj: Obj, index: _Index) -> list[Finding]:
    if obj.namespace and obj.namespace not in index.clusters:
        return [
            Finding(
                "M304",
                "/metadata/namespace",
                "a ManifestWork's namespace is the cluster it is for, and no ManagedCluster "
                "of that name is declared",
                problems.describe(obj.namespace),
            )
        ]
    return []


def _mwrs(obj: Obj, index: _Index) -> list[Finding]:
    found = []
    for i, ref in enumerate(obj.spec.get("placementRefs") or []):
        name = ref.get("name") if isinstance(ref, dict) else None
        if isinstance(name, str) and (obj.namespace, name) not in index.placements:
            found.append(
                Finding(
                    "M305",
                    f"/spec/placementRefs/{i}/name",
                    f"no Placement {name!r} in namespace {obj.namespace!r}",
                    problems.describe(name),
                )
            )
    return found


def _binding(obj: Obj, index: _Index) -> list[Finding]:
    found = []
    ref = obj.body.get("placementRef")
    if isinstance(ref, dict):
        kind = ref.get("kind")
        name = ref.get("name")
        if kind != "Placement":
            found.append(
                Finding(
                    "M306",
                    "/placementRef/kind",
                    "only Placement is supported (PlacementRule is deprecated in OCM)",
                    problems.describe(kind),
                )
            )
        elif (obj.namespace, name) not in index.placements:
            found.append(
                Finding(
                    "M306",
                    "/placementRef/name",
                    f"no Placement {name!r} in namespace {obj.namespace!r}",
                    problems.describe(name),
                )
            )
    for i, subject in enumerate(obj.body.get("subjects") or []):
        if not isinstance(subject, dict):
            continue
        kind, name = subject.get("kind"), subject.get("name")
        table = index.policies if kind == "Policy" else index.policysets
        if kind in ("Policy", "PolicySet") and (obj.namespace, name) not in table:
            found.append(
                Finding(
                    "M307",
                    f"/subjects/{i}/name",
                    f"no {kind} {name!r} in namespace {obj.namespace!r}",
                    problems.describe(name),
                )
            )
    return found


def _policyset(obj: Obj, index: _Index) -> list[Finding]:
    found = []
    for i, name in enumerate(obj.spec.get("policies") or []):
        if isinstance(name, str) and (obj.namespace, name) not in index.policies:
            found.append(
                Finding(
                    "M308",
                    f"/spec/policies/{i}",
                    f"no Policy {name!r} in namespace {obj.namespace!r}",
                    problems.describe(name),
                )
            )
    return found


def _setbinding(obj: Obj, index: _Index) -> list[Finding]:
    target = obj.spec.get("clusterSet")
    found = []
    if isinstance(target, str) and target != obj.name:
        found.append(
            Finding(
                "M310",
                "/spec/clusterSet",
                f"a ManagedClusterSetBinding must be named like its set ({obj.name!r})",
                problems.describe(target),
            )
        )
    if isinstance(target, str) and target not in index.sets:
        found.append(
            Finding(
                "M309",
                "/spec/clusterSet",
                "no ManagedClusterSet of that name is declared",
                problems.describe(target),
            )
        )
    return found


def _placement(obj: Obj, index: _Index) -> list[Finding]:
    found = []
    for i, name in enumerate(obj.spec.get("clusterSets") or []):
        if isinstance(name, str) and (obj.namespace, name) not in index.bound:
            found.append(
                Finding(
                    "M322",
                    f"/spec/clusterSets/{i}",
                    f"set {name!r} is not bound in namespace {obj.namespace!r}, so the "
                    "placement cannot select its clusters",
                    problems.describe(name),
                    Severity.WARNING,
                )
            )
    return found


def _policy(obj: Obj, index: _Index) -> list[Finding]:
    found = []
    lists = [("/spec/dependencies", obj.spec.get("dependencies") or [])]
    for t, template in enumerate(obj.spec.get("policy-templates") or []):
        if isinstance(template, dict):
            lists.append(
                (
                    f"/spec/policy-templates/{t}/extraDependencies",
                    template.get("extraDependencies") or [],
                )
            )
    for at, deps in lists:
        for i, dep in enumerate(deps):
            if not isinstance(dep, dict) or dep.get("kind") not in ("Policy", "PolicySet"):
                continue
            namespace = dep.get("namespace") or obj.namespace
            table = index.policies if dep["kind"] == "Policy" else index.policysets
            if (namespace, dep.get("name")) not in table:
                found.append(
                    Finding(
                        "M325",
                        f"{at}/{i}/name",
                        f"no {dep['kind']} {dep.get('name')!r} in namespace {namespace!r} is "
                        "declared here; the dependency stays Pending",
                        problems.describe(dep.get("name")),
                        Severity.WARNING,
                    )
                )
    return found
