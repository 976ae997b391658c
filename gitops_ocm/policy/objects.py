"""Compare one live object with an object template, and compute what enforce writes.

Pure. This is OCM's ``handleKeys``: every top-level key of the template except
apiVersion and kind is merged into the live object and compared (see ``match``).
``metadata`` only contributes labels and annotations, compared with
``metadataComplianceType`` when set. A Secret's ``stringData`` is compared with the
base64-decoded ``data``. A mismatch under ``status`` is a violation that enforce
cannot fix. With ``mustonlyhave``, live top-level keys the template does not name
are removed (never metadata or status; ServiceAccount ``secrets`` and
``imagePullSecrets`` are managed by Kubernetes and kept).
"""

from __future__ import annotations

import base64
import binascii
import copy
from dataclasses import dataclass
from typing import Any

from gitops_ocm.policy import match

_IGNORED_KEYS = ("apiVersion", "kind")
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
_SCC_PREFIX = "openshift.io/sa.scc."


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing a live object with a template."""

    update_needed: bool
    status_mismatch: bool
    error: str
    merged: dict[str, Any]
    differences: tuple[str, ...]

    @property
    def matches(self) -> bool:
        """True when the live object already satisfies the template."""
        return not (self.update_needed or self.status_mismatch or self.error)


@dataclass(frozen=True)
class _Key:
    merged: Any
    equal: bool
    error: str
    difference: str


def compare(
    template: dict[str, Any],
    live: dict[str, Any],
    compliance_type: str,
    metadata_compliance_type: str | None = None,
    *,
    lenient: bool = False,
) -> Comparison:
    """Compare ``live`` with ``template`` and return the merged object enforce would write."""
    compliance_type = compliance_type.lower()
    updated = copy.deepcopy(live)
    update_needed = status_mismatch = False
    differences: list[str] = []
    for key in template:
        if key in _IGNORED_KEYS:
            continue
        key_type = (
            (metadata_compliance_type or compliance_type) if key == "metadata" else compliance_type
        )
        result = _compare_key(key, template, live, key_type.lower(), lenient)
        if result.error:
            return Comparison(True, status_mismatch, result.error, updated, (result.error,))
        _store(updated, key, result.merged)
        if not result.equal:
            differences.append(result.difference)
            status_mismatch = status_mismatch or key == "status"
            update_needed = update_needed or key != "status"
    if compliance_type == match.MUSTONLYHAVE:
        for key in _extra_keys(template, live):
            del updated[key]
            update_needed = True
            differences.append(f"{key}: not in the template")
    return Comparison(update_needed, status_mismatch, "", updated, tuple(differences))


def _compare_key(
    key: str, template: dict[str, Any], live: dict[str, Any], ctype: str, lenient: bool
) -> _Key:
    desired = format_metadata(template.get("metadata")) if key == "metadata" else template[key]
    existing = live.get(key)
    merged, error = _merge_key(key, desired, existing, ctype, lenient)
    if error:
        return _Key(merged, False, error, "")
    compared, existing_compared = merged, existing
    if key == "metadata":
        compared, existing_compared = _metadata_for_compare(
            merged, existing, live.get("kind") == "Namespace"
        )
    if key == "stringData" and live.get("kind") == "Secret":
        existing_compared, error = _decoded_data(live)
        if error:
            return _Key(merged, False, error, "")
    equal = match.equivalent(compared, existing_compared, lenient=lenient)
    difference = "" if equal else _difference(key, compared, existing_compared, live)
    return _Key(merged, equal, "", difference)


def _merge_key(key: str, desired: Any, existing: Any, ctype: str, lenient: bool) -> tuple[Any, str]:
    if not isinstance(desired, dict | list) or existing is None:
        return copy.deepcopy(desired), ""
    if type(desired) is not type(existing):
        return (
            desired,
            f'Error merging changes into key "{key}": '
            "object type of template and existing do not match",
        )
    return match.merge(desired, existing, ctype, lenient=lenient), ""


def format_metadata(metadata: Any) -> dict[str, Any]:
    """Return only the labels and annotations of ``metadata`` (the parts policies manage)."""
    if not isinstance(metadata, dict):
        return {}
    formatted: dict[str, Any] = {}
    if "labels" in metadata:
        formatted["labels"] = metadata["labels"]
    if "annotations" in metadata:
        annotations = metadata["annotations"]
        if isinstance(annotations, dict):
            annotations = {k: v for k, v in annotations.items() if k != _LAST_APPLIED}
        formatted["annotations"] = annotations
    return formatted


def _metadata_for_compare(
    merged: Any, existing: Any, keep_scc: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    merged_md, existing_md = format_metadata(merged), format_metadata(existing)
    for part in ("labels", "annotations"):
        if part not in merged_md:
            existing_md.pop(part, None)
    merged_annotations, existing_annotations = (
        merged_md.get("annotations"),
        existing_md.get("annotations"),
    )
    if keep_scc and isinstance(merged_annotations, dict) and isinstance(existing_annotations, dict):
        for key, value in existing_annotations.items():
            if key.startswith(_SCC_PREFIX):
                merged_annotations.setdefault(key, value)
    return merged_md, existing_md


def _decoded_data(live: dict[str, Any]) -> tuple[dict[str, Any], str]:
    decoded: dict[str, Any] = {}
    for key, encoded in (live.get("data") or {}).items():
        try:
            decoded[key] = base64.b64decode(str(encoded), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            name = (live.get("metadata") or {}).get("name", "")
            return {}, f"Error decoding secret: {name}"
    return decoded, ""


def _store(updated: dict[str, Any], key: str, merged: Any) -> None:
    if key != "metadata":
        updated[key] = merged
        return
    metadata = updated.setdefault("metadata", {})
    for part in ("labels", "annotations"):
        if isinstance(merged, dict) and part in merged:
            metadata[part] = merged[part]


def _extra_keys(template: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """Live top-level keys that mustonlyhave removes."""
    kept = {"metadata", "status", *template}
    if live.get("kind") == "ServiceAccount" and live.get("apiVersion") == "v1":
        kept |= {"secrets", "imagePullSecrets"}
    if live.get("kind") == "Secret" and "stringData" in template:
        kept.add("data")
        if live.get("type") == "Opaque":
            kept.add("type")
    return [key for key in live if key not in kept]


def _difference(key: str, merged: Any, existing: Any, live: dict[str, Any]) -> str:
    if live.get("kind") == "Secret" and key in ("data", "stringData"):
        return f"{key}: differs"
    return match.explain(merged, existing, key)
