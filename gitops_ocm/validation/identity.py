"""Meaning checks on what a document is: known kind and apiVersion, unique identity.

Pure. Codes: M301 duplicate identity, M302 unknown kind, M303 wrong apiVersion.
A bare ``v1`` Secret is not M302 but M337 (:mod:`.secrets`): not desired state,
and a plaintext secret in Git.
"""

from __future__ import annotations

from collections.abc import Iterator

from gitops_ocm import problems
from gitops_ocm.model import kinds
from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.problems import Finding, Problem
from gitops_ocm.validation import secrets


def check_kind(obj: Obj) -> list[Finding]:
    """Return M302/M303 when the document is not one of the kinds a fleet repository holds."""
    if not obj.kind:
        return [
            Finding(
                "M302", "/kind", "document has no kind", problems.describe(obj.body.get("kind"))
            )
        ]
    info = kinds.KINDS.get(obj.kind)
    if info is None and secrets.is_plain_secret(obj.body):
        return secrets.check_manifest(obj.body, "")
    if info is None:
        known = ", ".join(sorted(kinds.KINDS))
        return [
            Finding(
                "M302",
                "/kind",
                f"unknown kind; a fleet repository holds {known} (exclude other files in "
                ".gitops-ocm.yaml)",
                problems.describe(obj.kind),
            )
        ]
    if obj.api_version != info.api_version:
        return [
            Finding(
                "M303",
                "/apiVersion",
                f"{obj.kind} is served as {info.api_version}",
                problems.describe(obj.body.get("apiVersion")),
            )
        ]
    return []


def duplicates(snapshot: Snapshot, objects: list[Obj]) -> Iterator[Problem]:
    """Yield M301 for every object whose identity was already declared elsewhere."""
    first: dict[tuple[str, str, str, str], Obj] = {}
    for obj in objects:
        if not obj.name:
            continue
        key = (obj.api_version.rpartition("/")[0], obj.kind, obj.namespace, obj.name)
        seen = first.get(key)
        if seen is None:
            first[key] = obj
            continue
        identity = obj.identity
        yield snapshot.locate(
            obj.doc,
            Finding(
                "M301",
                "/metadata/name",
                f"{identity} is already declared at {seen.where}",
                problems.describe(obj.name),
            ),
        )
