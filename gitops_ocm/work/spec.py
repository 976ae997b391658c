"""A ManifestWork as the agent needs it: manifests, per-resource configs, delete option.

Pure. Raw YAML stays at this edge: :func:`parse_work` turns a hub file's body into
frozen dataclasses with OCM's defaults filled in (strategy ``Update``, field
manager ``work-agent``, propagation ``Foreground``). A manifest's identity is its
``ResourceMeta`` (ordinal, group, version, kind, resource, name, namespace); the
plural and scope come from the cluster's discovery, passed in as ``resolve``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from gitops_ocm.model.body import Body

UPDATE, CREATE_ONLY, SERVER_SIDE_APPLY, READ_ONLY = (
    "Update",
    "CreateOnly",
    "ServerSideApply",
    "ReadOnly",
)
STRATEGIES = (UPDATE, CREATE_ONLY, SERVER_SIDE_APPLY, READ_ONLY)
DEFAULT_FIELD_MANAGER = "work-agent"
FOREGROUND, ORPHAN, SELECTIVELY_ORPHAN = "Foreground", "Orphan", "SelectivelyOrphan"


@dataclasses.dataclass(frozen=True)
class Scope:
    """What discovery says about a kind: its plural and whether it is namespaced."""

    resource: str
    namespaced: bool


Resolve = Callable[[str, str], Scope | None]
"""``resolve(apiVersion, kind)``: the kind's scope, or None when the cluster lacks it."""


@dataclasses.dataclass(frozen=True)
class ResourceId:
    """OCM's resourceIdentifier: group, resource (plural), name, namespace ("" = cluster)."""

    group: str
    resource: str
    name: str
    namespace: str


@dataclasses.dataclass(frozen=True)
class ResourceMeta:
    """OCM's resourceMeta of one manifest (resource is "" when discovery does not know it)."""

    ordinal: int
    group: str
    version: str
    kind: str
    resource: str
    name: str
    namespace: str

    @property
    def api_version(self) -> str:
        """The manifest's apiVersion."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def id(self) -> ResourceId:
        """The identifier manifestConfigs and orphaningRules match on."""
        return ResourceId(self.group, self.resource, self.name, self.namespace)

    def to_dict(self) -> Body:
        """The resourceMeta as written in status."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class IgnoreField:
    """A serverSideApply ignoreFields entry: when (OnSpokePresent|OnSpokeChange) and paths."""

    condition: str
    json_paths: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Strategy:
    """An updateStrategy with OCM's defaults."""

    type: str = UPDATE
    field_manager: str = DEFAULT_FIELD_MANAGER
    force: bool = False
    ignore_fields: tuple[IgnoreField, ...] = ()


@dataclasses.dataclass(frozen=True)
class JsonPath:
    """One JSONPaths feedback entry."""

    name: str
    path: str
    version: str = ""


@dataclasses.dataclass(frozen=True)
class FeedbackRule:
    """A feedbackRules entry: WellKnownStatus, or JSONPaths with its paths."""

    type: str
    json_paths: tuple[JsonPath, ...] = ()


@dataclasses.dataclass(frozen=True)
class ConditionRule:
    """A conditionRules entry: WellKnownConditions, or CEL expressions (ANDed)."""

    condition: str
    type: str
    cel_expressions: tuple[str, ...] = ()
    message: str = ""
    message_expression: str = ""


@dataclasses.dataclass(frozen=True)
class ManifestConfig:
    """Options for the manifest matching ``id``."""

    id: ResourceId
    strategy: Strategy = Strategy()
    feedback_rules: tuple[FeedbackRule, ...] = ()
    condition_rules: tuple[ConditionRule, ...] = ()


@dataclasses.dataclass(frozen=True)
class Work:
    """One ManifestWork for this cluster, parsed."""

    name: str
    labels: dict[str, str]
    manifests: tuple[Any, ...]
    configs: tuple[ManifestConfig, ...]
    propagation: str = FOREGROUND
    orphaning_rules: tuple[ResourceId, ...] = ()

    def config_for(self, rid: ResourceId) -> ManifestConfig:
        """Return the manifestConfig of a resource (the defaults when none matches)."""
        for config in self.configs:
            if config.id == rid:
                return config
        return ManifestConfig(rid)

    def orphans(self, rid: ResourceId) -> bool:
        """Whether deleting the work leaves this resource on the cluster."""
        if self.propagation == ORPHAN:
            return True
        return self.propagation == SELECTIVELY_ORPHAN and rid in self.orphaning_rules


def _dict(value: Any) -> Body:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _rid(raw: Any) -> ResourceId:
    raw = _dict(raw)
    return ResourceId(
        str(raw.get("group") or ""),
        str(raw.get("resource") or ""),
        str(raw.get("name") or ""),
        str(raw.get("namespace") or ""),
    )


def _strategy(raw: Any) -> Strategy:
    raw = _dict(raw)
    ssa = _dict(raw.get("serverSideApply"))
    ignores = tuple(
        IgnoreField(
            str(_dict(item).get("condition") or "OnSpokePresent"),
            tuple(str(p) for p in _list(_dict(item).get("jsonPaths"))),
        )
        for item in _list(ssa.get("ignoreFields"))
    )
    return Strategy(
        str(raw.get("type") or UPDATE),
        str(ssa.get("fieldManager") or DEFAULT_FIELD_MANAGER),
        bool(ssa.get("force", False)),
        ignores,
    )


def _feedback(raw: Any) -> FeedbackRule:
    raw = _dict(raw)
    paths = tuple(
        JsonPath(
            str(_dict(p).get("name", "")),
            str(_dict(p).get("path", "")),
            str(_dict(p).get("version") or ""),
        )
        for p in _list(raw.get("jsonPaths"))
    )
    return FeedbackRule(str(raw.get("type", "")), paths)


def _condition_rule(raw: Any) -> ConditionRule:
    raw = _dict(raw)
    return ConditionRule(
        str(raw.get("condition") or ""),
        str(raw.get("type") or ""),
        tuple(str(e) for e in _list(raw.get("celExpressions"))),
        str(raw.get("message") or ""),
        str(raw.get("messageExpression") or ""),
    )


def _config(raw: Any) -> ManifestConfig:
    raw = _dict(raw)
    return ManifestConfig(
        _rid(raw.get("resourceIdentifier")),
        _strategy(raw.get("updateStrategy")),
        tuple(_feedback(r) for r in _list(raw.get("feedbackRules"))),
        tuple(_condition_rule(r) for r in _list(raw.get("conditionRules"))),
    )


def parse_work(name: str, body: Any) -> Work:
    """Return the work in a hub file's body (tolerant: missing parts take OCM's defaults)."""
    body = _dict(body)
    spec = _dict(body.get("spec"))
    meta = _dict(body.get("metadata"))
    delete = _dict(spec.get("deleteOption"))
    rules = _dict(delete.get("selectivelyOrphans")).get("orphaningRules")
    return Work(
        name=name,
        labels={str(k): str(v) for k, v in _dict(meta.get("labels")).items()},
        manifests=tuple(_list(_dict(spec.get("workload")).get("manifests"))),
        configs=tuple(_config(c) for c in _list(spec.get("manifestConfigs"))),
        propagation=str(delete.get("propagationPolicy") or FOREGROUND),
        orphaning_rules=tuple(_rid(r) for r in _list(rules)),
    )


def resource_meta(ordinal: int, manifest: Any, resolve: Resolve) -> ResourceMeta:
    """Return a manifest's resourceMeta; namespaced kinds without a namespace get "default"."""
    raw = _dict(manifest)
    api_version = str(raw.get("apiVersion") or "")
    group, _, version = api_version.rpartition("/")
    kind = str(raw.get("kind") or "")
    meta = _dict(raw.get("metadata"))
    scope = resolve(api_version, kind) if kind and api_version else None
    namespace = str(meta.get("namespace") or "")
    if scope is not None:
        namespace = (namespace or "default") if scope.namespaced else ""
    return ResourceMeta(
        ordinal,
        group,
        version,
        kind,
        scope.resource if scope else "",
        str(meta.get("name") or ""),
        namespace,
    )
