"""Structure validation: does a document match its kind's JSON Schema?

Pure. The first validation tier (docs/schemas.md). Each kind has a draft 2020-12
schema in ``schemas/``, translated from OCM's CRDs; :func:`check` returns every
violation as a :class:`~gitops_ocm.problems.Finding` with a stable ``S2xx`` code
and a JSON pointer, and never raises on user input.

Validators are built once per kind and cached (building one is costly).
Most documents are valid, so :func:`check` first asks a compiled yes/no check
(compiled.py, much faster than ``jsonschema``) and only walks ``jsonschema``'s
``iter_errors`` to explain a document that failed.
"""

from __future__ import annotations

import difflib
import functools
import json
import pathlib
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gitops_ocm import problems
from gitops_ocm.model import kinds
from gitops_ocm.validation import compiled, formats

UNKNOWN_FIELD = "S201"
MISSING_FIELD = "S202"
WRONG_TYPE = "S203"
NOT_IN_ENUM = "S204"
PATTERN_MISMATCH = "S205"
OUT_OF_LIMITS = "S206"
OTHER = "S207"
DUPLICATE_ENTRY = "S208"
LIST_MAP_KEYS = "x-kubernetes-list-map-keys"

if TYPE_CHECKING:  # jsonschema is slow to import: only invalid documents need it.
    import jsonschema
    import jsonschema.exceptions
    import referencing

_LIMITS: dict[str, str] = {
    "minimum": "must be >= {}",
    "maximum": "must be <= {}",
    "exclusiveMinimum": "must be > {}",
    "exclusiveMaximum": "must be < {}",
    "minLength": "must be at least {} characters",
    "maxLength": "must be at most {} characters",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "minProperties": "must have at least {} fields",
    "maxProperties": "must have at most {} fields",
    "multipleOf": "must be a multiple of {}",
}
_JSON_TYPES = {"object": "object", "array": "list", "string": "string", "integer": "integer"}


def schema_dir() -> pathlib.Path:
    """Return the directory holding the schema files (package symlink, else repo root)."""
    package = pathlib.Path(__file__).resolve().parent.parent
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / "objectmeta.json").is_file():
            return candidate
    raise FileNotFoundError(f"no schemas directory next to {package}")


def schema_files() -> Mapping[str, str]:
    """Return the schema file name of every kind that has one, by kind (built once)."""
    return _SCHEMA_FILES


_SCHEMA_FILES: Mapping[str, str] = types.MappingProxyType(
    {kind: info.schema for kind, info in {**kinds.KINDS, **kinds.PUBLISHED_KINDS}.items()}
)


@functools.cache
def _documents() -> dict[str, dict[str, Any]]:
    """Load every schema file once, keyed by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(schema_dir().glob("*.json"))
    }


@functools.cache
def _registry() -> referencing.Registry[Any]:
    """Return one registry holding every schema, keyed by its ``$id``."""
    import referencing
    import referencing.jsonschema

    resources = [
        (doc["$id"], referencing.jsonschema.DRAFT202012.create_resource(doc))
        for doc in _documents().values()
    ]
    return referencing.Registry().with_resources(resources)


@functools.cache
def validator(kind: str) -> jsonschema.Draft202012Validator | None:
    """Return the cached validator for ``kind``, or None when the kind has no schema."""
    name = schema_files().get(kind)
    if name is None:
        return None
    return _validator_class()(
        _documents()[name], registry=_registry(), format_checker=_format_checker()
    )


@functools.cache
def _validator_class() -> type[jsonschema.Draft202012Validator]:
    """Return draft 2020-12 plus ``x-kubernetes-list-map-keys`` (unique entries by key)."""
    import jsonschema.validators

    extended: type[jsonschema.Draft202012Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, {LIST_MAP_KEYS: _unique_by_keys}
    )
    return extended


def _unique_by_keys(
    validator: Any, keys: list[str], instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.exceptions.ValidationError]:
    """Yield an error at each entry whose keys repeat an earlier entry's."""
    import jsonschema.exceptions

    if not isinstance(instance, list):
        return
    seen: dict[str, int] = {}
    for i, item in enumerate(instance):
        key = compiled.list_key(item, tuple(keys))
        if key is None:
            continue
        if key in seen:
            names = " and ".join(repr(k) for k in keys)
            message = f"repeats entry {seen[key]}: entries must differ in {names}"
            yield jsonschema.exceptions.ValidationError(message, path=[i], instance=item)
        else:
            seen[key] = i


@functools.cache
def _format_checker() -> jsonschema.FormatChecker:
    """Return a checker for exactly the formats of formats.py (the compiled check uses them too)."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, check in formats.CHECKS.items():
        checker.checks(name)(check)
    return checker


@functools.cache
def _compiler() -> compiled.Compiler:
    """Return the one compiler shared by all kinds (it caches shared sub-schemas)."""
    return compiled.Compiler({doc["$id"]: doc for doc in _documents().values()})


@functools.cache
def fast_check(kind: str) -> compiled.Check:
    """Return the fastest correct yes/no check for ``kind`` (compiled, else jsonschema)."""
    name = schema_files().get(kind)
    if name is None:
        return lambda body: False
    try:
        return _compiler().compile(_documents()[name]["$id"])
    except compiled.Unsupported:
        checker = validator(kind)
        assert checker is not None
        return checker.is_valid


def check(kind: str, body: dict[str, Any]) -> list[problems.Finding]:
    """Return every structural problem of one document of ``kind``, sorted by place."""
    if kind not in schema_files():
        return [
            problems.Finding(OTHER, "", f"no schema for kind {kind!r}", problems.describe(kind))
        ]
    if fast_check(kind)(body):
        return []
    checker = validator(kind)
    assert checker is not None
    return _findings(checker, body)


def part_check(uri: str) -> compiled.Check:
    """Return the compiled yes/no check of one schema part (``$id#/json/pointer``)."""
    return _compiler().compile(uri)


def explain_part(uri: str, value: Any) -> list[problems.Finding]:
    """Return ``jsonschema``'s findings for ``value`` against one schema part (tests use both)."""
    checker = _validator_class()(
        {"$ref": uri}, registry=_registry(), format_checker=_format_checker()
    )
    return _findings(checker, value)


def _findings(checker: jsonschema.Draft202012Validator, value: Any) -> list[problems.Finding]:
    """Return every finding of ``checker`` on ``value``, each once, sorted by place."""
    found: dict[tuple[str, str, str], problems.Finding] = {}
    for error in checker.iter_errors(value):
        for finding in _explain(error):
            found.setdefault((finding.pointer, finding.code, finding.message), finding)
    # A value of the wrong type also fails its enum, pattern or limits: say it once.
    mistyped = {ptr for ptr, code, _ in found if code == WRONG_TYPE}
    return [
        found[key]
        for key in sorted(found)
        if key[0] not in mistyped or key[1] in (WRONG_TYPE, UNKNOWN_FIELD, MISSING_FIELD)
    ]


def _explain(error: jsonschema.exceptions.ValidationError) -> Iterator[problems.Finding]:
    """Turn one schema error into findings (one per unknown or missing field)."""
    keyword = str(error.validator)
    path = list(error.absolute_path)
    alternatives = _required_alternatives(error)
    if alternatives:
        code = MISSING_FIELD if error.context else OTHER
        message = f"{_name(path)} must set exactly one of: {', '.join(alternatives)}"
        yield problems.Finding(code, problems.pointer(*path), message)
        return
    if keyword in ("oneOf", "anyOf") and error.context:
        # The deepest sub-error names the field to fix; a failed "not" says least.
        best = max(error.context, key=lambda e: (len(e.absolute_path), e.validator != "not"))
        yield from _explain(best)
        return
    if "propertyNames" in error.absolute_schema_path:
        path.append(str(error.instance))
    if keyword == "additionalProperties":
        yield from _unknown_fields(error, path)
    elif keyword == "required":
        yield from _missing_fields(error, path)
    elif keyword == "false":
        yield _unknown(path[:-1], str(path[-1]) if path else "", ())
    else:
        yield _single(keyword, error, path)


def _required_alternatives(error: jsonschema.exceptions.ValidationError) -> list[str]:
    """Return the fields of a ``oneOf`` whose branches each require one field, else []."""
    branches = error.validator_value if error.validator == "oneOf" else None
    if not isinstance(branches, list):
        return []
    if not all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
        return []
    return [field for branch in branches for field in branch["required"]]


def _unknown_fields(
    error: jsonschema.exceptions.ValidationError, path: list[str | int]
) -> Iterator[problems.Finding]:
    """Yield one S201 per field the schema does not allow, with a did-you-mean hint."""
    allowed = sorted(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
    instance: Any = error.instance
    for field in sorted(instance, key=str):
        if field not in allowed:
            yield _unknown(path, str(field), allowed)


def _unknown(path: Sequence[str | int], field: str, allowed: Iterable[str]) -> problems.Finding:
    """Return the S201 finding for ``field`` under ``path``."""
    message = f"unknown field {field!r}"
    close = difflib.get_close_matches(field, list(allowed), n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    return problems.Finding(UNKNOWN_FIELD, problems.pointer(*path, field), message)


def _missing_fields(
    error: jsonschema.exceptions.ValidationError, path: list[str | int]
) -> Iterator[problems.Finding]:
    """Yield one S202 per missing required field, pointing at the object that lacks it."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    required: Any = error.validator_value
    for field in required:
        if field not in instance:
            where = f" in {_name(path)}" if path else ""
            message = f"missing required field {field!r}{where}"
            yield problems.Finding(MISSING_FIELD, problems.pointer(*path), message)


def _single(
    keyword: str, error: jsonschema.exceptions.ValidationError, path: list[str | int]
) -> problems.Finding:
    """Return the finding for a keyword that fails on one value."""
    name = _name(path)
    got = problems.describe(error.instance)
    value: Any = error.validator_value
    ptr = problems.pointer(*path)
    if keyword == "type":
        wanted = value if isinstance(value, list) else [value]
        text = " or ".join(_JSON_TYPES.get(str(t), str(t)) for t in wanted if t != "null")
        return problems.Finding(WRONG_TYPE, ptr, f"{name} must be of type {text}", got)
    if keyword == "enum":
        allowed = ", ".join(str(v) for v in value)
        return problems.Finding(NOT_IN_ENUM, ptr, f"{name} must be one of: {allowed}", got)
    if keyword == "pattern":
        return problems.Finding(PATTERN_MISMATCH, ptr, f"{name} must match pattern {value}", got)
    if keyword == "format":
        code = OUT_OF_LIMITS if value in formats.INT_RANGES else PATTERN_MISMATCH
        what = formats.WHAT.get(str(value), f"a valid {value}")
        return problems.Finding(code, ptr, f"{name} must be {what} (format {value})", got)
    if keyword == "maxLength" and value == 0:
        return problems.Finding(OUT_OF_LIMITS, ptr, f"{name} must be empty here", got)
    if keyword in ("minLength", "minItems", "minProperties") and value == 1:
        return problems.Finding(OUT_OF_LIMITS, ptr, f"{name} must not be empty", got)
    if keyword in _LIMITS:
        return problems.Finding(OUT_OF_LIMITS, ptr, f"{name} {_limit(keyword, value)}", got)
    if keyword == "uniqueItems":
        return problems.Finding(OUT_OF_LIMITS, ptr, f"{name} must not contain duplicates", got)
    if keyword == LIST_MAP_KEYS:
        keys = [error.instance.get(k) for k in value] if isinstance(error.instance, dict) else []
        got = problems.describe(keys[0] if len(keys) == 1 else keys)
        return problems.Finding(DUPLICATE_ENTRY, ptr, f"{name} {error.message}", got)
    if keyword == "const":
        return problems.Finding(OTHER, ptr, f"{name} must be {value!r}", got)
    if keyword == "oneOf":
        return problems.Finding(OTHER, ptr, f"{name} matches more than one allowed form", got)
    if keyword == "not":
        return problems.Finding(OTHER, ptr, f"{name} has a form that is not allowed here", got)
    return problems.Finding(OTHER, ptr, f"{name}: {error.message}", got)


def _limit(keyword: str, value: Any) -> str:
    """Return the sentence for a failed limit, with a correct plural."""
    text = _LIMITS[keyword].format(value)
    return text[:-1] if value == 1 and text.endswith("s") else text


def _name(path: Sequence[str | int]) -> str:
    """Return a readable, quoted name for a place: ``'predicates[0]'``, ``'spec'``."""
    text = ""
    for token in path:
        text = f"{text}[{token}]" if isinstance(token, int) else str(token)
    return repr(text) if text else "the document"
