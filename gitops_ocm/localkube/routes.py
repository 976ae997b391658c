"""URL paths of the Kubernetes REST API, and the discovery documents the server answers with.

Pure. ``parse`` turns a path into a Route (which resource, namespace, name and
subresource); the discovery functions build ``/version``, ``/api``, ``/apis``,
``/apis/<g>`` and the APIResourceList of each group/version from the Registry.
"""

from __future__ import annotations

import dataclasses

from gitops_ocm.localkube import resources
from gitops_ocm.model.body import Body

GIT_VERSION = "v1.37.0-localkube"


@dataclasses.dataclass(frozen=True)
class Route:
    """A resource URL: ``namespace`` is None for an all-namespaces or cluster-scoped path."""

    resource: resources.Resource
    namespace: str | None
    name: str = ""
    subresource: str = ""


def split(path: str) -> list[str]:
    """Return the non-empty segments of a URL path."""
    return [p for p in path.split("?")[0].split("/") if p]


def group_version(parts: list[str]) -> tuple[str, str, list[str]] | None:
    """Split ``/api/v1/...`` or ``/apis/<g>/<v>/...`` into group, version and the rest."""
    if len(parts) >= 2 and parts[0] == "api":
        return "", parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[1], parts[2], parts[3:]
    return None


def parse(registry: resources.Registry, group: str, version: str, rest: list[str]) -> Route | None:
    """Resolve the part of a path after the group/version; None if nothing serves it."""
    if len(rest) >= 3 and rest[0] == "namespaces":
        res = registry.lookup(group, version, rest[2])
        if res is not None and res.namespaced and len(rest) <= 5:
            name = rest[3] if len(rest) > 3 else ""
            return Route(res, rest[1], name, rest[4] if len(rest) > 4 else "")
    if not rest or len(rest) > 3:
        return None
    res = registry.lookup(group, version, rest[0])
    if res is None:
        return None
    if res.namespaced and len(rest) > 1:
        return None
    return Route(res, None, rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else "")


def version_info() -> Body:
    """Return the ``/version`` document."""
    return {
        "major": "1",
        "minor": "37",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> Body:
    """Return the ``/api`` document (the core group's versions)."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group(group: str, versions: list[str]) -> Body:
    """Return the APIGroup document of one group."""
    listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": listed,
        "preferredVersion": listed[0],
    }


def api_group_list(registry: resources.Registry) -> Body:
    """Return the ``/apis`` document: every named group."""
    groups = [
        {k: v for k, v in api_group(g, versions).items() if k not in ("kind", "apiVersion")}
        for g, versions in registry.group_versions().items()
        if g
    ]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _entry(res: resources.Resource) -> list[Body]:
    main: Body = {
        "name": res.plural,
        "singularName": res.singular_name(),
        "namespaced": res.namespaced,
        "kind": res.kind,
        "verbs": list(resources.VERBS),
    }
    if res.short_names:
        main["shortNames"] = list(res.short_names)
    entries = [main]
    sub_verbs = ["get", "patch", "update"]
    if res.status:
        entries.append(
            {"name": f"{res.plural}/status", "singularName": "", "namespaced": res.namespaced}
            | {"kind": res.kind, "verbs": sub_verbs}
        )
    return entries


def resource_list(registry: resources.Registry, group: str, version: str) -> Body | None:
    """Return the APIResourceList of a group/version, or None if it is not served."""
    served = registry.in_group_version(group, version)
    if not served:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": [entry for res in served for entry in _entry(res)],
    }
