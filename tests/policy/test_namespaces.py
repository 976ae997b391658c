"""Tests for namespaceSelector: globs, exclude, label selectors, terminating namespaces."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.policy import namespaces


def ns(name: str, terminating: bool = False, **labels: str) -> dict[str, Any]:
    """A Namespace object."""
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if terminating:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


ALL = [
    ns("default"),
    ns("kube-system"),
    ns("kube-public"),
    ns("app-a", env="prod"),
    ns("app-b", env="dev"),
    ns("app-c", env="prod", tier="web"),
    ns("old", terminating=True, env="prod"),
]

CASES: list[tuple[str, dict[str, Any] | None, list[str]]] = [
    ("empty-selects-nothing", {}, []),
    ("none-selects-nothing", None, []),
    (
        "include-star",
        {"include": ["*"]},
        ["app-a", "app-b", "app-c", "default", "kube-public", "kube-system"],
    ),
    ("include-glob", {"include": ["kube-*"]}, ["kube-public", "kube-system"]),
    ("include-question", {"include": ["app-?"]}, ["app-a", "app-b", "app-c"]),
    ("include-class", {"include": ["app-[ab]"]}, ["app-a", "app-b"]),
    ("include-negated-class", {"include": ["app-[^ab]"]}, ["app-c"]),
    ("exclude", {"include": ["*"], "exclude": ["kube-*", "default"]}, ["app-a", "app-b", "app-c"]),
    ("labels-only-include-defaults-to-star", {"matchLabels": {"env": "prod"}}, ["app-a", "app-c"]),
    (
        "labels-and-include",
        {"include": ["app-a", "app-b"], "matchLabels": {"env": "prod"}},
        ["app-a"],
    ),
    (
        "match-expressions",
        {
            "matchExpressions": [{"key": "env", "operator": "In", "values": ["dev", "prod"]}],
            "exclude": ["app-a"],
        },
        ["app-b", "app-c"],
    ),
    (
        "terminating-ifmatch",
        {"matchLabels": {"env": "prod"}, "terminatingInclusion": "IfMatch"},
        ["app-a", "app-c", "old"],
    ),
]


@pytest.mark.parametrize(
    ("selector", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_select(selector: dict[str, Any] | None, expected: list[str]) -> None:
    """The selected namespaces follow OCM's include/exclude/label rules, sorted."""
    assert namespaces.select(selector, ALL) == expected


def test_bad_pattern() -> None:
    """An unterminated class is reported as OCM reports filepath.ErrBadPattern."""
    with pytest.raises(namespaces.PatternError, match="error parsing 'include' pattern 'app-\\['"):
        namespaces.select({"include": ["app-["]}, ALL)
