"""Strategic merge and merge patch as the API server applies them (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.kube import cluster
from gitops_ocm.localkube import patch

POD_SPEC = {
    "spec": {
        "containers": [
            {
                "name": "a",
                "image": "x",
                "env": [{"name": "E", "value": "1"}],
                "ports": [{"containerPort": 80}],
            },
            {"name": "b", "image": "y"},
        ],
        "tolerations": [{"key": "t"}],
    }
}

CASES: list[tuple[str, dict[str, Any], Any]] = [
    (
        "merge-container-by-name",
        {"spec": {"containers": [{"name": "b", "image": "z"}]}},
        lambda r: [c["image"] for c in r["spec"]["containers"]] == ["x", "z"],
    ),
    (
        "append-new-container",
        {"spec": {"containers": [{"name": "c", "image": "w"}]}},
        lambda r: [c["name"] for c in r["spec"]["containers"]] == ["a", "b", "c"],
    ),
    (
        "delete-directive",
        {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}},
        lambda r: [c["name"] for c in r["spec"]["containers"]] == ["b"],
    ),
    (
        "nested-env-by-name",
        {"spec": {"containers": [{"name": "a", "env": [{"name": "F", "value": "2"}]}]}},
        lambda r: [e["name"] for e in r["spec"]["containers"][0]["env"]] == ["E", "F"],
    ),
    (
        "ports-by-container-port",
        {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80, "name": "http"}]}]}},
        lambda r: r["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "name": "http"}],
    ),
    (
        "atomic-list-replaced",
        {"spec": {"tolerations": [{"key": "u"}]}},
        lambda r: r["spec"]["tolerations"] == [{"key": "u"}],
    ),
    (
        "null-deletes-key",
        {"spec": {"tolerations": None}},
        lambda r: "tolerations" not in r["spec"],
    ),
    (
        "replace-list-directive",
        {"spec": {"containers": [{"name": "only"}, {"$patch": "replace"}]}},
        lambda r: r["spec"]["containers"] == [{"name": "only"}],
    ),
    (
        "set-element-order",
        {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}},
        lambda r: [c["name"] for c in r["spec"]["containers"]] == ["b", "a"],
    ),
    (
        "replace-map-directive",
        {"spec": {"$patch": "replace", "hostname": "h"}},
        lambda r: r["spec"] == {"hostname": "h"},
    ),
]


@pytest.mark.parametrize(("case", "body", "check"), CASES, ids=[c[0] for c in CASES])
def test_strategic_merge(case: str, body: dict[str, Any], check: Any) -> None:
    """Strategic merge honours merge keys and directives."""
    assert check(patch.strategic_merge(POD_SPEC, body, builtin=True)), case


def test_strategic_merge_leaves_input_untouched() -> None:
    """The original object is not mutated."""
    before = repr(POD_SPEC)
    patch.strategic_merge(
        POD_SPEC, {"spec": {"containers": [{"name": "a", "image": "q"}]}}, builtin=True
    )
    assert repr(POD_SPEC) == before


def test_finalizers_merge_as_a_set() -> None:
    """metadata.finalizers merges as a set, and $deleteFromPrimitiveList removes members."""
    obj = {"metadata": {"finalizers": ["a", "b"]}}
    merged = patch.strategic_merge(obj, {"metadata": {"finalizers": ["b", "c"]}}, builtin=True)
    assert merged["metadata"]["finalizers"] == ["a", "b", "c"]
    dropped = patch.strategic_merge(
        obj, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, builtin=True
    )
    assert dropped["metadata"]["finalizers"] == ["b"]


@pytest.mark.parametrize(
    ("target", "body", "expected"),
    [
        ({"a": 1, "b": {"c": 2}}, {"b": {"c": None, "d": 3}}, {"a": 1, "b": {"d": 3}}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": 1}, {"a": {"x": 1}}, {"a": {"x": 1}}),
    ],
    ids=["nested-null", "list-replaced", "scalar-to-map"],
)
def test_merge_patch(
    target: dict[str, Any], body: dict[str, Any], expected: dict[str, Any]
) -> None:
    """RFC 7386 merge patch."""
    assert patch.merge_patch(target, body) == expected


def test_json_patch_failure_is_invalid() -> None:
    """A JSON patch whose test fails raises Invalid."""
    with pytest.raises(cluster.Invalid):
        patch.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
