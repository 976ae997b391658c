"""The resources the local API server serves: built-in kinds, plus CRDs registered at run time.

Pure data and lookups (the Registry is mutated only under the store's lock). The
built-in table covers what an apply/prune engine and the demo touch; any other
group/version/kind is served once a CustomResourceDefinition for it is created.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclasses.dataclass(frozen=True)
class Resource:
    """One served resource (one group/version/plural) and what it supports."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    status: bool = False
    scale: bool = False
    custom: bool = False
    generation: bool = False
    list_kind: str = ""
    singular: str = ""

    @property
    def api_version(self) -> str:
        """Return ``group/version`` (``v1`` for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        """Return the storage key: all versions of a group/plural share their objects."""
        return (self.group, self.plural)

    @property
    def tracks_generation(self) -> bool:
        """Return whether metadata.generation is maintained (spec-bearing kinds)."""
        return self.generation or self.custom

    def list_kind_name(self) -> str:
        """Return the kind of a list of these objects, e.g. ``ConfigMapList``."""
        return self.list_kind or f"{self.kind}List"

    def singular_name(self) -> str:
        """Return the singular resource name, e.g. ``configmap``."""
        return self.singular or self.kind.lower()


# group/version  plural  Kind  scope(N namespaced, C cluster)  shortNames
# flags: s status subresource, x scale subresource, g metadata.generation maintained
_BUILTINS = """
v1 namespaces Namespace C ns s
v1 configmaps ConfigMap N cm -
v1 secrets Secret N - -
v1 services Service N svc s
v1 serviceaccounts ServiceAccount N sa -
v1 pods Pod N po sg
v1 nodes Node C no s
v1 events Event N ev -
v1 endpoints Endpoints N ep -
v1 persistentvolumeclaims PersistentVolumeClaim N pvc s
v1 persistentvolumes PersistentVolume C pv s
v1 resourcequotas ResourceQuota N quota s
v1 limitranges LimitRange N limits -
v1 replicationcontrollers ReplicationController N rc sxg
apps/v1 deployments Deployment N deploy sxg
apps/v1 statefulsets StatefulSet N sts sxg
apps/v1 daemonsets DaemonSet N ds sg
apps/v1 replicasets ReplicaSet N rs sxg
apps/v1 controllerrevisions ControllerRevision N - -
batch/v1 jobs Job N - sg
batch/v1 cronjobs CronJob N cj sg
rbac.authorization.k8s.io/v1 roles Role N - -
rbac.authorization.k8s.io/v1 rolebindings RoleBinding N - -
rbac.authorization.k8s.io/v1 clusterroles ClusterRole C - -
rbac.authorization.k8s.io/v1 clusterrolebindings ClusterRoleBinding C - -
networking.k8s.io/v1 networkpolicies NetworkPolicy N netpol g
networking.k8s.io/v1 ingresses Ingress N ing sg
networking.k8s.io/v1 ingressclasses IngressClass C - -
policy/v1 poddisruptionbudgets PodDisruptionBudget N pdb sg
apiextensions.k8s.io/v1 customresourcedefinitions CustomResourceDefinition C crd,crds sg
coordination.k8s.io/v1 leases Lease N - -
storage.k8s.io/v1 storageclasses StorageClass C sc -
scheduling.k8s.io/v1 priorityclasses PriorityClass C pc -
autoscaling/v2 horizontalpodautoscalers HorizontalPodAutoscaler N hpa sg
admissionregistration.k8s.io/v1 validatingwebhookconfigurations ValidatingWebhookConfiguration C - -
admissionregistration.k8s.io/v1 mutatingwebhookconfigurations MutatingWebhookConfiguration C - -
discovery.k8s.io/v1 endpointslices EndpointSlice N - -
cluster.open-cluster-management.io/v1alpha1 clusterclaims ClusterClaim C - g
work.open-cluster-management.io/v1 appliedmanifestworks AppliedManifestWork C - sg
policy.open-cluster-management.io/v1 configurationpolicies ConfigurationPolicy N - sg
"""


def _parse_builtin(line: str) -> Resource:
    group_version, plural, kind, scope, shorts, flags = line.split()
    group, _, version = group_version.rpartition("/")
    return Resource(
        group=group,
        version=version,
        plural=plural,
        kind=kind,
        namespaced=scope == "N",
        short_names=tuple(s for s in shorts.split(",") if s != "-"),
        status="s" in flags,
        scale="x" in flags,
        generation="g" in flags,
    )


BUILTINS: tuple[Resource, ...] = tuple(
    _parse_builtin(line) for line in _BUILTINS.strip().splitlines()
)


def split_api_version(api_version: str) -> tuple[str, str]:
    """Split ``apps/v1`` into ``("apps", "v1")`` and ``v1`` into ``("", "v1")``."""
    group, _, version = api_version.rpartition("/")
    return group, version


def from_crd(crd: dict[str, Any]) -> list[Resource]:
    """Return the resources a CustomResourceDefinition serves (one per served version)."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    served = []
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or spec.get("subresources") or {}
        served.append(
            Resource(
                group=str(spec.get("group", "")),
                version=str(version.get("name", "")),
                plural=str(names.get("plural", "")),
                kind=str(names.get("kind", "")),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                status="status" in subresources,
                scale="scale" in subresources,
                custom=True,
                list_kind=str(names.get("listKind", "")),
                singular=str(names.get("singular", "")),
            )
        )
    return served


class Registry:
    """Lookup of served resources by plural or by kind; CRDs come and go."""

    def __init__(self, resources: Iterable[Resource] = BUILTINS) -> None:
        self._by_plural: dict[tuple[str, str, str], Resource] = {}
        for resource in resources:
            self.add(resource)

    def add(self, resource: Resource) -> None:
        """Serve ``resource`` (replacing one with the same group/version/plural)."""
        self._by_plural[(resource.group, resource.version, resource.plural)] = resource

    def remove_group_plural(self, group: str, plural: str) -> None:
        """Stop serving every version of ``group``/``plural`` (a CRD was deleted)."""
        for key in [k for k in self._by_plural if (k[0], k[2]) == (group, plural)]:
            del self._by_plural[key]

    def lookup(self, group: str, version: str, plural: str) -> Resource | None:
        """Return the resource at ``/apis/<group>/<version>/<plural>``, if served."""
        return self._by_plural.get((group, version, plural))

    def for_kind(self, api_version: str, kind: str) -> Resource | None:
        """Return the resource serving ``kind`` at ``api_version``, if any."""
        group, version = split_api_version(api_version)
        for resource in self._by_plural.values():
            if (resource.group, resource.version, resource.kind) == (group, version, kind):
                return resource
        return None

    def versions_of(self, group: str, plural: str) -> list[Resource]:
        """Return every served version of a group/plural."""
        return [r for r in self._by_plural.values() if (r.group, r.plural) == (group, plural)]

    def group_versions(self) -> dict[str, list[str]]:
        """Return group -> served versions, preferred (first registered) version first."""
        groups: dict[str, list[str]] = {}
        for resource in self._by_plural.values():
            versions = groups.setdefault(resource.group, [])
            if resource.version not in versions:
                versions.append(resource.version)
        return groups

    def in_group_version(self, group: str, version: str) -> list[Resource]:
        """Return the resources of one group/version, sorted by plural."""
        found = [r for r in self._by_plural.values() if (r.group, r.version) == (group, version)]
        return sorted(found, key=lambda r: r.plural)
