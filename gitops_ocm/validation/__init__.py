"""Validation of a desired state: structure (JSON Schema) then meaning (cross-document rules).

Pure: :func:`validate` takes a snapshot and returns every problem found, sorted
by place; it never raises on user input. Structure checks (S2xx) run only on
documents of a known kind and apiVersion; meaning checks (M3xx) run on all.
"""

from __future__ import annotations

import weakref

from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.model.yamlfile import Document
from gitops_ocm.problems import Finding, Problem, Severity
from gitops_ocm.validation import (
    clusters,
    identity,
    names,
    policies,
    refs,
    rules,
    secrets,
    structure,
    templates,
    works,
)


def check_object(obj: Obj) -> list[Finding]:
    """Return every finding that concerns one document on its own."""
    found = identity.check_kind(obj)
    if found:
        return found
    found = structure.check(obj.kind, obj.body)
    found.extend(names.check(obj))
    found.extend(rules.check(obj))
    if obj.kind in ("ManifestWork", "ManifestWorkReplicaSet"):
        found.extend(works.check(obj))
    elif obj.kind == "ManagedCluster":
        found.extend(clusters.check(obj))
    elif obj.kind == "Policy":
        found.extend(templates.check(obj))
    if obj.kind in ("Policy", "PolicySet"):
        found.extend(policies.check(obj))
    return found


def misconfigurations(snapshot: Snapshot) -> list[Problem]:
    """Return the problems that OCM would accept and report as ``PlacementMisconfigured``.

    They make a commit invalid like any error; ``render`` alone still renders
    them, so the placement's status shows OCM's condition.
    """
    return [
        problem
        for obj in snapshot.of_kind("Placement")
        for problem in snapshot.locate_all(obj.doc, rules.placement(obj))
        if problem.severity is Severity.ERROR
    ]


class Cache:
    """Findings per document, so an unchanged document is never checked twice.

    Keyed by the document object itself (the parse cache hands out the same
    object while the file's blob is unchanged); entries go with their documents.
    """

    def __init__(self) -> None:
        self._findings: weakref.WeakKeyDictionary[Document, list[Finding]] = (
            weakref.WeakKeyDictionary()
        )

    def findings(self, obj: Obj) -> list[Finding]:
        """Return the single-document findings of ``obj``, computing them once."""
        found = self._findings.get(obj.doc)
        if found is None:
            found = self._findings[obj.doc] = check_object(obj)
        return found


def validate(snapshot: Snapshot, cache: Cache | None = None) -> list[Problem]:
    """Return every problem of the snapshot, load problems included, sorted by place."""
    cache = cache or Cache()
    found: list[Problem] = list(snapshot.load_problems)
    for obj in snapshot.objects:
        findings = cache.findings(obj)
        if findings:
            found.extend(snapshot.locate_all(obj.doc, findings))
    found.extend(identity.duplicates(snapshot, list(snapshot.objects)))
    found.extend(refs.check(snapshot))
    return sorted(set(secrets.enforce(found, snapshot.config)))
