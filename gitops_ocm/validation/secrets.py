"""Plaintext Secrets on main: M337, a warning or (``secrets: sealed-only``) an error.

Pure. A ``v1`` Secret with ``data`` or ``stringData`` puts its values in Git
for anyone who can read the repository, on main and in every clone; a
``SealedSecret`` (``gitops-ocm seal``, docs/security.md) does not. The check
runs on the manifests of ManifestWorks and ManifestWorkReplicaSet templates,
and on a bare Secret document (which is not desired state: only its warning
is reported, never M302). Findings are warnings; :func:`enforce` makes them
errors when ``.gitops-ocm.yaml`` says ``secrets: sealed-only``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from gitops_ocm import problems
from gitops_ocm.model import repoconfig
from gitops_ocm.problems import Finding, Problem, Severity

PLAINTEXT = "M337"


def is_plain_secret(body: Any) -> bool:
    """Return whether ``body`` is a core ``v1`` Secret (values or not)."""
    return (
        isinstance(body, dict) and body.get("kind") == "Secret" and body.get("apiVersion") == "v1"
    )


def check_manifest(manifest: Any, at: str) -> list[Finding]:
    """Return M337 when ``manifest`` (at pointer ``at``) is a Secret holding values."""
    if not is_plain_secret(manifest) or not (manifest.get("data") or manifest.get("stringData")):
        return []
    meta = manifest.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"
    return [
        Finding(
            PLAINTEXT,
            at,
            "a plaintext Secret on main: its values are in Git for anyone who can read the "
            "repository; seal it with 'gitops-ocm seal' and commit the SealedSecret",
            problems.describe(name),
            Severity.WARNING,
        )
    ]


def enforce(found: Iterable[Problem], config: repoconfig.RepoConfig) -> list[Problem]:
    """Return ``found`` with M337 made an error when the repository is ``sealed-only``."""
    if config.secrets != repoconfig.SEALED_ONLY:
        return list(found)
    return [
        dataclasses.replace(p, severity=Severity.ERROR) if p.code == PLAINTEXT else p for p in found
    ]
