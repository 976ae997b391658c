"""Object metadata rules of the API server: names, system fields, generation, standard errors.

Pure: functions of their arguments (the caller supplies times and uids). The store
calls them on every write so that all write paths agree on what the server owns.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import resources
from gitops_ocm.model.body import Body

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Fields of metadata that only the server sets, kept from the stored object on update.
_SYSTEM = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")
_SYSTEM_GENERATION = ("generation",)


def _error_details(res: resources.Resource, name: str) -> Body:
    return {"name": name, "group": res.group, "kind": res.plural}


def not_found(res: resources.Resource, name: str) -> cluster.NotFound:
    """Return the error for a missing object, worded as the API server words it."""
    return cluster.NotFound(f'{res.plural} "{name}" not found', details=_error_details(res, name))


def already_exists(res: resources.Resource, name: str) -> cluster.AlreadyExists:
    """Return the error for creating a name that is taken."""
    message = f'{res.plural} "{name}" already exists'
    return cluster.AlreadyExists(message, details=_error_details(res, name))


def modified(res: resources.Resource, name: str, why: str = "") -> cluster.Conflict:
    """Return the optimistic-concurrency error for a stale write."""
    why = why or (
        "the object has been modified; "
        "please apply your changes to the latest version and try again"
    )
    message = f'Operation cannot be fulfilled on {res.plural} "{name}": {why}'
    return cluster.Conflict(message, details=_error_details(res, name))


def invalid(
    res: resources.Resource, name: str, field: str, value: Any, why: str
) -> cluster.Invalid:
    """Return a validation error naming one field."""
    cause = {"reason": "FieldValueInvalid", "message": f"Invalid value: {value!r}: {why}"}
    details = {**_error_details(res, name), "kind": res.kind, "causes": [{**cause, "field": field}]}
    message = f'{res.kind} "{name}" is invalid: {field}: Invalid value: "{value}": {why}'
    return cluster.Invalid(message, details=details)


def validate_name(res: resources.Resource, name: str) -> None:
    """Raise Invalid unless ``name`` is a legal name for this resource."""
    if res.plural == "namespaces":
        ok, why = bool(_LABEL.match(name)) and len(name) <= 63, "must be an RFC 1123 label"
    elif res.group == "rbac.authorization.k8s.io":
        ok, why = name not in (".", "..") and not set("/%") & set(name), "may not contain '/'"
    else:
        ok = bool(_SUBDOMAIN.match(name)) and len(name) <= 253
        why = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters"
    if not ok:
        raise invalid(res, name, "metadata.name", name, why)


def part(res: resources.Resource, subresource: str) -> str:
    """Return which part of the object a write owns: ``all``, ``main`` or ``status``."""
    if subresource == "status":
        return "status"
    return "main" if res.status else "all"


def spec_changed(old: Body, new: Body) -> bool:
    """Return whether anything outside metadata and status changed (bumps generation)."""
    skip = ("metadata", "status", "apiVersion", "kind")
    return {k: v for k, v in old.items() if k not in skip} != {
        k: v for k, v in new.items() if k not in skip
    }


def _comparable(obj: Body) -> Body:
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("resourceVersion", None)
    meta["managedFields"] = [
        {k: v for k, v in e.items() if k != "time"} for e in meta.get("managedFields") or []
    ]
    out["metadata"] = meta
    out.pop("apiVersion", None)
    return out


def unchanged(old: Body, new: Body) -> bool:
    """Return whether a write is a no-op (the API server then keeps the resourceVersion)."""
    return _comparable(old) == _comparable(new)


def carry_system_fields(res: resources.Resource, old: Body, body: Body, subresource: str) -> Body:
    """Return the object a write of ``body`` stores: server-owned fields come from ``old``."""
    if subresource == "status":
        new = copy.deepcopy(old)
        new.pop("status", None)
        if body.get("status") is not None:
            new["status"] = copy.deepcopy(body["status"])
    else:
        new = copy.deepcopy(body)
        new.pop("status", None)
        source = old if res.status else body
        if source.get("status") is not None:
            new["status"] = copy.deepcopy(source["status"])
    meta = new.setdefault("metadata", {})
    for key in ("name", "namespace", *_SYSTEM, *_SYSTEM_GENERATION):
        if key in old["metadata"]:
            meta[key] = old["metadata"][key]
        else:
            meta.pop(key, None)
    for key in ("resourceVersion", "selfLink", "managedFields"):
        meta.pop(key, None)
    new["apiVersion"], new["kind"] = res.api_version, res.kind
    return new


def check_identity(res: resources.Resource, name: str, namespace: str, body: Body) -> None:
    """Raise BadRequest when the body's kind, name or namespace disagree with the URL."""
    meta = body.get("metadata") or {}
    if body.get("kind") not in (None, res.kind):
        raise cluster.BadRequest(f"the kind {body.get('kind')!r} does not match {res.kind!r}")
    if body.get("apiVersion") not in (None, *_versions(res)):
        raise cluster.BadRequest(f"the apiVersion {body.get('apiVersion')!r} is not served here")
    if name and meta.get("name") not in (None, name):
        raise cluster.BadRequest(
            "the name of the object does not match the name on the URL "
            f"({meta.get('name')!r} != {name!r})"
        )
    if res.namespaced and meta.get("namespace") not in (None, "", namespace):
        raise cluster.BadRequest(
            "the namespace of the provided object does not match the namespace sent on the request"
        )


def _versions(res: resources.Resource) -> tuple[str, ...]:
    return (res.api_version,) if not res.custom else (res.api_version, f"{res.group}/")


def crd_status(crd: Body, now: str) -> Body:
    """Return the status the server gives a CustomResourceDefinition it accepted."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", str(names.get("kind", "")).lower())
    names.setdefault("listKind", f"{names.get('kind', '')}List")
    conditions = [
        {"type": t, "status": "True", "reason": r, "message": m, "lastTransitionTime": now}
        for t, r, m in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    stored = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
    return {"acceptedNames": names, "conditions": conditions, "storedVersions": stored}


def validate_crd(res: resources.Resource, crd: Body) -> None:
    """Raise Invalid when a CRD lacks what serving it needs, or is misnamed."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    name = str((crd.get("metadata") or {}).get("name", ""))
    for field, value in (
        ("spec.group", spec.get("group")),
        ("spec.names.plural", names.get("plural")),
        ("spec.names.kind", names.get("kind")),
        ("spec.versions", spec.get("versions")),
    ):
        if not value:
            raise invalid(res, name, field, value or "", "Required value")
    expected = f"{names['plural']}.{spec['group']}"
    if name != expected:
        raise invalid(
            res,
            name,
            "metadata.name",
            name,
            f"must be spec.names.plural+'.'+spec.group ({expected})",
        )
