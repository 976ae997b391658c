"""Canonical YAML output: what ``yamlout.dump`` writes reads back as the same data."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.model import yamlout

_WORDS = st.sampled_from(
    [
        "",
        "a",
        "yes",
        "No",
        "ON",
        "null",
        "~",
        "true",
        "1",
        "0x1f",
        "1.5",
        "1e3",
        "1_000",
        ".inf",
        "2024-01-01",
        "a: b",
        "a:",
        "- a",
        "# x",
        "a #b",
        "*x",
        "&y",
        "!t",
        "|",
        ">",
        "%",
        "@a",
        "a b",
        " a",
        "a ",
        "http://x.io/a",
        "nginx:1.25",
        "<<",
        "=",
        "a\nb",
        "a\n",
        "a\n\n",
        " a\nb",
        "\na",
        "a\r\nb",
        "a\tb",
        "\u0085",
        "\u2028",
        "é",
        "😀",
        "\x7f",
        "a\n  b\n",
        "...",
    ]
)
_TEXT = st.one_of(_WORDS, st.text(max_size=12), st.text(alphabet="ab :-#\n\t' \"|", max_size=8))
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    _TEXT,
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(_TEXT, _DATA, max_size=6))
def test_dump_round_trips(body: dict[str, Any]) -> None:
    """Any JSON-like object reads back equal after dump (through PyYAML's safe loader)."""
    data = yamlout.dump(body)
    assert yamlout.load(data) == (body or {})
    assert yaml.safe_load(data.decode("utf-8")) == (body or {})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {"spec": {"b": [1, {"x": None}], "a": "yes"}, "kind": "K", "apiVersion": "v1"},
            b'apiVersion: v1\nkind: K\nspec:\n  a: "yes"\n  b:\n  - 1\n  - x: null\n',
            id="top-order-sorted-keys-quoted-bool-word",
        ),
        pytest.param(
            {"data": {"f": "line one\nline two\n"}, "e": [], "m": {}},
            b"data:\n  f: |\n    line one\n    line two\ne: []\nm: {}\n",
            id="literal-block-and-empty-collections",
        ),
        pytest.param(
            {"a": [[1, 2], "x y", 1.0e20, float("inf")]},
            b"a:\n- - 1\n  - 2\n- x y\n- 1.0e+20\n- .inf\n",
            id="nested-lists-floats",
        ),
    ],
)
def test_dump_layout(body: dict[str, Any], expected: bytes) -> None:
    """Block style, Kubernetes top-level order, sorted keys below."""
    assert yamlout.dump(body) == expected


def test_dump_falls_back_for_other_types() -> None:
    """Data the direct emitter does not handle (a date, an int key) still round-trips."""
    body = {"when": datetime.date(2024, 1, 1), "m": {1: "one"}}
    assert yamlout.load(yamlout.dump(body)) == body
