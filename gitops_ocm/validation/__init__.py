"""Validation of a desired state: structure (JSON Schema) then meaning (cross-document rules).

Pure: :func:`validate` takes a snapshot and returns every problem found, sorted
by place; it never raises on user input. Structure checks (S2xx) run only on
documents of a known kind and apiVersion; meaning checks (M3xx) run on all.
"""

from __future__ import annotations

from gitops_ocm.model.snapshot import Obj, Snapshot
from gitops_ocm.problems import Finding, Problem
from gitops_ocm.validation import identity, names, refs, rules, structure, works


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
    return found


def validate(snapshot: Snapshot) -> list[Problem]:
    """Return every problem of the snapshot, load problems included, sorted by place."""
    found: list[Problem] = list(snapshot.load_problems)
    for obj in snapshot.objects:
        found.extend(snapshot.locate_all(obj.doc, check_object(obj)))
    found.extend(identity.duplicates(snapshot, list(snapshot.objects)))
    found.extend(refs.check(snapshot))
    return sorted(set(found))
