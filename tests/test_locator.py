"""Problem positions: walking the event stream finds what the composed node tree finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.model import yamlfile

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "repo").rglob("*.yaml"))


def pointers(body: Any, prefix: str = "") -> list[str]:
    """Every JSON pointer into ``body``, and one past each collection's end."""
    out = [prefix]
    if isinstance(body, dict):
        out.append(prefix + "/no-such-key")
        for key, value in body.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            out.extend(pointers(value, f"{prefix}/{token}"))
    elif isinstance(body, list):
        out.append(f"{prefix}/{len(body)}")
        for position, value in enumerate(body):
            out.extend(pointers(value, f"{prefix}/{position}"))
    return out


def composed(data: bytes, index: int, ptr: str) -> tuple[int, int]:
    """Where the node-tree path of the Locator places ``ptr``."""
    locator = yamlfile.Locator(data)
    locator._walks = yamlfile.Locator.WALKS  # go straight to the composed trees
    return locator.locate(index, ptr)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_walk_finds_what_composition_finds(path: Path) -> None:
    """For every pointer into every example document, both ways give the same position."""
    data = path.read_bytes()
    for index, body in enumerate(yaml.safe_load_all(data)):
        if body is None:
            continue
        for ptr in pointers(body):
            walked = yamlfile.Locator(data).locate(index, ptr)
            assert walked == composed(data, index, ptr), (index, ptr)


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.one_of(st.integers(), st.text(max_size=5), st.none()),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(min_size=1, max_size=4), inner, max_size=4)
        ),
        max_leaves=25,
    ),
    st.booleans(),
)
def test_walk_matches_on_random_documents(body: Any, flow: bool) -> None:
    """Random nested documents, in block or flow style, locate the same both ways."""
    data = yaml.safe_dump({"doc": body}, default_flow_style=flow).encode()
    for ptr in pointers({"doc": body}):
        assert yamlfile.Locator(data).locate(0, ptr) == composed(data, 0, ptr), ptr


def test_locator_composes_after_a_few_questions() -> None:
    """Many questions about one file compose it once instead of walking it each time."""
    locator = yamlfile.Locator(b"a:\n  b: 1\n  c: [1, 2]\n")
    answers = [locator.locate(0, "/a/c/1") for _ in range(yamlfile.Locator.WALKS + 2)]
    assert set(answers) == {(3, 10)}
    assert locator._roots is not None
