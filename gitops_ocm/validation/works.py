"""Meaning checks on the manifests inside ManifestWorks and ManifestWorkReplicaSet templates.

Pure. These are the checks of OCM's ManifestWork admission webhook, done before
merge instead of at apply time. Codes:

* M315 a manifest has no ``metadata.name``;
* M316 a manifest uses ``generateName`` (a work must name what it owns);
* M317 two manifests of one work are the same object (apiVersion, kind, namespace, name);
* M318 the manifests of one work serialize to more than 500 KiB (OCM's default limit);
* M321 a manifest has no ``apiVersion`` or ``kind``;
* M327 (warning) a ``manifestConfigs`` entry names a resource that is not in the work;
* M328 a work has no manifests;
* M329 an executor subject of type ServiceAccount has no ``serviceAccount``;
* M333 a JSONPaths feedback rule on Secrets reads ``data`` or ``stringData``
  (the value would be copied into the work's status, and so into Git; the agent
  never reports it either);
* M337 (warning; an error with ``secrets: sealed-only``) a plaintext Secret
  (:mod:`.secrets`); a ``SealedSecret`` manifest is checked against its schema (S2xx).

The size is OCM's: the sum of each manifest's compact JSON size.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from gitops_ocm import problems
from gitops_ocm.model import kinds
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Finding, Severity
from gitops_ocm.trust import sealedsecret
from gitops_ocm.validation import secrets, structure

MANIFEST_LIMIT = kinds.MANIFEST_LIMIT


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
    found = _executor(spec.get("executor"), f"{at}/executor")
    found.extend(_secret_feedback(spec, at))
    workload = spec.get("workload")
    manifests = workload.get("manifests") if isinstance(workload, dict) else None
    if manifests is None or manifests == []:
        where = f"{at}/workload" + ("/manifests" if manifests == [] else "")
        where = where if isinstance(workload, dict) else at
        found.append(Finding("M328", where, "a work needs at least one manifest"))
    if not isinstance(manifests, list):
        return found
    seen: dict[tuple[str, str, str, str], int] = {}
    resources: set[tuple[str, str, str]] = set()
    for i, manifest in enumerate(manifests):
        where = f"{at}/workload/manifests/{i}"
        if not isinstance(manifest, dict):
            continue
        found.extend(_manifest(manifest, where))
        found.extend(secrets.check_manifest(manifest, where))
        if sealedsecret.is_sealed(manifest):
            found.extend(_sealed(manifest, where))
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
    size = sum(len(json.dumps(m, separators=(",", ":"), default=str)) for m in manifests)
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


def _executor(executor: Any, at: str) -> list[Finding]:
    """Return M329 when a ServiceAccount subject names no service account."""
    subject = executor.get("subject") if isinstance(executor, dict) else None
    if not isinstance(subject, dict) or subject.get("type") != "ServiceAccount":
        return []
    if subject.get("serviceAccount") is not None:
        return []
    return [
        Finding(
            "M329",
            f"{at}/subject",
            "an executor subject of type ServiceAccount needs serviceAccount (namespace and name)",
        )
    ]


def _secret_feedback(spec: dict[str, Any], at: str) -> list[Finding]:
    """Return M333 for JSONPaths feedback rules that read a Secret's data."""
    found = []
    for i, config in enumerate(spec.get("manifestConfigs") or []):
        if not isinstance(config, dict) or not _is_secret(config.get("resourceIdentifier")):
            continue
        for j, rule in enumerate(config.get("feedbackRules") or []):
            paths = rule.get("jsonPaths") if isinstance(rule, dict) else None
            for k, path in enumerate(paths if isinstance(paths, list) else []):
                text = path.get("path") if isinstance(path, dict) else None
                if isinstance(text, str) and _reads_secret_data(text):
                    found.append(
                        Finding(
                            "M333",
                            f"{at}/manifestConfigs/{i}/feedbackRules/{j}/jsonPaths/{k}/path",
                            "this feedback rule would copy a Secret's data into the work's "
                            "status, and so into Git",
                            problems.describe(text),
                        )
                    )
    return found


def _is_secret(ident: Any) -> bool:
    """Return whether a resourceIdentifier names core Secrets."""
    if not isinstance(ident, dict):
        return False
    return ident.get("resource") == "secrets" and not ident.get("group")


_SECRET_FIELD = re.compile(r"""^(\*|data\b|stringData\b|\[\s*['"]?(\*|data|stringData)\b)""")


def _reads_secret_data(path: str) -> bool:
    """Return whether a JSONPath (evaluated on the whole object) can reach data or stringData.

    That is the whole object (``.``), a recursive descent (``..``), a wildcard, or
    a path that starts at ``data`` or ``stringData``.
    """
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    text = text.removeprefix("$")
    if text in ("", ".") or text.startswith(".."):
        return True
    return _SECRET_FIELD.match(text.removeprefix(".")) is not None


def _sealed(manifest: dict[str, Any], where: str) -> list[Finding]:
    """Return the schema findings of a SealedSecret manifest, placed inside the work."""
    return [
        dataclasses.replace(f, pointer=where + f.pointer)
        for f in structure.check(sealedsecret.KIND, manifest)
    ]


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
