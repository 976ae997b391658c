"""A fast yes/no check of a document against one of our JSON Schemas.

Pure. ``jsonschema`` walks a schema generically, which is slow per OCM
document, and a fleet repository has thousands. This module compiles a schema
once into nested Python closures that answer only "valid or not", many times
faster (figures: benchmarks/README.md), for
the subset of draft 2020-12 our schema files use (``format`` as in formats.py,
plus our keyword ``x-kubernetes-list-map-keys``). It refuses (raises
:class:`Unsupported`) any keyword it does not implement, so it can never
silently accept what ``jsonschema`` would reject; the caller then falls back to
``jsonschema``. Explaining *why* a document is invalid stays ``jsonschema``'s job
(structure.py), and tests check that both always agree.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from gitops_ocm.validation import formats

Check = Callable[[Any], bool]

# Keywords that never affect validity (annotations), or are handled with a sibling.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "default", "then"}
)


class Unsupported(ValueError):
    """The schema uses a keyword or value this compiler does not implement."""


def _is_integer(value: Any) -> bool:
    """Match jsonschema: ints (not bools) and floats with an integral value."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    """Match jsonschema: ints and floats, not bools."""
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


class Compiler:
    """Compiles schemas that live in one set of documents keyed by ``$id``."""

    def __init__(self, documents: Mapping[str, Mapping[str, Any]]) -> None:
        self._documents = documents
        self._compiled: dict[str, Check] = {}

    def compile(self, uri: str) -> Check:
        """Return the check for the schema at ``uri`` (``$id`` plus optional ``#/pointer``)."""
        if uri not in self._compiled:
            cell: list[Check] = []

            def pending(value: Any) -> bool:
                # Breaks $ref cycles. Another thread may find this entry and call it before
                # the build filling ``cell`` ends; it then builds a private copy of its own.
                check = cell[0] if cell else Compiler(self._documents).compile(uri)
                return check(value)

            self._compiled[uri] = pending
            base = uri.partition("#")[0]
            cell.append(self._node(self._resolve(uri), base))
            self._compiled[uri] = cell[0]
        return self._compiled[uri]

    def _resolve(self, uri: str) -> Any:
        """Return the schema a URI with an optional JSON pointer fragment names."""
        base, _, fragment = uri.partition("#")
        if base not in self._documents:
            raise Unsupported(f"unknown schema {base!r}")
        node: Any = self._documents[base]
        for token in [t for t in fragment.split("/") if t]:
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
        return node

    def _node(self, schema: Any, base: str) -> Check:
        """Compile one schema object into a single check."""
        if schema is True or schema == {}:
            return lambda value: True
        if schema is False:
            return lambda value: False
        check = _all(self._keywords(schema, base))
        if set(schema) <= _STRING_ONLY and schema.get("type") == "string":
            return _remembered(check)
        return check

    def _keywords(self, schema: Mapping[str, Any], base: str) -> list[Check]:
        """Compile each keyword of a schema object; fail on unknown keywords."""
        unknown = set(schema) - _ANNOTATIONS - _HANDLED
        if unknown:
            raise Unsupported(f"keywords not supported: {sorted(unknown)}")
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self.compile(urllib.parse.urljoin(base, schema["$ref"])))
        is_object = {"properties", "additionalProperties", "required", "propertyNames"} & set(
            schema
        )
        if is_object:
            checks.append(self._object(schema, base, strict=schema.get("type") == "object"))
        if "type" in schema and not (is_object and schema["type"] == "object"):
            checks.append(_type(schema["type"]))
        if "items" in schema:
            checks.append(_each(self._node(schema["items"], base)))
        checks.extend(_scalars(schema))
        checks.extend(self._combinators(schema, base))
        return checks or [lambda value: True]

    def _object(self, schema: Mapping[str, Any], base: str, strict: bool) -> Check:
        """Compile properties, additionalProperties, required and propertyNames.

        With ``strict`` the check also stands for ``"type": "object"``.
        """
        props = {name: self._node(s, base) for name, s in schema.get("properties", {}).items()}
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True else self._node(extra_schema, base)
        names = self._node(schema["propertyNames"], base) if "propertyNames" in schema else None
        required = frozenset(schema.get("required", ()))

        def check(value: Any) -> bool:
            if not isinstance(value, dict):
                return not strict
            for key, item in value.items():
                prop = props.get(key)
                if prop is not None:
                    if not prop(item):
                        return False
                elif extra is not None and not extra(item):
                    return False
                if names is not None and not names(key):
                    return False
            return required <= value.keys()

        return check

    def _combinators(self, schema: Mapping[str, Any], base: str) -> list[Check]:
        """Compile allOf, anyOf, oneOf, not and if/then/else."""
        checks: list[Check] = []
        if "allOf" in schema:
            parts = [self._node(s, base) for s in schema["allOf"]]
            checks.append(lambda v: all(p(v) for p in parts))
        if "anyOf" in schema:
            any_parts = [self._node(s, base) for s in schema["anyOf"]]
            checks.append(lambda v: any(p(v) for p in any_parts))
        if "oneOf" in schema:
            one_parts = [self._node(s, base) for s in schema["oneOf"]]
            checks.append(lambda v: sum(1 for p in one_parts if p(v)) == 1)
        if "not" in schema:
            negated = self._node(schema["not"], base)
            checks.append(lambda v: not negated(v))
        if "if" in schema:
            condition = self._node(schema["if"], base)
            then = self._node(schema.get("then", True), base)
            otherwise = self._node(schema.get("else", True), base)
            checks.append(lambda v: then(v) if condition(v) else otherwise(v))
        return checks


_HANDLED = frozenset(
    {
        "$ref",
        "type",
        "properties",
        "additionalProperties",
        "required",
        "propertyNames",
        "items",
        "enum",
        "const",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "format",
        "x-kubernetes-list-map-keys",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "else",
    }
)


# A schema made of only these keywords, with "type": "string", judges a value by
# its text alone: its answer for a string can be remembered.
_STRING_ONLY = _ANNOTATIONS | {
    "type",
    "pattern",
    "minLength",
    "maxLength",
    "enum",
    "const",
    "format",
}
_REMEMBERED_LIMIT = 1 << 16


def _remembered(check: Check) -> Check:
    """Remember ``check``'s answer per string (label keys and values repeat across a fleet)."""
    answers: dict[str, bool] = {}

    def remembered(value: Any) -> bool:
        if type(value) is not str:
            return check(value)
        answer = answers.get(value)
        if answer is None:
            answer = check(value)
            if len(answers) < _REMEMBERED_LIMIT:
                answers[value] = answer
        return answer

    return remembered


def _type(wanted: str | list[str]) -> Check:
    """Compile the ``type`` keyword."""
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    tests = [_TYPES[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _each(item: Check) -> Check:
    """Compile ``items`` (every element, as there is no ``prefixItems``)."""

    def check(value: Any) -> bool:
        if isinstance(value, list):
            for element in value:
                if not item(element):
                    return False
        return True

    return check


def _all(checks: list[Check]) -> Check:
    """Combine checks that must all pass, without a generator for the common sizes."""
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda value: first(value) and second(value)
    if len(checks) == 3:
        one, two, three = checks
        return lambda value: one(value) and two(value) and three(value)
    return lambda value: all(check(value) for check in checks)


def _strings(values: list[Any], keyword: str) -> frozenset[str]:
    """Return enum/const values, refusing non-strings (their equality rules differ)."""
    if not all(isinstance(v, str) for v in values):
        raise Unsupported(f"{keyword} with non-string values")
    return frozenset(values)


def _scalars(schema: Mapping[str, Any]) -> list[Check]:
    """Compile enum, const, pattern, format and the numeric, length and size limits."""
    checks: list[Check] = []
    if "format" in schema:
        if schema["format"] not in formats.CHECKS:
            raise Unsupported(f"format {schema['format']!r}")
        checks.append(formats.CHECKS[schema["format"]])
    if "enum" in schema:
        allowed = _strings(list(schema["enum"]), "enum")
        checks.append(lambda v: isinstance(v, str) and v in allowed)
    if "const" in schema:
        const = _strings([schema["const"]], "const")
        checks.append(lambda v: isinstance(v, str) and v in const)
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None or high is not None:
        checks.append(lambda v: not _is_number(v) or _between(v, low, high))
    checks.extend(_sizes(schema, "minLength", "maxLength", str))
    checks.extend(_sizes(schema, "minItems", "maxItems", list))
    if "x-kubernetes-list-map-keys" in schema:
        keys = tuple(schema["x-kubernetes-list-map-keys"])
        checks.append(lambda v: not isinstance(v, list) or first_repeated(v, keys) is None)
    return checks


def list_key(item: Any, keys: tuple[str, ...]) -> str | None:
    """Return the identity of an entry of a keyed list (None for an entry that is no object)."""
    if not isinstance(item, dict):
        return None
    return json.dumps([item.get(k) for k in keys], sort_keys=True, default=str)


def first_repeated(items: list[Any], keys: tuple[str, ...]) -> tuple[int, int] | None:
    """Return (first, repeat) positions of two entries with equal keys, or None.

    The API server refuses such a list (``x-kubernetes-list-type: map``).
    """
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        key = list_key(item, keys)
        if key is None:
            continue
        if key in seen:
            return seen[key], i
        seen[key] = i
    return None


def _between(value: float, low: float | None, high: float | None) -> bool:
    """Return True when ``low <= value <= high`` (missing bounds are open)."""
    return (low is None or value >= low) and (high is None or value <= high)


def _sizes(
    schema: Mapping[str, Any], low_key: str, high_key: str, kind: type[str] | type[list[Any]]
) -> list[Check]:
    """Compile a min/max length pair that applies to values of one Python type."""
    low, high = schema.get(low_key), schema.get(high_key)
    if low is None and high is None:
        return []
    return [lambda v: not isinstance(v, kind) or _between(len(v), low, high)]
