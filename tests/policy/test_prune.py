"""Tests for pruneObjectBehavior deletions."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.policy import prune
from gitops_ocm.policy.live import MemoryView, ObjectRef

A = ObjectRef("v1", "ConfigMap", "default", "a")
B = ObjectRef("v1", "ConfigMap", "default", "b")


def obj(ref: ObjectRef, uid: str) -> dict[str, Any]:
    """A live object for ``ref``."""
    metadata = {"name": ref.name, "namespace": ref.namespace, "uid": uid}
    return {"apiVersion": ref.api_version, "kind": ref.kind, "metadata": metadata}


def config(behavior: str, remediation: str = "enforce") -> dict[str, Any]:
    """A ConfigurationPolicy that created A (uid-a) and manages B."""
    return {
        "spec": {"remediationAction": remediation, "pruneObjectBehavior": behavior},
        "status": {
            "relatedObjects": [
                {"object": A.to_dict(), "properties": {"createdByPolicy": True, "uid": "uid-a"}},
                {"object": B.to_dict(), "properties": {"createdByPolicy": False}},
            ]
        },
    }


LIVE = MemoryView.of([obj(A, "uid-a"), obj(B, "uid-b")])


@pytest.mark.parametrize(
    ("behavior", "remediation", "live", "expected"),
    [
        ("DeleteAll", "enforce", LIVE, [A, B]),
        ("DeleteIfCreated", "enforce", LIVE, [A]),
        ("DeleteIfCreated", "enforce", MemoryView.of([obj(A, "recreated"), obj(B, "uid-b")]), []),
        ("None", "enforce", LIVE, []),
        ("DeleteAll", "inform", LIVE, []),
        ("DeleteAll", "enforce", MemoryView.of([]), []),
    ],
    ids=[
        "delete-all",
        "delete-if-created",
        "stale-uid",
        "none",
        "inform-never-prunes",
        "already-gone",
    ],
)
def test_prune_changes(
    behavior: str, remediation: str, live: MemoryView, expected: list[ObjectRef]
) -> None:
    """Pruning deletes what the behaviour allows, only when enforced."""
    template = config(behavior, remediation)
    deletes = prune.prune_changes(template, prune.created_refs(template), live)
    assert [d.ref for d in deletes] == expected


def test_still_related_objects_are_kept() -> None:
    """Objects still produced by the policy are not pruned."""
    template = config("DeleteAll")
    deletes = prune.prune_changes(template, set(), LIVE, still_related={B})
    assert [d.ref for d in deletes] == [A]
