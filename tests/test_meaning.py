"""Meaning checks (M3xx): each rule fires on a minimal broken fleet, and a clean fleet is clean."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_ocm import source, validation
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.validation import works

Fleet = dict[str, list[dict[str, Any]]]


def base() -> Fleet:
    """A small valid fleet: two clusters, one set, one placement, work and governance."""
    cluster = "cluster.open-cluster-management.io"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "web"},
        "spec": {"replicas": 1},
    }
    return {
        "clusters.yaml": [
            {
                "apiVersion": f"{cluster}/v1",
                "kind": "ManagedCluster",
                "metadata": {"name": n, "labels": {f"{cluster}/clusterset": "set-a"}},
                "spec": {"hubAcceptsClient": True},
            }
            for n in ("c1", "c2")
        ],
        "sets.yaml": [
            {
                "apiVersion": f"{cluster}/v1beta2",
                "kind": "ManagedClusterSet",
                "metadata": {"name": "set-a"},
                "spec": {"clusterSelector": {"selectorType": "ExclusiveClusterSetLabel"}},
            },
            {
                "apiVersion": f"{cluster}/v1beta2",
                "kind": "ManagedClusterSetBinding",
                "metadata": {"name": "set-a", "namespace": "apps"},
                "spec": {"clusterSet": "set-a"},
            },
        ],
        "placement.yaml": [
            {
                "apiVersion": f"{cluster}/v1beta1",
                "kind": "Placement",
                "metadata": {"name": "p1", "namespace": "apps"},
                "spec": {
                    "predicates": [
                        {"requiredClusterSelector": {"labelSelector": {"matchLabels": {"a": "b"}}}}
                    ],
                    "tolerations": [{"key": "maintenance", "operator": "Exists"}],
                },
            }
        ],
        "work.yaml": [
            {
                "apiVersion": "work.open-cluster-management.io/v1",
                "kind": "ManifestWork",
                "metadata": {"name": "w1", "namespace": "c1"},
                "spec": {"workload": {"manifests": [copy.deepcopy(deployment)]}},
            },
            {
                "apiVersion": "work.open-cluster-management.io/v1alpha1",
                "kind": "ManifestWorkReplicaSet",
                "metadata": {"name": "web", "namespace": "apps"},
                "spec": {
                    "placementRefs": [{"name": "p1", "rolloutStrategy": {"type": "All"}}],
                    "manifestWorkTemplate": {"workload": {"manifests": [deployment]}},
                },
            },
        ],
        "policy.yaml": [
            {
                "apiVersion": "policy.open-cluster-management.io/v1",
                "kind": "Policy",
                "metadata": {"name": "pol", "namespace": "apps"},
                "spec": {
                    "disabled": False,
                    "remediationAction": "inform",
                    "policy-templates": [
                        {
                            "objectDefinition": {
                                "apiVersion": "policy.open-cluster-management.io/v1",
                                "kind": "ConfigurationPolicy",
                                "metadata": {"name": "ns-exists"},
                                "spec": {
                                    "remediationAction": "inform",
                                    "severity": "low",
                                    "object-templates": [
                                        {
                                            "complianceType": "musthave",
                                            "objectDefinition": {
                                                "apiVersion": "v1",
                                                "kind": "Namespace",
                                                "metadata": {"name": "web"},
                                            },
                                        }
                                    ],
                                },
                            }
                        }
                    ],
                },
            },
            {
                "apiVersion": "policy.open-cluster-management.io/v1",
                "kind": "PlacementBinding",
                "metadata": {"name": "pb", "namespace": "apps"},
                "placementRef": {
                    "apiGroup": "cluster.open-cluster-management.io",
                    "kind": "Placement",
                    "name": "p1",
                },
                "subjects": [
                    {
                        "apiGroup": "policy.open-cluster-management.io",
                        "kind": "Policy",
                        "name": "pol",
                    }
                ],
            },
            {
                "apiVersion": "policy.open-cluster-management.io/v1beta1",
                "kind": "PolicySet",
                "metadata": {"name": "ps", "namespace": "apps"},
                "spec": {"policies": ["pol"]},
            },
        ],
    }


def check(tmp_path: Path, fleet: Fleet) -> list[Problem]:
    """Write the fleet and validate it."""
    for name, docs in fleet.items():
        (tmp_path / name).write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return validation.validate(source.load_directory(tmp_path))


def test_base_fleet_is_valid(tmp_path: Path) -> None:
    """The reference fleet of these tests has no problem at all."""
    assert [p.render() for p in check(tmp_path, base())] == []


def _set(path: str) -> Callable[[Fleet, Any], None]:
    """Return a mutator that sets ``file#doc/key/...`` to a value."""
    file, rest = path.split("#")
    index, *keys = rest.split("/")

    def mutate(fleet: Fleet, value: Any) -> None:
        node: Any = fleet[file][int(index)]
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _dup_manifest(fleet: Fleet, _: Any) -> None:
    manifests = fleet["work.yaml"][0]["spec"]["workload"]["manifests"]
    manifests.append(copy.deepcopy(manifests[0]))


def _big_manifest(fleet: Fleet, _: Any) -> None:
    manifest = fleet["work.yaml"][0]["spec"]["workload"]["manifests"][0]
    manifest["metadata"]["annotations"] = {"blob": "x" * (600 * 1024)}


def _unknown_set(fleet: Fleet, _: Any) -> None:
    binding = fleet["sets.yaml"][1]
    binding["metadata"]["name"] = binding["spec"]["clusterSet"] = "set-b"


def _dup_cluster(fleet: Fleet, _: Any) -> None:
    fleet["other.yaml"] = [copy.deepcopy(fleet["clusters.yaml"][0])]


_CONFIG = "policy.yaml#0/spec/policy-templates/0/objectDefinition/spec"
_OBJECT = f"{_CONFIG}/object-templates/0/objectDefinition"


def _no_remediation(fleet: Fleet, _: Any) -> None:
    policy = fleet["policy.yaml"][0]["spec"]
    del policy["remediationAction"]
    del policy["policy-templates"][0]["objectDefinition"]["spec"]["remediationAction"]


def _secret_feedback(fleet: Fleet, path: Any) -> None:
    spec = fleet["work.yaml"][0]["spec"]
    spec["workload"]["manifests"].append(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "web"}}
    )
    spec["manifestConfigs"] = [
        {
            "resourceIdentifier": {"resource": "secrets", "name": "db", "namespace": "web"},
            "feedbackRules": [{"type": "JSONPaths", "jsonPaths": [{"name": "v", "path": path}]}],
        }
    ]


def _plain_secret(fleet: Fleet, values: Any) -> None:
    fleet["work.yaml"][0]["spec"]["workload"]["manifests"].append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "web"},
            **values,
        }
    )


def _raw_templates(fleet: Fleet, value: Any) -> None:
    config = fleet["policy.yaml"][0]["spec"]["policy-templates"][0]["objectDefinition"]["spec"]
    del config["object-templates"]
    config["object-templates-raw"] = value


CASES: list[tuple[str, Callable[[Fleet, Any], None], Any, str, str]] = [
    ("duplicate-identity", _dup_cluster, None, "M301", "/metadata/name"),
    ("unknown-kind", _set("sets.yaml#0/kind"), "ClusterSet", "M302", "/kind"),
    (
        "wrong-apiversion",
        _set("placement.yaml#0/apiVersion"),
        "cluster.open-cluster-management.io/v1alpha1",
        "M303",
        "/apiVersion",
    ),
    (
        "work-namespace-not-cluster",
        _set("work.yaml#0/metadata/namespace"),
        "c9",
        "M304",
        "/metadata/namespace",
    ),
    (
        "mwrs-dangling-placement",
        _set("work.yaml#1/spec/placementRefs/0/name"),
        "nope",
        "M305",
        "/spec/placementRefs/0/name",
    ),
    (
        "binding-dangling-placement",
        _set("policy.yaml#1/placementRef/name"),
        "nope",
        "M306",
        "/placementRef/name",
    ),
    (
        "binding-placementrule",
        _set("policy.yaml#1/placementRef/kind"),
        "PlacementRule",
        "M306",
        "/placementRef/kind",
    ),
    (
        "binding-dangling-subject",
        _set("policy.yaml#1/subjects/0/name"),
        "nope",
        "M307",
        "/subjects/0/name",
    ),
    (
        "policyset-dangling-member",
        _set("policy.yaml#2/spec/policies/0"),
        "nope",
        "M308",
        "/spec/policies/0",
    ),
    (
        "setbinding-name-differs",
        _set("sets.yaml#1/spec/clusterSet"),
        "global",
        "M310",
        "/spec/clusterSet",
    ),
    (
        "setbinding-unknown-set",
        _unknown_set,
        None,
        "M309",
        "/spec/clusterSet",
    ),
    (
        "bad-label-selector",
        _set("placement.yaml#0/spec/predicates/0/requiredClusterSelector/labelSelector"),
        {"matchExpressions": [{"key": "a", "operator": "In"}]},
        "M311",
        "/spec/predicates/0/requiredClusterSelector/labelSelector/matchExpressions/0/values",
    ),
    (
        "bad-label-value",
        _set("placement.yaml#0/spec/predicates/0/requiredClusterSelector/labelSelector"),
        {"matchLabels": {"a": "not ok!"}},
        "M311",
        "/spec/predicates/0/requiredClusterSelector/labelSelector/matchLabels/a",
    ),
    (
        "toleration-empty-key",
        _set("placement.yaml#0/spec/tolerations/0"),
        {"operator": "Equal", "value": "x"},
        "M312",
        "/spec/tolerations/0/operator",
    ),
    (
        "toleration-exists-value",
        _set("placement.yaml#0/spec/tolerations/0"),
        {"key": "k", "operator": "Exists", "value": "x"},
        "M312",
        "/spec/tolerations/0/value",
    ),
    (
        "rollout-bad-duration",
        _set("work.yaml#1/spec/placementRefs/0/rolloutStrategy"),
        {"type": "Progressive", "progressive": {"progressDeadline": "10 minutes"}},
        "M313",
        "/spec/placementRefs/0/rolloutStrategy/progressive/progressDeadline",
    ),
    (
        "rollout-bad-percentage",
        _set("work.yaml#1/spec/placementRefs/0/rolloutStrategy"),
        {"type": "Progressive", "progressive": {"maxConcurrency": "150%"}},
        "M314",
        "/spec/placementRefs/0/rolloutStrategy/progressive/maxConcurrency",
    ),
    (
        "manifest-without-name",
        _set("work.yaml#0/spec/workload/manifests/0/metadata"),
        {"namespace": "web"},
        "M315",
        "/spec/workload/manifests/0/metadata",
    ),
    (
        "manifest-generatename",
        _set("work.yaml#0/spec/workload/manifests/0/metadata"),
        {"generateName": "web-"},
        "M316",
        "/spec/workload/manifests/0/metadata/generateName",
    ),
    ("duplicate-manifest", _dup_manifest, None, "M317", "/spec/workload/manifests/1/metadata/name"),
    ("work-too-large", _big_manifest, None, "M318", "/spec/workload/manifests"),
    (
        "cluster-name-not-dns-label",
        _set("clusters.yaml#0/metadata/name"),
        "Cluster_1",
        "M319",
        "/metadata/name",
    ),
    (
        "policy-label-too-long",
        _set("policy.yaml#0/metadata/name"),
        "p" * 60,
        "M320",
        "/metadata/name",
    ),
    ("mwrs-label-too-long", _set("work.yaml#1/metadata/name"), "w" * 60, "M320", "/metadata/name"),
    (
        "manifest-without-kind",
        _set("work.yaml#0/spec/workload/manifests/0/kind"),
        "",
        "M321",
        "/spec/workload/manifests/0",
    ),
    (
        "unknown-prioritizer",
        _set("placement.yaml#0/spec/prioritizerPolicy"),
        {"configurations": [{"scoreCoordinate": {"builtIn": "Spread"}, "weight": 1}]},
        "M326",
        "/spec/prioritizerPolicy/configurations/0/scoreCoordinate/builtIn",
    ),
    (
        "unknown-prioritizer-last-weight-wins",
        _set("placement.yaml#0/spec/prioritizerPolicy"),
        {
            "configurations": [
                {"scoreCoordinate": {"builtIn": "Spread"}, "weight": 0},
                {"scoreCoordinate": {"builtIn": "Spread"}, "weight": 2},
            ]
        },
        "M326",
        "/spec/prioritizerPolicy/configurations/1/scoreCoordinate/builtIn",
    ),
    (
        "addon-prioritizer-without-addon",
        _set("placement.yaml#0/spec/prioritizerPolicy"),
        {"mode": "Exact", "configurations": [{"scoreCoordinate": {"type": "AddOn"}}]},
        "M326",
        "/spec/prioritizerPolicy/configurations/0/scoreCoordinate",
    ),
    (
        "work-with-empty-manifests",
        _set("work.yaml#0/spec/workload/manifests"),
        [],
        "M328",
        "/spec/workload/manifests",
    ),
    ("work-without-workload", _set("work.yaml#0/spec"), {}, "M328", "/spec"),
    (
        "mwrs-with-empty-manifests",
        _set("work.yaml#1/spec/manifestWorkTemplate/workload"),
        {},
        "M328",
        "/spec/manifestWorkTemplate/workload",
    ),
    (
        "executor-without-serviceaccount",
        _set("work.yaml#0/spec/executor"),
        {"subject": {"type": "ServiceAccount"}},
        "M329",
        "/spec/executor/subject",
    ),
    (
        "client-config-not-https",
        _set("clusters.yaml#0/spec/managedClusterClientConfigs"),
        [{"url": "http://api.c1.example.com:6443"}],
        "M330",
        "/spec/managedClusterClientConfigs/0/url",
    ),
    (
        "client-config-bad-port",
        _set("clusters.yaml#0/spec/managedClusterClientConfigs"),
        [{"url": "https://api.c1.example.com:port"}],
        "M330",
        "/spec/managedClusterClientConfigs/0/url",
    ),
    (
        "unknown-prioritizer-mode",
        _set("placement.yaml#0/spec/prioritizerPolicy"),
        {"mode": "Sum"},
        "M331",
        "/spec/prioritizerPolicy/mode",
    ),
    (
        "hub-template",
        _set(f"{_OBJECT}/metadata/name"),
        '{{hub fromConfigMap "apps" "names" "web" hub}}',
        "M332",
        "/spec/policy-templates/0/objectDefinition/spec/object-templates/0/objectDefinition"
        "/metadata/name",
    ),
    (
        "managed-cluster-template",
        _set(f"{_OBJECT}/metadata/labels"),
        {"owner": '{{ fromSecret "apps" "s" "owner" }}'},
        "M332",
        "/spec/policy-templates/0/objectDefinition/spec/object-templates/0/objectDefinition"
        "/metadata/labels/owner",
    ),
    (
        "object-templates-raw",
        _raw_templates,
        "{{ range $i := until 2 }}- complianceType: musthave{{ end }}",
        "M332",
        "/spec/policy-templates/0/objectDefinition/spec/object-templates-raw",
    ),
    (
        "policy-remediation-both-unset",
        _no_remediation,
        None,
        "M335",
        "/spec/policy-templates/0/objectDefinition/spec",
    ),
    (
        "policyset-exclusion-not-a-member",
        _set("policy.yaml#2/spec/exclusions"),
        [{"policyName": "other", "clusterNames": ["c1"]}],
        "M336",
        "/spec/exclusions/0/policyName",
    ),
    (
        "policyset-exclusion-twice",
        _set("policy.yaml#2/spec/exclusions"),
        [
            {"policyName": "pol", "clusterNames": ["c1"]},
            {"policyName": "pol", "clusterNames": ["c2"]},
        ],
        "M336",
        "/spec/exclusions/1/policyName",
    ),
    (
        "group-claim-selector",
        _set("placement.yaml#0/spec/decisionStrategy"),
        {
            "groupStrategy": {
                "decisionGroups": [
                    {
                        "groupName": "canary",
                        "groupClusterSelector": {
                            "claimSelector": {
                                "matchExpressions": [{"key": "region", "operator": "In"}]
                            }
                        },
                    }
                ]
            }
        },
        "M311",
        "/spec/decisionStrategy/groupStrategy/decisionGroups/0/groupClusterSelector"
        "/claimSelector/matchExpressions/0/values",
    ),
    (
        "cel-does-not-compile",
        _set("placement.yaml#0/spec/predicates/0/requiredClusterSelector/celSelector"),
        {"celExpressions": ['managedCluster.metadata.labels["a"] ==']},
        "M334",
        "/spec/predicates/0/requiredClusterSelector/celSelector/celExpressions/0",
    ),
]


@pytest.mark.parametrize(
    ("name", "mutate", "value", "code", "pointer"), CASES, ids=[c[0] for c in CASES]
)
def test_meaning_rule(
    name: str,
    mutate: Callable[[Fleet, Any], None],
    value: Any,
    code: str,
    pointer: str,
    tmp_path: Path,
) -> None:
    """Breaking one rule yields exactly that code at that pointer, with a line."""
    fleet = base()
    mutate(fleet, value)
    found = check(tmp_path, fleet)
    hits = [p for p in found if p.code == code]
    assert hits, [p.render() for p in found]
    assert hits[0].pointer == pointer
    assert hits[0].line >= 1
    assert hits[0].file.endswith(".yaml")


@pytest.mark.parametrize(
    ("mutate", "value", "code"),
    [
        (_set("placement.yaml#0/spec/clusterSets"), ["set-x"], "M322"),
        (
            _set("policy.yaml#0/spec/dependencies"),
            [
                {
                    "apiVersion": "policy.open-cluster-management.io/v1",
                    "kind": "Policy",
                    "name": "ghost",
                    "compliance": "Compliant",
                }
            ],
            "M325",
        ),
        (_plain_secret, {"data": {"password": "aHVudGVyMg=="}}, "M337"),
        (_plain_secret, {"stringData": {"password": "hunter2"}}, "M337"),
    ],
    ids=[
        "unbound-clusterset",
        "unknown-dependency",
        "plaintext-secret-data",
        "plaintext-secret-stringdata",
    ],
)
def test_warnings_do_not_invalidate(
    mutate: Callable[[Fleet, Any], None], value: Any, code: str, tmp_path: Path
) -> None:
    """Findings that OCM tolerates are warnings: reported, but the fleet stays valid."""
    fleet = base()
    mutate(fleet, value)
    found = check(tmp_path, fleet)
    assert [(p.code, p.severity) for p in found] == [(code, Severity.WARNING)]


@pytest.mark.parametrize(
    "path",
    [".data.password", "{.stringData}", "..password", "."],
    ids=["data", "stringdata", "recursive", "whole-object"],
)
def test_secret_feedback_is_refused(path: str, tmp_path: Path) -> None:
    """A JSONPaths feedback rule that would return a Secret's values is error M333."""
    fleet = base()
    _secret_feedback(fleet, path)
    found = check(tmp_path, fleet)
    assert [(p.code, p.severity) for p in found] == [("M333", Severity.ERROR)]


def test_plaintext_secret_is_an_error_when_sealed_only(tmp_path: Path) -> None:
    """With ``secrets: sealed-only`` a plaintext Secret in a work is error M337."""
    fleet = base()
    _plain_secret(fleet, {"stringData": {"password": "hunter2"}})
    (tmp_path / ".gitops-ocm.yaml").write_text("secrets: sealed-only\n")
    found = check(tmp_path, fleet)
    assert [(p.code, p.severity, p.pointer) for p in found] == [
        ("M337", Severity.ERROR, "/spec/workload/manifests/1")
    ]


def test_bare_secret_is_m337_not_unknown_kind(tmp_path: Path) -> None:
    """A bare plaintext Secret on main is warning M337 (error when sealed-only), not M302."""
    fleet = base()
    fleet["secret.yaml"] = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "web"},
            "stringData": {"password": "hunter2"},
        }
    ]
    found = check(tmp_path, fleet)
    assert [(p.code, p.severity, p.file) for p in found] == [
        ("M337", Severity.WARNING, "secret.yaml")
    ]
    (tmp_path / ".gitops-ocm.yaml").write_text("secrets: sealed-only\n")
    assert [p.severity for p in check(tmp_path, fleet)] == [Severity.ERROR]


def test_sealed_secret_in_a_work_is_schema_checked(tmp_path: Path) -> None:
    """A SealedSecret manifest is valid as sealed, and a malformed value is S205 inside the work."""
    fleet = base()
    value = (
        "v1:SHA256:qqj/9wO1CyKX9PbhNQj3JCDZb9Aeu4TLB0RJyq72QEE:"
        "pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=:AgICAgICAgICAgIC:wGvd6cyC00/C5gke0+oAlJ4="
    )
    sealed = {
        "apiVersion": "gitops-ocm.io/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": "db", "namespace": "web"},
        "spec": {"encryptedData": {"password": value}},
    }
    fleet["work.yaml"][0]["spec"]["workload"]["manifests"].append(sealed)
    assert check(tmp_path, fleet) == []
    sealed["spec"]["encryptedData"]["password"] = "hunter2"
    found = check(tmp_path, fleet)
    assert [(p.code, p.pointer) for p in found] == [
        ("S205", "/spec/workload/manifests/1/spec/encryptedData/password")
    ]


def test_invalid_secrets_setting_is_s204(tmp_path: Path) -> None:
    """An unknown ``secrets`` mode in .gitops-ocm.yaml is S204."""
    (tmp_path / ".gitops-ocm.yaml").write_text("secrets: never\n")
    found = check(tmp_path, base())
    assert [(p.code, p.pointer) for p in found] == [("S204", "/secrets")]


def test_builtin_sets_need_no_declaration(tmp_path: Path) -> None:
    """Bindings to the built-in default and global sets are valid without declaring them."""
    fleet = base()
    for name in ("default", "global"):
        fleet["sets.yaml"].append(
            {
                "apiVersion": "cluster.open-cluster-management.io/v1beta2",
                "kind": "ManagedClusterSetBinding",
                "metadata": {"name": name, "namespace": "apps"},
                "spec": {"clusterSet": name},
            }
        )
    assert check(tmp_path, fleet) == []


ACCEPTED_BY_OCM = [
    (
        "unknown-prioritizer-weight-0",
        _set("placement.yaml#0/spec/prioritizerPolicy"),
        {"configurations": [{"scoreCoordinate": {"builtIn": "Spread"}, "weight": 0}]},
    ),
    (
        "unknown-prioritizer-last-weight-0",
        _set("placement.yaml#0/spec/prioritizerPolicy"),
        {
            "configurations": [
                {"scoreCoordinate": {"builtIn": "Spread"}, "weight": 3},
                {"scoreCoordinate": {"builtIn": "Spread"}, "weight": 0},
            ]
        },
    ),
    (
        "addon-without-addon-weight-0",
        _set("placement.yaml#0/spec/prioritizerPolicy"),
        {"configurations": [{"scoreCoordinate": {"type": "AddOn"}, "weight": 0}]},
    ),
    ("empty-mode-is-additive", _set("placement.yaml#0/spec/prioritizerPolicy"), {"mode": ""}),
    (
        "secret-feedback-on-status",
        _secret_feedback,
        ".status.phase",
    ),
    (
        "template-braces-in-a-work",
        _set("work.yaml#0/spec/workload/manifests/0/metadata/annotations"),
        {"note": "{{ literal in a ManifestWork: OCM applies it as text }}"},
    ),
    (
        "remediation-on-the-policy-only",
        _set("policy.yaml#0/spec/policy-templates/0/objectDefinition/spec/remediationAction"),
        "inform",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "value"), [c[1:] for c in ACCEPTED_BY_OCM], ids=[c[0] for c in ACCEPTED_BY_OCM]
)
def test_values_ocm_accepts_are_no_problem(
    mutate: Callable[[Fleet, Any], None], value: Any, tmp_path: Path
) -> None:
    """What OCM accepts and ignores (a prioritizer of weight 0, ...) is not a problem."""
    fleet = base()
    mutate(fleet, value)
    assert [p.render() for p in check(tmp_path, fleet)] == []


def test_duplicate_manifest_is_reported_on_the_second_manifest(tmp_path: Path) -> None:
    """M317 lands on the second of two equal manifests, not on the list or the first one."""
    fleet = base()
    manifests = fleet["work.yaml"][0]["spec"]["workload"]["manifests"]
    manifests.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    manifests.append(copy.deepcopy(manifests[0]))
    manifests.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "y"}})
    found = [p for p in check(tmp_path, fleet) if p.code == "M317"]
    lines = (tmp_path / "work.yaml").read_text().splitlines()
    second = [i for i, text in enumerate(lines, 1) if text.strip() == "name: web"][1]
    assert [(p.pointer, p.line) for p in found] == [
        ("/spec/workload/manifests/2/metadata/name", second)
    ]


@pytest.mark.parametrize(("extra", "refused"), [(0, False), (1, True)], ids=["at-limit", "over"])
def test_manifest_size_limit_edge(extra: int, refused: bool, tmp_path: Path) -> None:
    """The limit is on the sum of the manifests' JSON sizes: 500 KiB is valid, a byte more not."""
    fleet = base()
    manifests = fleet["work.yaml"][0]["spec"]["workload"]["manifests"]
    manifests.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}})
    size = sum(len(json.dumps(m, separators=(",", ":"))) for m in manifests)
    padding = works.MANIFEST_LIMIT - size - len(',"data":{"x":""}') + extra
    manifests[-1]["data"] = {"x": "a" * padding}
    found = [p.code for p in check(tmp_path, fleet)]
    assert ("M318" in found) is refused, found
