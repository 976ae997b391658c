"""Every bound and format of every schema, at its edge: just inside accepted, just outside refused.

The cases are found by walking schemas/*.json, so a bound added to a schema is
tested without a new line here. Both checkers (the compiled one and
``jsonschema``, which explains) must agree; a refusal carries its S2xx code.
A second table checks whole documents: the problem's code, pointer and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gitops_ocm import problems, source, validation
from gitops_ocm.validation import formats, structure

LIMITS = ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "format")

# One valid element per bounded list (lists need elements to stay valid inside the bound).
ELEMENTS: dict[str, Any] = {
    "manifestworkreplicaset.json#/properties/spec/properties/placementRefs": {"name": "p"},
    "placementbinding.json#/properties/subjects": {
        "apiGroup": "policy.open-cluster-management.io",
        "kind": "Policy",
        "name": "p",
    },
    "policyset.json#/properties/spec/properties/exclusions/items/properties/clusterNames": "c1",
    "placement.json#/properties/spec/properties/spreadPolicy/properties/spreadConstraints": {
        "topologyKey": "zone",
        "topologyKeyType": "Label",
    },
    "policyset.json#/properties/status/properties/exclusions/items/properties/clusters": "c1",
}


def _walk_all() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (``$id#pointer``, schema part) for every schema object of every file."""
    for path in sorted(structure.schema_dir().glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        yield from _every_part(document["$id"], document, "")


def _every_part(uri: str, node: Any, at: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield f"{uri}#{at}", node
        for key, child in node.items():
            yield from _every_part(uri, child, f"{at}/{problems.escape_pointer_token(key)}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _every_part(uri, child, f"{at}/{i}")


def _parts() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (``$id#pointer``, schema part) for every part with a bound or a format."""
    for uri, node in _walk_all():
        if any(k in node for k in LIMITS):
            yield uri, node


def _text(length: int, pattern: str | None) -> str:
    """Return a string of exactly ``length`` characters that matches ``pattern``."""
    label = "a" * 63
    candidates = ["a" * length]
    if length > 64:
        prefix = ".".join([label] * ((length - 64) // 64 + 1))[: length - 64].strip(".")
        prefix = prefix.rjust(length - 64, "b") if prefix else ""
        candidates.append(f"{prefix}/{label}")
        domain = ".".join([label] * (length // 64 + 1))[:length]
        candidates.append(domain[:-1] + "a" if domain.endswith(".") else domain)
    for text in candidates:
        if len(text) == length and (pattern is None or re.search(pattern, text)):
            return text
    raise AssertionError(f"no string of length {length} matches {pattern}")


def _short(uri: str) -> str:
    """Return ``file.json/path/to/field`` for a schema part's URI (a readable test id)."""
    base, _, at = uri.partition("#")
    return base.rpartition("/")[2] + at.replace("/properties", "")


def _edges(uri: str, node: dict[str, Any]) -> Iterator[tuple[str, Any, Any, str]]:
    """Yield (name, just inside, just outside, code) for every bound of one schema part."""
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None:
        yield "minimum", low, low - 1, structure.OUT_OF_LIMITS
    if high is not None:
        yield "maximum", high, high + 1, structure.OUT_OF_LIMITS
    fmt = node.get("format")
    if fmt in formats.INT_RANGES:
        lowest, highest = formats.INT_RANGES[fmt]
        if low is None:
            yield f"{fmt}-low", lowest, lowest - 1, structure.OUT_OF_LIMITS
        if high is None:
            yield f"{fmt}-high", highest, highest + 1, structure.OUT_OF_LIMITS
    elif fmt == "date-time":
        yield "date-time", "2024-02-29T23:59:59.5+05:30", "2026-02-29T00:00:00Z", "S205"
        yield "date-time-form", "2026-01-02T03:04:05Z", "2026-01-02 03:04:05", "S205"
    elif fmt == "byte":
        yield "byte", "aGVsbG8=", "aGVsbG8", "S205"
    pattern = node.get("pattern")
    if "minLength" in node and node["minLength"] > 0:
        n = node["minLength"]
        inside = node["enum"][0] if "enum" in node else _text(n, pattern)
        yield "minLength", inside, "a" * (n - 1), structure.OUT_OF_LIMITS
    if "maxLength" in node:
        n = node["maxLength"]
        yield "maxLength", _text(n, pattern) if n else "", "a" * (n + 1), structure.OUT_OF_LIMITS
    for keyword, step in (("minItems", -1), ("maxItems", 1)):
        edge = node.get(keyword)
        if edge is None:
            continue
        base, _, at = uri.partition("#")
        element = ELEMENTS.get(f"{base.rpartition('/')[2]}#{at}")
        assert element is not None, f"add a valid element of {uri} to ELEMENTS"
        yield keyword, [element] * edge, [element] * (edge + step), structure.OUT_OF_LIMITS


CASES = [
    pytest.param(uri, inside, outside, code, id=f"{_short(uri)}:{name}")
    for uri, node in _parts()
    for name, inside, outside, code in _edges(uri, node)
]


def test_every_format_of_the_crds_is_checked() -> None:
    """The walk finds every format the CRDs use: int32, int64, date-time and byte."""
    found = {node["format"] for _, node in _parts() if "format" in node}
    assert found == set(formats.CHECKS)


@pytest.mark.parametrize(("uri", "inside", "outside", "code"), CASES)
def test_bound_edge(uri: str, inside: Any, outside: Any, code: str) -> None:
    """Just inside the bound passes both checkers; just outside fails both, with its code."""
    check = structure.part_check(uri)
    assert check(inside), inside
    assert structure.explain_part(uri, inside) == []
    assert not check(outside), outside
    codes = {f.code for f in structure.explain_part(uri, outside)}
    assert code in codes, codes


PLACEMENT = """\
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata:
  name: p1
  namespace: apps
spec:
  numberOfClusters: {number}
  prioritizerPolicy:
    configurations:
      - scoreCoordinate:
          builtIn: Steady
        weight: {weight}
  tolerations:
    - key: maintenance
      operator: Exists
      tolerationSeconds: {seconds}
"""

CLUSTER = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: c1
spec:
  hubAcceptsClient: true
  leaseDurationSeconds: {lease}
  managedClusterClientConfigs:
    - url: https://api.c1.example.com:6443
      caBundle: {ca}
  taints:
    - key: gpu
      effect: NoSelect
      timeAdded: "{added}"
"""

GOOD = {
    "number": 2147483647,
    "weight": 10,
    "seconds": 9223372036854775807,
    "lease": 2147483647,
    "ca": "aGVsbG8=",
    "added": "2026-01-02T03:04:05Z",
}

DOCUMENT_CASES = [
    ("int32-number", "number", 2147483648, "/spec/numberOfClusters", 7),
    ("minimum-number", "number", -1, "/spec/numberOfClusters", 7),
    ("maximum-weight", "weight", 11, "/spec/prioritizerPolicy/configurations/0/weight", 12),
    ("minimum-weight", "weight", -11, "/spec/prioritizerPolicy/configurations/0/weight", 12),
    ("int64-seconds", "seconds", 2**63, "/spec/tolerations/0/tolerationSeconds", 16),
    ("int32-lease", "lease", -(2**31) - 1, "/spec/leaseDurationSeconds", 7),
    ("byte-ca", "ca", "not base64!", "/spec/managedClusterClientConfigs/0/caBundle", 10),
    ("date-time-added", "added", "yesterday", "/spec/taints/0/timeAdded", 14),
]


def _write(tmp_path: Path, values: dict[str, Any]) -> list[problems.Problem]:
    (tmp_path / "placement.yaml").write_text(PLACEMENT.format(**values))
    (tmp_path / "cluster.yaml").write_text(CLUSTER.format(**values))
    return validation.validate(source.load_directory(tmp_path))


def test_documents_at_the_edges_are_valid(tmp_path: Path) -> None:
    """Documents holding every value just inside its bound are valid."""
    assert [p.render() for p in _write(tmp_path, GOOD) if p.code.startswith("S")] == []


@pytest.mark.parametrize(
    ("field", "value", "pointer", "line"),
    [c[1:] for c in DOCUMENT_CASES],
    ids=[c[0] for c in DOCUMENT_CASES],
)
def test_document_out_of_bounds(
    field: str, value: Any, pointer: str, line: int, tmp_path: Path
) -> None:
    """A value just outside its bound is one structure problem on the value's own line."""
    found = [p for p in _write(tmp_path, {**GOOD, field: value}) if p.code.startswith("S")]
    assert [(p.pointer, p.line) for p in found] == [(pointer, line)], [p.render() for p in found]
    assert found[0].code in ("S205", "S206")


@pytest.mark.parametrize(
    ("fmt", "value", "valid"),
    [
        ("date-time", "2026-01-02T03:04:05Z", True),
        ("date-time", "2026-01-02T03:04:05.123456789-07:00", True),
        ("date-time", "2024-02-29T00:00:00Z", True),
        ("date-time", "2025-02-29T00:00:00Z", False),
        ("date-time", "2026-13-01T00:00:00Z", False),
        ("date-time", "2026-01-01T24:00:00Z", False),
        ("date-time", "2026-01-01T00:60:00Z", False),
        ("date-time", "2026-01-01T00:00:60Z", False),
        ("date-time", "2026-01-01t00:00:00z", False),
        ("date-time", "2026-01-01T00:00Z", False),
        ("date-time", "2026-01-01T00:00:00+24:00", False),
        ("date-time", "2026-01-01", False),
        ("byte", "", True),
        ("byte", "YWJj", True),
        ("byte", "YWJj\nZA==", True),
        ("byte", "YWJjZA==YWJj", False),
        ("byte", "YWJjZA", False),
        ("byte", "YW=j", False),
        ("int32", 2**31 - 1, True),
        ("int32", -(2**31), True),
        ("int32", 2**31, False),
        ("int32", 3.0, True),
        ("int64", -(2**63) - 1, False),
        ("int64", "not a number", True),
    ],
)
def test_format_checks(fmt: str, value: Any, valid: bool) -> None:
    """Each format accepts what Go's decoders accept; other types are left to ``type``."""
    assert formats.CHECKS[fmt](value) is valid


def _example(node: dict[str, Any], distinct: int = 0) -> Any:
    """Return a small valid value for a schema part (``distinct`` picks another string)."""
    if "enum" in node:
        return node["enum"][distinct % len(node["enum"])]
    kind = node.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object" or "properties" in node:
        props = node.get("properties", {})
        return {name: _example(props[name]) for name in node.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return node.get("minimum", 0)
    if kind == "boolean":
        return True
    if node.get("format") == "date-time":
        return "2026-01-02T03:04:05Z"
    text = f"a{distinct}" if distinct else "a"
    assert re.search(node.get("pattern", ""), text), node
    return text


def _keyed_lists() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (``$id#pointer``, schema part) for every list keyed like a CRD's list-type map."""
    for uri, node in _walk_all():
        if structure.LIST_MAP_KEYS in node:
            yield uri, node


KEYED = [pytest.param(uri, node, id=_short(uri)) for uri, node in _keyed_lists()]


def test_every_keyed_list_of_the_crds_is_found() -> None:
    """The CRDs' user-written keyed lists (x-kubernetes-list-type: map) carry their keys."""
    found = {_short(uri) for uri, _ in _keyed_lists()}
    assert {
        "managedclusterset.json/spec/managedNamespaces",
        "manifestwork.json/spec/manifestConfigs/items/conditionRules",
        "manifestwork.json/spec/manifestConfigs/items/feedbackRules/items/jsonPaths",
        "manifestwork.json/spec/manifestConfigs/items/updateStrategy/serverSideApply/ignoreFields",
    } <= found
    assert len(found) == 17


@pytest.mark.parametrize(("uri", "node"), KEYED)
def test_keyed_list_entries_are_unique(uri: str, node: dict[str, Any]) -> None:
    """Two entries that differ in their keys pass; a repeated key is S208 at the second entry."""
    keys = node[structure.LIST_MAP_KEYS]
    item = node["items"]
    first, second = _example(item), _example(item)
    for key in keys:
        first[key] = _example(item["properties"][key], 0)
        second[key] = _example(item["properties"][key], 1)
    check = structure.part_check(uri)
    assert check([first, second])
    assert structure.explain_part(uri, [first, second]) == []
    repeated = [first, second, dict(first)]
    assert not check(repeated)
    assert [(f.code, f.pointer) for f in structure.explain_part(uri, repeated)] == [("S208", "/2")]


def test_repeated_entry_is_placed_on_its_own_line(tmp_path: Path) -> None:
    """A repeated keyed-list entry is reported on the second entry's line, not the list's."""
    (tmp_path / "set.yaml").write_text(
        "apiVersion: cluster.open-cluster-management.io/v1beta2\n"
        "kind: ManagedClusterSet\n"
        "metadata:\n"
        "  name: prod\n"
        "spec:\n"
        "  managedNamespaces:\n"
        "    - name: monitoring\n"
        "    - name: logging\n"
        "    - name: monitoring\n"
        "    - name: tracing\n"
    )
    found = validation.validate(source.load_directory(tmp_path))
    assert [(p.code, p.pointer, p.line) for p in found] == [
        ("S208", "/spec/managedNamespaces/2", 9)
    ]


TAINTED = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: c1
spec:
  taints:
    - key: {key}
      value: {value}
      effect: {effect}
"""
SPREAD = """\
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata:
  name: p1
  namespace: apps
spec:
  spreadPolicy:
    spreadConstraints: {constraints}
"""
BINDING = """\
apiVersion: policy.open-cluster-management.io/v1
kind: PlacementBinding
metadata:
  name: b1
  namespace: apps
placementRef:
  apiGroup: cluster.open-cluster-management.io
  kind: Placement
  name: p1
subjects: {subjects}
"""
_C = {"topologyKey": "zone", "topologyKeyType": "Label"}
_S = {"apiGroup": "policy.open-cluster-management.io", "kind": "Policy", "name": "x"}
_T = {"key": "gpu", "value": "a", "effect": "NoSelect"}

EDGE_DOCUMENTS = [
    ("maxLength", TAINTED, _T, {"value": "v" * 1024}, {"value": "v" * 1025}, "S206", 8),
    ("pattern", TAINTED, _T, {"key": "a.b/c"}, {"key": "-gpu"}, "S205", 7),
    ("enum", TAINTED, _T, {"effect": "NoSelectIfNew"}, {"effect": "NoSchedule"}, "S204", 9),
    ("maxItems", SPREAD, {}, {"constraints": [_C] * 8}, {"constraints": [_C] * 9}, "S206", 8),
    ("minItems", BINDING, {}, {"subjects": [_S]}, {"subjects": []}, "S206", 10),
]


@pytest.mark.parametrize(
    ("template", "base", "inside", "outside", "code", "line"),
    [c[1:] for c in EDGE_DOCUMENTS],
    ids=[c[0] for c in EDGE_DOCUMENTS],
)
def test_document_edges_by_keyword(
    template: str,
    base: dict[str, Any],
    inside: dict[str, Any],
    outside: dict[str, Any],
    code: str,
    line: int,
    tmp_path: Path,
) -> None:
    """Each keyword class in a whole document: inside is valid, outside is its code on its line."""
    for name, values, expected in (("in", inside, []), ("out", outside, [(code, line)])):
        folder = tmp_path / name
        folder.mkdir()
        fields = {k: json.dumps(v) for k, v in {**base, **values}.items()}
        (folder / "doc.yaml").write_text(template.format(**fields))
        found = validation.validate(source.load_directory(folder))
        structural = [(p.code, p.line) for p in found if p.code.startswith("S")]
        assert structural == expected, [p.render() for p in found]
