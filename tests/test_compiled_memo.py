"""Remembered string checks: the compiled validator answers the same, asked once or often."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_ocm.validation import compiled

SCHEMAS = {
    "https://example.com/labels.json": {
        "$id": "https://example.com/labels.json",
        "type": "object",
        "propertyNames": {"$ref": "#/$defs/key"},
        "additionalProperties": {"$ref": "#/$defs/value"},
        "$defs": {
            "key": {"type": "string", "maxLength": 10, "pattern": "^[a-z]+$"},
            "value": {"type": "string", "pattern": "^[a-z0-9]*$"},
        },
    }
}

CASES = [
    ({"app": "web"}, True),
    ({"app": "Web"}, False),
    ({"App": "web"}, False),
    ({"averyverylongkey": "web"}, False),
    ({"app": 1}, False),
    ({"app": None}, False),
    ({"app": ["web"]}, False),
    ({"app": "web", "tier": "gold"}, True),
]


@pytest.mark.parametrize(("labels", "valid"), CASES, ids=repr)
def test_remembered_answers_do_not_change(labels: dict[str, Any], valid: bool) -> None:
    """A string check gives the same answer the first time, the second time and among others."""
    check = compiled.Compiler(SCHEMAS).compile("https://example.com/labels.json")
    for other, _ in CASES:
        check(other)
    assert [check(labels), check(labels)] == [valid, valid]


def test_only_string_schemas_are_remembered() -> None:
    """Schemas whose answer depends on more than a string's text are not wrapped."""
    compiler = compiled.Compiler(SCHEMAS)
    string = compiler._node({"type": "string", "pattern": "^a"}, "https://example.com/labels.json")
    number = compiler._node({"type": "integer", "minimum": 1}, "https://example.com/labels.json")
    assert string.__name__ == "remembered"
    assert number.__name__ != "remembered"


def test_a_check_called_while_its_build_runs_answers_correctly() -> None:
    """A check another thread finds half-built (its $ref placeholder) still validates correctly."""
    documents = {"s": {"type": "object", "properties": {"n": {"type": "integer"}}}}
    compiler = compiled.Compiler(documents)
    seen: list[bool] = []
    build = compiler._node

    def node_during_build(schema: Any, base: str) -> compiled.Check:
        if not seen:
            placeholder = compiler._compiled["s"]  # what a second thread would find now
            seen.extend([placeholder({"n": 1}), placeholder({"n": "x"})])
        return build(schema, base)

    compiler._node = node_during_build  # type: ignore[method-assign]
    check = compiler.compile("s")
    assert seen == [True, False]
    assert check({"n": 2}) and not check({"n": "y"})
