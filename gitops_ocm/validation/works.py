"""Meaning checks on the manifests inside ManifestWorks and ManifestWorkReplicaSet templates.

Pure. These are the checks of OCM's ManifestWork admission webhook, done before
merge instead of at apply time. Codes:

* M315 a manifest has no ``metadata.name``;
* M316 a manifest uses ``generateName`` (a work must name what it owns);
* M317 two manifests of one work are the same object (apiVersion, kind, namespace, name);
* M318 the manifests of one work serialize to more than 500 KiB (OCM's default limit);
* M321 a manifest has no ``apiVersion`` or ``kind``;
* M327 (warning) a ``manifestConfigs`` entry names a resource that is not in the work.
"""

from __future__ import annotations

import json
from typing import Any

from gitops_ocm import problems
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Finding, Severity

MANIFEST_LIMIT = 500 * 1024


def check(obj: Obj) -> list[Finding]:
    """Return findings for the workload of a ManifestWork or an MWRS template."""
    if obj.kind == "ManifestWork":
        return check_spec(obj.spec, "/spec")
    template = obj.spec.get("manifestWorkTemplate")
    if isinstance(template, dict):
        return check_spec(template, "/spec/manifestWorkTemplate")
    return []


def check_spec(spec: dict[str, Any], at: str) -> list[Finding]:
    """Return findings for one ManifestWorkSpec located at pointer ``at``."""
    workload = spec.get("workload")
    manifests = workload.get("manifests") if isinstance(workload, dict) else None
    if not isinstance(manifests, list):
        return []
    found: list[Finding] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    resources: set[tuple[str, str, str]] = set()
    for i, manifest in enumerate(manifests):
        where = f"{at}/workload/manifests/{i}"
        if not isinstance(manifest, dict):
            continue
        found.extend(_manifest(manifest, where))
        key = _key(manifest)
        if key[3] and key in seen:
            found.append(
                Finding(
                    "M317",
                    f"{where}/metadata/name",
                    f"the same object is already manifest {seen[key]} of this work",
                    problems.describe("/".join(k for k in key if k)),
                )
            )
        seen.setdefault(key, i)
        resources.add((key[0].rpartition("/")[0], key[2], key[3]))
    size = len(json.dumps(manifests, separators=(",", ":"), default=str))
    if size > MANIFEST_LIMIT:
        found.append(
            Finding(
                "M318",
                f"{at}/workload/manifests",
                f"manifests total more than OCM's limit of {MANIFEST_LIMIT} bytes; split the work",
                f"{size} bytes",
            )
        )
    found.extend(_configs(spec, at, resources))
    return found


def _key(manifest: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = manifest.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return (
        str(manifest.get("apiVersion", "")),
        str(manifest.get("kind", "")),
        str(meta.get("namespace", "") or ""),
        str(meta.get("name", "") or ""),
    )


def _manifest(manifest: dict[str, Any], where: str) -> list[Finding]:
    found = []
    if not manifest.get("apiVersion") or not manifest.get("kind"):
        found.append(Finding("M321", where, "a manifest needs apiVersion and kind"))
    meta = manifest.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    if meta.get("generateName"):
        found.append(
            Finding(
                "M316",
                f"{where}/metadata/generateName",
                "a work cannot own an object with a generated name; set metadata.name",
                problems.describe(meta.get("generateName")),
            )
        )
    elif not meta.get("name"):
        found.append(Finding("M315", f"{where}/metadata", "a manifest needs metadata.name"))
    return found


def _configs(spec: dict[str, Any], at: str, resources: set[tuple[str, str, str]]) -> list[Finding]:
    found = []
    names = {(group, ns, name) for group, ns, name in resources}
    for i, config in enumerate(spec.get("manifestConfigs") or []):
        ident = config.get("resourceIdentifier") if isinstance(config, dict) else None
        if not isinstance(ident, dict):
            continue
        key = (
            str(ident.get("group", "")),
            str(ident.get("namespace", "")),
            str(ident.get("name", "")),
        )
        if key not in names:
            found.append(
                Finding(
                    "M327",
                    f"{at}/manifestConfigs/{i}/resourceIdentifier",
                    "no manifest of this work matches; OCM ignores the rule",
                    problems.describe(ident),
                    Severity.WARNING,
                )
            )
    return found
