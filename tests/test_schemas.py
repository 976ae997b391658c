"""Tests for the JSON Schemas in schemas/ and the structure tier that uses them."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml

from gitops_ocm.validation import structure

MANAGED_CLUSTER = """
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: cluster1
  labels:
    cluster.open-cluster-management.io/clusterset: prod
    region: eu-west-1
  annotations:
    open-cluster-management.io/image-registries: '{"registries": []}'
spec:
  hubAcceptsClient: true
  leaseDurationSeconds: 60
  managedClusterClientConfigs:
    - url: https://api.cluster1.example.com:6443
      caBundle: LS0tLS1CRUdJTi0tLS0t
  taints:
    - key: gpu
      value: "true"
      effect: PreferNoSelect
    - key: cluster.open-cluster-management.io/unreachable
      effect: NoSelect
      timeAdded: "2024-05-01T10:00:00Z"
status:
  conditions:
    - type: ManagedClusterConditionAvailable
      status: "True"
      reason: ManagedClusterAvailable
      message: Managed cluster is available
      lastTransitionTime: "2024-05-01T10:00:00Z"
  capacity:
    cpu: "16"
    memory: 64Gi
  allocatable:
    cpu: 15500m
    memory: 60Gi
  version:
    kubernetes: v1.30.2
  clusterClaims:
    - name: id.k8s.io
      value: 0d4a5c1e
"""

MANAGED_CLUSTER_SET = """
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSet
metadata:
  name: prod
spec:
  clusterSelector:
    selectorType: LabelSelector
    labelSelector:
      matchLabels:
        env: prod
      matchExpressions:
        - key: region
          operator: In
          values: [eu-west-1, us-east-1]
"""

MANAGED_CLUSTER_SET_EXCLUSIVE = """
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSet
metadata:
  name: dev
spec:
  clusterSelector:
    selectorType: ExclusiveClusterSetLabel
"""

BINDING = """
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata:
  name: prod
  namespace: apps
spec:
  clusterSet: prod
"""

PLACEMENT = """
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata:
  name: web
  namespace: apps
spec:
  clusterSets: [prod]
  numberOfClusters: 3
  predicates:
    - requiredClusterSelector:
        labelSelector:
          matchLabels:
            env: prod
          matchExpressions:
            - key: region
              operator: NotIn
              values: [cn-north-1]
        claimSelector:
          matchExpressions:
            - key: platform.open-cluster-management.io
              operator: In
              values: [AWS]
        celSelector:
          celExpressions:
            - managedCluster.metadata.labels["version"] >= "v1.30"
  tolerations:
    - key: gpu
      operator: Exists
    - key: cluster.open-cluster-management.io/unreachable
      operator: Exists
      effect: NoSelect
      tolerationSeconds: 300
  prioritizerPolicy:
    mode: Exact
    configurations:
      - scoreCoordinate:
          type: BuiltIn
          builtIn: ResourceAllocatableMemory
        weight: 2
      - scoreCoordinate:
          type: AddOn
          addOn:
            resourceName: resource-usage-score
            scoreName: cpuAvailable
        weight: -1
  spreadPolicy:
    spreadConstraints:
      - topologyKey: topology.kubernetes.io/zone
        topologyKeyType: Label
        maxSkew: 2
        whenUnsatisfiable: DoNotSchedule
  decisionStrategy:
    groupStrategy:
      clustersPerDecisionGroup: 25%
      decisionGroups:
        - groupName: canary
          groupClusterSelector:
            labelSelector:
              matchLabels:
                canary: "true"
"""

PLACEMENT_DECISION = """
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: PlacementDecision
metadata:
  name: web-decision-1
  namespace: apps
  labels:
    cluster.open-cluster-management.io/placement: web
    cluster.open-cluster-management.io/decision-group-index: "0"
  ownerReferences:
    - apiVersion: cluster.open-cluster-management.io/v1beta1
      kind: Placement
      name: web
      uid: 5f8d6c1e-0000-4000-8000-000000000001
      controller: true
      blockOwnerDeletion: true
status:
  decisions:
    - clusterName: cluster1
      reason: ""
"""

SCORE = """
apiVersion: cluster.open-cluster-management.io/v1alpha1
kind: AddOnPlacementScore
metadata:
  name: resource-usage-score
  namespace: cluster1
status:
  conditions:
    - type: AddOnPlacementScoreUpdated
      status: "True"
      reason: ScoreUpdated
      message: ok
      lastTransitionTime: "2024-05-01T10:00:00Z"
  scores:
    - name: cpuAvailable
      value: 66
  validUntil: "2024-05-01T11:00:00Z"
"""

MANIFEST_WORK = """
apiVersion: work.open-cluster-management.io/v1
kind: ManifestWork
metadata:
  name: web
  namespace: cluster1
spec:
  workload:
    manifests:
      - apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
                - name: web
                  image: nginx:1.27
  manifestConfigs:
    - resourceIdentifier:
        group: apps
        resource: deployments
        name: web
        namespace: default
      feedbackRules:
        - type: WellKnownStatus
        - type: JSONPaths
          jsonPaths:
            - name: replicas
              path: .spec.replicas
      updateStrategy:
        type: ServerSideApply
        serverSideApply:
          force: true
          fieldManager: work-agent-web
          ignoreFields:
            - condition: OnSpokeChange
              jsonPaths: [.spec.replicas]
      conditionRules:
        - type: CEL
          condition: Progressing
          celExpressions:
            - object.status.updatedReplicas == object.spec.replicas
          messageExpression: "'rolled out'"
        - type: WellKnownConditions
          condition: Complete
  deleteOption:
    propagationPolicy: SelectivelyOrphan
    selectivelyOrphans:
      orphaningRules:
        - group: ""
          resource: configmaps
          name: web-config
          namespace: default
    ttlSecondsAfterFinished: 3600
  executor:
    subject:
      type: ServiceAccount
      serviceAccount:
        namespace: default
        name: deployer
"""

MWRS = """
apiVersion: work.open-cluster-management.io/v1alpha1
kind: ManifestWorkReplicaSet
metadata:
  name: web
  namespace: apps
spec:
  placementRefs:
    - name: web
      rolloutStrategy:
        type: Progressive
        progressive:
          maxConcurrency: 25%
          minSuccessTime: 5m
          progressDeadline: 10m
          maxFailures: 1
          mandatoryDecisionGroups:
            - groupName: canary
    - name: web-all
      rolloutStrategy:
        type: All
        all:
          progressDeadline: None
  manifestWorkTemplate:
    workload:
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: web
            namespace: default
          spec:
            replicas: 2
            selector:
              matchLabels: {app: web}
            template:
              metadata:
                labels: {app: web}
              spec:
                containers:
                  - name: web
                    image: nginx:1.27
"""

POLICY = """
apiVersion: policy.open-cluster-management.io/v1
kind: Policy
metadata:
  name: policy-namespace
  namespace: policies
  annotations:
    policy.open-cluster-management.io/standards: NIST SP 800-53
spec:
  disabled: false
  remediationAction: enforce
  dependencies:
    - apiVersion: policy.open-cluster-management.io/v1
      kind: Policy
      name: base
      namespace: policies
      compliance: Compliant
  policy-templates:
    - objectDefinition:
        apiVersion: policy.open-cluster-management.io/v1
        kind: ConfigurationPolicy
        metadata:
          name: policy-namespace-example
        spec:
          remediationAction: inform
          severity: low
          evaluationInterval:
            compliant: 10m
            noncompliant: 30s
          namespaceSelector:
            include: ["default", "app-*"]
            exclude: ["kube-*"]
            matchExpressions: []
          pruneObjectBehavior: DeleteIfCreated
          object-templates:
            - complianceType: musthave
              recordDiff: InStatus
              objectDefinition:
                kind: Namespace
                apiVersion: v1
                metadata:
                  name: prod
            - complianceType: mustonlyhave
              metadataComplianceType: musthave
              objectDefinition:
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {mode: strict}
    - objectDefinition:
        apiVersion: policy.open-cluster-management.io/v1beta1
        kind: OperatorPolicy
        metadata:
          name: install-operator
        spec:
          anything: [goes, here]
      ignorePending: true
"""

PLACEMENT_BINDING = """
apiVersion: policy.open-cluster-management.io/v1
kind: PlacementBinding
metadata:
  name: binding-policy-namespace
  namespace: policies
placementRef:
  name: web
  kind: Placement
  apiGroup: cluster.open-cluster-management.io
subjects:
  - name: policy-namespace
    kind: Policy
    apiGroup: policy.open-cluster-management.io
  - name: baseline
    kind: PolicySet
    apiGroup: policy.open-cluster-management.io
"""

POLICY_SET = """
apiVersion: policy.open-cluster-management.io/v1beta1
kind: PolicySet
metadata:
  name: baseline
  namespace: policies
spec:
  description: Baseline policies
  policies: [policy-namespace, policy-pod]
"""

CONFIGURATION_POLICY = """
apiVersion: policy.open-cluster-management.io/v1
kind: ConfigurationPolicy
metadata:
  name: policy-namespace-example
  namespace: cluster1
spec:
  remediationAction: enforce
  object-templates-raw: |
    - complianceType: musthave
      objectDefinition: {}
"""

SEALED_SECRET = """
apiVersion: gitops-ocm.io/v1alpha1
kind: SealedSecret
metadata:
  name: db
  namespace: apps
spec:
  encryptedData:
    password: "v1:SHA256:qqj/9wO1CyKX9PbhNQj3JCDZb9Aeu4TLB0RJyq72QEE:\\
      pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk=:AgICAgICAgICAgIC:wGvd6cyC00/C5gke0+oAlJ4="
  template:
    labels:
      app: db
    type: Opaque
"""

ACCEPTED: dict[str, tuple[str, str]] = {
    "managedcluster-with-status": ("ManagedCluster", MANAGED_CLUSTER),
    "managedclusterset-labelselector": ("ManagedClusterSet", MANAGED_CLUSTER_SET),
    "managedclusterset-exclusive": ("ManagedClusterSet", MANAGED_CLUSTER_SET_EXCLUSIVE),
    "managedclustersetbinding": ("ManagedClusterSetBinding", BINDING),
    "placement-every-feature": ("Placement", PLACEMENT),
    "placementdecision": ("PlacementDecision", PLACEMENT_DECISION),
    "addonplacementscore": ("AddOnPlacementScore", SCORE),
    "manifestwork-manifestconfigs": ("ManifestWork", MANIFEST_WORK),
    "mwrs-progressive": ("ManifestWorkReplicaSet", MWRS),
    "policy-configurationpolicy": ("Policy", POLICY),
    "placementbinding": ("PlacementBinding", PLACEMENT_BINDING),
    "policyset": ("PolicySet", POLICY_SET),
    "configurationpolicy-raw-templates": ("ConfigurationPolicy", CONFIGURATION_POLICY),
    "sealedsecret": ("SealedSecret", SEALED_SECRET),
}


def load(text: str) -> dict[str, Any]:
    """Parse one YAML document."""
    body = yaml.safe_load(text)
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("name", sorted(p.name for p in structure.schema_dir().glob("*.json")))
def test_schema_file_is_valid_draft_2020_12(name: str) -> None:
    """Every schema file is itself a valid draft 2020-12 schema with an $id."""
    schema = json.loads((structure.schema_dir() / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + name)


@pytest.mark.parametrize(("kind", "text"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_ocm_examples_are_accepted(kind: str, text: str) -> None:
    """Documents that OCM's own CRDs accept produce no findings."""
    assert structure.check(kind, load(text)) == []


def test_every_kind_has_an_accepted_example() -> None:
    """The accepted table covers every kind that has a schema."""
    assert {kind for kind, _ in ACCEPTED.values()} == set(structure.schema_files())


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Return a copy of ``body`` with the value at a slash path replaced (or deleted)."""
    body = copy.deepcopy(body)
    *parents, last = [int(t) if t.isdigit() else t for t in path.strip("/").split("/")]
    node: Any = body
    for token in parents:
        node = node[token]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return body


_DELETE = object()

# (id, kind, base document, path to change, new value, code, pointer, message fragment)
REJECTED: list[tuple[str, str, str, str, Any, str, str, str]] = [
    (
        "unknown-field-did-you-mean",
        "Placement",
        PLACEMENT,
        "/spec/numberOfCluster",
        3,
        "S201",
        "/spec/numberOfCluster",
        "unknown field 'numberOfCluster'; did you mean 'numberOfClusters'?",
    ),
    (
        "unknown-field-no-hint",
        "ManagedCluster",
        MANAGED_CLUSTER,
        "/spec/zzz",
        1,
        "S201",
        "/spec/zzz",
        "unknown field 'zzz'",
    ),
    (
        "unknown-metadata-field",
        "PolicySet",
        POLICY_SET,
        "/metadata/label",
        {},
        "S201",
        "/metadata/label",
        "did you mean 'labels'?",
    ),
    (
        "unknown-field-in-embedded-configurationpolicy",
        "Policy",
        POLICY,
        "/spec/policy-templates/0/objectDefinition/spec/object-templates/0/complianceTyp",
        "musthave",
        "S201",
        "/spec/policy-templates/0/objectDefinition/spec/object-templates/0/complianceTyp",
        "did you mean 'complianceType'?",
    ),
    (
        "wrong-enum-taint-effect",
        "ManagedCluster",
        MANAGED_CLUSTER,
        "/spec/taints/0/effect",
        "NoSchedule",
        "S204",
        "/spec/taints/0/effect",
        "'effect' must be one of: NoSelect, PreferNoSelect, NoSelectIfNew",
    ),
    (
        "wrong-enum-compliance-type",
        "Policy",
        POLICY,
        "/spec/policy-templates/0/objectDefinition/spec/object-templates/0/complianceType",
        "mustHave",
        "S204",
        "/spec/policy-templates/0/objectDefinition/spec/object-templates/0/complianceType",
        "'complianceType' must be one of:",
    ),
    (
        "wrong-enum-rollout-type",
        "ManifestWorkReplicaSet",
        MWRS,
        "/spec/placementRefs/0/rolloutStrategy/type",
        "Canary",
        "S204",
        "/spec/placementRefs/0/rolloutStrategy/type",
        "must be one of: All, Progressive, ProgressivePerGroup",
    ),
    (
        "negative-number-of-clusters",
        "Placement",
        PLACEMENT,
        "/spec/numberOfClusters",
        -1,
        "S206",
        "/spec/numberOfClusters",
        "'numberOfClusters' must be >= 0",
    ),
    (
        "weight-above-maximum",
        "Placement",
        PLACEMENT,
        "/spec/prioritizerPolicy/configurations/0/weight",
        11,
        "S206",
        "/spec/prioritizerPolicy/configurations/0/weight",
        "'weight' must be <= 10",
    ),
    (
        "too-many-spread-constraints",
        "Placement",
        PLACEMENT,
        "/spec/spreadPolicy/spreadConstraints",
        [{"topologyKey": f"k{i}", "topologyKeyType": "Label"} for i in range(9)],
        "S206",
        "/spec/spreadPolicy/spreadConstraints",
        "must have at most 8 items",
    ),
    (
        "empty-subjects",
        "PlacementBinding",
        PLACEMENT_BINDING,
        "/subjects",
        [],
        "S206",
        "/subjects",
        "'subjects' must not be empty",
    ),
    (
        "wrong-type-number-of-clusters",
        "Placement",
        PLACEMENT,
        "/spec/numberOfClusters",
        "3",
        "S203",
        "/spec/numberOfClusters",
        "'numberOfClusters' must be of type integer",
    ),
    (
        "wrong-type-labels",
        "ManagedCluster",
        MANAGED_CLUSTER,
        "/metadata/labels",
        ["a"],
        "S203",
        "/metadata/labels",
        "'labels' must be of type object",
    ),
    (
        "wrong-type-disabled",
        "Policy",
        POLICY,
        "/spec/disabled",
        "no",
        "S203",
        "/spec/disabled",
        "must be of type boolean",
    ),
    (
        "missing-disabled",
        "Policy",
        POLICY,
        "/spec/disabled",
        _DELETE,
        "S202",
        "/spec",
        "missing required field 'disabled' in 'spec'",
    ),
    (
        "missing-namespace",
        "Placement",
        PLACEMENT,
        "/metadata/namespace",
        _DELETE,
        "S202",
        "/metadata",
        "missing required field 'namespace'",
    ),
    (
        "missing-name",
        "ManagedCluster",
        MANAGED_CLUSTER,
        "/metadata/name",
        _DELETE,
        "S202",
        "/metadata",
        "missing required field 'name'",
    ),
    (
        "missing-manifest-kind",
        "ManifestWork",
        MANIFEST_WORK,
        "/spec/workload/manifests/0/kind",
        _DELETE,
        "S202",
        "/spec/workload/manifests/0",
        "missing required field 'kind' in 'manifests[0]'",
    ),
    (
        "pattern-toleration-key",
        "Placement",
        PLACEMENT,
        "/spec/tolerations/0/key",
        "bad key!",
        "S205",
        "/spec/tolerations/0/key",
        "'key' must match pattern",
    ),
    (
        "pattern-max-concurrency",
        "ManifestWorkReplicaSet",
        MWRS,
        "/spec/placementRefs/0/rolloutStrategy/progressive/maxConcurrency",
        "150%",
        "S205",
        "/spec/placementRefs/0/rolloutStrategy/progressive/maxConcurrency",
        "'maxConcurrency' must match pattern",
    ),
    (
        "pattern-metadata-name",
        "PolicySet",
        POLICY_SET,
        "/metadata/name",
        "Base_Line",
        "S205",
        "/metadata/name",
        "'name' must match pattern",
    ),
    (
        "pattern-label-key",
        "ManagedCluster",
        MANAGED_CLUSTER,
        "/metadata/labels/bad key",
        "x",
        "S205",
        "/metadata/labels/bad key",
        "must match pattern",
    ),
    (
        "cel-condition-rule-needs-condition",
        "ManifestWork",
        MANIFEST_WORK,
        "/spec/manifestConfigs/0/conditionRules/0/condition",
        "",
        "S206",
        "/spec/manifestConfigs/0/conditionRules/0/condition",
        "'condition' must not be empty",
    ),
    (
        "configurationpolicy-needs-templates",
        "ConfigurationPolicy",
        CONFIGURATION_POLICY,
        "/spec/object-templates-raw",
        _DELETE,
        "S202",
        "/spec",
        "must set exactly one of: object-templates, object-templates-raw",
    ),
    (
        "configurationpolicy-both-template-forms",
        "ConfigurationPolicy",
        CONFIGURATION_POLICY,
        "/spec/object-templates",
        [],
        "S207",
        "/spec",
        "must set exactly one of",
    ),
    (
        "dependency-on-configurationpolicy-has-no-namespace",
        "Policy",
        POLICY,
        "/spec/dependencies/0/kind",
        "ConfigurationPolicy",
        "S206",
        "/spec/dependencies/0/namespace",
        "'namespace' must be empty here",
    ),
    (
        "wrong-type-reported-once",
        "Placement",
        PLACEMENT,
        "/spec/sortBy",
        7,
        "S203",
        "/spec/sortBy",
        "'sortBy' must be of type string",
    ),
]


@pytest.mark.parametrize(
    ("kind", "text", "path", "value", "code", "ptr", "fragment"),
    [row[1:] for row in REJECTED],
    ids=[row[0] for row in REJECTED],
)
def test_invalid_documents_are_rejected(
    kind: str, text: str, path: str, value: Any, code: str, ptr: str, fragment: str
) -> None:
    """A broken document yields a finding with the expected code, pointer and message."""
    findings = structure.check(kind, _set(load(text), path, value))
    matching = [f for f in findings if f.code == code and f.pointer == ptr]
    assert matching, findings
    assert fragment in matching[0].message, matching[0].message
    assert [f for f in findings if f.pointer == ptr] == matching[:1], "one finding per place"


_REPLACEMENTS: list[Any] = [None, -1, 0, 11, "x", "", "150%", 1.5, True, [], [1], {}, {"zz": 1}]


def _mutants(body: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Yield (path, mutated document) for each place: deleted, replaced, or extended."""
    node: Any = body
    for token in path:
        node = node[token]
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else []
    )
    for key, _ in list(children):
        yield from _mutants(body, (*path, key))
    if isinstance(node, dict):
        yield path, _replace(body, path, {**node, "zz": 1})
    if path:
        for value in _REPLACEMENTS:
            yield path, _replace(body, path, value)
        if isinstance(path[-1], str):
            yield path, _replace(body, path, _DELETE)


def _replace(body: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """Return a copy of ``body`` with the value at ``path`` replaced or deleted."""
    if not path:
        return copy.deepcopy(value)
    body = copy.deepcopy(body)
    node = body
    for token in path[:-1]:
        node = node[token]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


@pytest.mark.parametrize(("kind", "text"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_compiled_check_agrees_with_jsonschema(kind: str, text: str) -> None:
    """The fast compiled check and jsonschema agree on every one-place mutation of a document."""
    fast = structure.fast_check(kind)
    slow = structure.validator(kind)
    assert slow is not None
    disagreements = []
    invalid = 0
    for path, mutant in _mutants(load(text)):
        expected = slow.is_valid(mutant)
        invalid += not expected
        if fast(mutant) != expected:
            disagreements.append((path, expected))
    assert not disagreements
    assert invalid > 0
