"""Table-driven tests for OCM's merge/compare rules (gitops_ocm.policy.match)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitops_ocm.model import quantity
from gitops_ocm.policy import match

C = {"name": "c", "image": "nginx:1", "ports": [{"containerPort": 80}]}

# (template, live, complianceType, expected match)
CASES: list[tuple[str, Any, Any, str, bool]] = [
    ("map-subset", {"a": "1"}, {"a": "1", "b": "2"}, "musthave", True),
    ("map-missing-key", {"a": "1", "c": "3"}, {"a": "1"}, "musthave", False),
    ("map-differing-value", {"a": "1"}, {"a": "2"}, "musthave", False),
    ("map-nested-subset", {"s": {"x": 1}}, {"s": {"x": 1, "y": 2}}, "musthave", True),
    ("mustonlyhave-map-extra-live-key", {"a": "1"}, {"a": "1", "b": "2"}, "mustonlyhave", False),
    ("mustonlyhave-map-exact", {"a": "1", "b": "2"}, {"b": "2", "a": "1"}, "mustonlyhave", True),
    ("list-order-ignored", ["b", "a"], ["a", "b"], "musthave", True),
    ("list-subset", ["a"], ["a", "b"], "musthave", True),
    ("list-missing-item", ["a", "c"], ["a", "b"], "musthave", False),
    ("list-template-duplicate-needs-two", ["a", "a"], ["a"], "musthave", False),
    ("list-live-duplicates-kept", ["a"], ["a", "a", "b"], "musthave", True),
    ("list-empty-template", [], ["a"], "musthave", True),
    ("mustonlyhave-list-order-ignored", ["b", "a"], ["a", "b"], "mustonlyhave", True),
    ("mustonlyhave-list-extra-item", ["a"], ["a", "b"], "mustonlyhave", False),
    ("list-of-maps-subset-item", [{"k": "v"}], [{"k": "v", "x": 1}], "musthave", True),
    ("same-name-subset", [{"name": "c", "image": "nginx:1"}], [C], "musthave", True),
    ("same-name-differing-field", [{"name": "c", "image": "nginx:2"}], [C], "musthave", False),
    (
        "nested-ports-extra-port-in-template",
        [{"name": "c", "ports": [{"containerPort": 8080}]}],
        [C],
        "musthave",
        False,
    ),
    (
        "nested-ports-subset",
        [{"name": "c", "ports": [{"containerPort": 80}]}],
        [C],
        "musthave",
        True,
    ),
    (
        "nested-env-order-ignored",
        [{"name": "c", "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}],
        [{"name": "c", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}],
        "musthave",
        True,
    ),
    (
        "nested-env-same-name-new-value",
        [{"name": "c", "env": [{"name": "A", "value": "9"}]}],
        [{"name": "c", "env": [{"name": "A", "value": "1"}]}],
        "musthave",
        False,
    ),
    (
        "nested-env-unnamed-template-item-any-container",
        [{"env": [{"name": "A", "value": "1"}]}],
        [{"name": "c", "env": [{"name": "A", "value": "1"}]}, {"name": "d"}],
        "musthave",
        True,
    ),
    (
        "mustonlyhave-container-missing-live-field",
        [{"name": "c", "image": "nginx:1"}],
        [C],
        "mustonlyhave",
        False,
    ),
    ("quantity-1Gi-equals-1024Mi", {"memory": "1Gi"}, {"memory": "1024Mi"}, "musthave", True),
    ("quantity-cpu-half", {"cpu": "0.5"}, {"cpu": "500m"}, "musthave", True),
    ("quantity-differs", {"cpu": "1"}, {"cpu": "500m"}, "musthave", False),
    ("scalar-int-vs-string", {"port": "80"}, {"port": 80}, "musthave", True),
    ("scalar-bool-missing-is-false", {"flag": False}, {}, "musthave", True),
    ("scalar-string-missing", {"s": ""}, {}, "musthave", False),
    ("type-mismatch-map-vs-list", {"a": {"b": 1}}, {"a": [1]}, "musthave", False),
]


@pytest.mark.parametrize(
    ("template", "live", "ctype", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_matches(template: Any, live: Any, ctype: str, expected: bool) -> None:
    """A live value matches a template exactly when OCM's merge-and-compare says so."""
    ok, reason = match.matches(template, live, ctype)
    assert ok is expected
    assert (reason == "") is expected


MERGES: list[tuple[str, Any, Any, str, Any]] = [
    ("append-template-item", ["b"], ["a"], "musthave", ["b", "a"]),
    ("merge-same-name", [{"name": "c", "x": 2}], [{"name": "c", "y": 1}], "musthave", None),
    ("mustonlyhave-replaces", ["b"], ["a"], "mustonlyhave", ["b"]),
    ("keep-live-duplicates", ["a"], ["a", "a"], "musthave", ["a", "a"]),
    ("map-keeps-live-keys", {"a": 2}, {"a": 1, "b": 1}, "musthave", {"a": 2, "b": 1}),
]


@pytest.mark.parametrize(
    ("template", "live", "ctype", "expected"), [c[1:] for c in MERGES], ids=[c[0] for c in MERGES]
)
def test_merge(template: Any, live: Any, ctype: str, expected: Any) -> None:
    """Enforce writes the template merged into live: musthave appends, mustonlyhave replaces."""
    merged = match.merge(template, live, ctype)
    if expected is None:
        expected = [{"name": "c", "y": 1, "x": 2}]
    assert merged == expected


def test_nested_ports_merge_appends_template_port() -> None:
    """Enforcing a container port adds it next to the live ports (OCM's dry-run example)."""
    merged = match.merge([{"name": "c", "ports": [{"containerPort": 8080}]}], [C], "musthave")
    assert merged == [
        {"name": "c", "image": "nginx:1", "ports": [{"containerPort": 8080}, {"containerPort": 80}]}
    ]


def test_merge_does_not_mutate_inputs() -> None:
    """Merging leaves both the template and the live value untouched."""
    template = {"a": [{"name": "x", "v": 1}]}
    live = {"a": [{"name": "x", "v": 2, "w": 3}]}
    match.merge(template, live, "musthave")
    assert template == {"a": [{"name": "x", "v": 1}]}
    assert live == {"a": [{"name": "x", "v": 2, "w": 3}]}


QUANTITIES = [
    ("1Gi", "1024Mi", True),
    ("1k", "1000", True),
    ("1e3", "1k", True),
    ("100m", "0.1", True),
    ("1Ki", "1k", False),
    ("abc", "abc", False),
]


@pytest.mark.parametrize(
    ("left", "right", "equal"), QUANTITIES, ids=[f"{a}-{b}" for a, b, _ in QUANTITIES]
)
def test_quantity_equal(left: str, right: str, equal: bool) -> None:
    """Quantities compare by exact value, across suffixes."""
    assert quantity.equal(left, right) is equal


def test_explain_names_the_differing_path() -> None:
    """A mismatch reason points at the field that differs."""
    ok, reason = match.matches({"spec": {"replicas": 3}}, {"spec": {"replicas": 2}}, "musthave")
    assert not ok
    assert reason == "spec.replicas: want 3, got 2"


_SCALARS = st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", "c"]), st.booleans())
_KEYS = st.sampled_from(["name", "x", "y", "z"])
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=8,
)
_MAPS = st.dictionaries(_KEYS, _VALUES, max_size=3)


@given(template=_MAPS, live=_MAPS)
def test_merged_live_always_satisfies_template(template: Any, live: Any) -> None:
    """After enforcing (writing the merge), musthave is compliant: merge is idempotent."""
    merged = match.merge(template, live, "musthave")
    assert match.matches(template, merged, "musthave")[0]


@given(value=_MAPS)
def test_value_matches_itself(value: Any) -> None:
    """Any value satisfies itself under musthave and mustonlyhave."""
    assert match.matches(value, value, "musthave")[0]
    assert match.matches(value, value, "mustonlyhave")[0]


def test_exact_items_claim_before_loose_ones() -> None:
    """A template item equal to a live item claims it before a looser item ({}) can."""
    template = {"name": [{"y": "a"}, {}, {"y": "a"}]}
    merged = match.merge(template, {}, "musthave")
    assert match.matches(template, merged, "musthave")[0]
