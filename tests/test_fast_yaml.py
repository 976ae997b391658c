"""The fast YAML paths give exactly what the full loaders give, on any input.

``yamlfile.parse`` builds anchor-free files directly (model/yamlbuild.py) and
``yamlout.load`` does the same for single documents; both fall back to the
full loader for anything else. These tests compare each fast path with its
full counterpart on the hostile corpus, the example fleet, hand-picked corner
cases and random YAML-like text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitops_ocm.model import yamlbuild, yamlfile, yamlout

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted((ROOT / "tests" / "corpus" / "hostile").iterdir())
EXAMPLES = sorted((ROOT / "examples" / "repo").rglob("*.yaml"))

CORNER_CASES = {
    "int-keys": "1: a\ntrue: b\nnull: c\n1.5: d\n",
    "int-and-bool-key-collide": "1: a\ntrue: b\n",
    "duplicate-key": "a: 1\nb: 2\na: 3\n",
    "value-key": "=: x\n",
    "value-value": "a: =\n",
    "merge": "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
    "merge-inline": "m:\n  <<: {x: 1}\n  y: 2\n",
    "merge-tagged": "m:\n  !!merge x: {x: 1}\n",
    "bad-merge": "m:\n  <<: 1\n",
    "tags": "a: !!str 1\nb: !!int '2'\nc: !!float '3'\nd: !!binary aGk=\n",
    "unknown-tag": "a: !thing x\n",
    "set": "a: !!set {x, y}\n",
    "omap": "a: !!omap [x: 1, y: 2]\n",
    "timestamps": "a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: '2002-12-14'\n",
    "numbers": "a: 0x1F\nb: 0o17\nc: 1_000\nd: .inf\ne: -.Inf\nf: .nan\ng: 1e3\nh: 0b101\n",
    "booleans": "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: ~\ng:\n",
    "complex-key": "? [a, b]\n: c\n",
    "mapping-key": "? {a: 1}\n: c\n",
    "list-root": "- a\n- b\n",
    "scalar-root": "just text\n",
    "empty": "",
    "empty-documents": "---\n---\na: 1\n---\n",
    "many-documents": "a: 1\n---\nb: [1, 2]\n...\n---\nc: {d: e}\n",
    "explicit-end": "a: 1\n...\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "tab": "a:\n\tb: 1\n",
    "syntax-error": "a: [1, 2\nb: 3\n",
    "undefined-alias": "a: *nope\n",
    "alias-without-ampersand-elsewhere": "a: '*'\nb: \"&\"\n",
    "quoted": "a: 'it''s'\nb: \"tab\\there\"\nc: |\n  line\n  two\nd: >\n  folded\n",
    "unicode": "名前: värde\nemoji: \U0001f600\n",
    "null-key": "~: a\n",
    "flow": "a: {b: [1, {c: d}], e: []}\n",
    "deep-100": "a: " + "[" * 99 + "]" * 99 + "\n",
    "deep-101": "a: " + "[" * 100 + "]" * 100 + "\n",
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(102)),
}

FRAGMENTS = [
    "a",
    "b",
    "1",
    "0x10",
    "1.5",
    "true",
    "~",
    "null",
    "2020-01-01",
    "=",
    "<<",
    "'q'",
    '"d"',
    ":",
    ": ",
    "- ",
    "? ",
    "&x ",
    "*x",
    "!!str ",
    "!!int ",
    "!t ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "#c",
    "|",
    ">",
    "\n",
    "\n  ",
    "\n    ",
    "\n- ",
    "\n---\n",
    "\n...\n",
    "\t",
    " ",
]


def typed(value: Any) -> str:
    """Return a text that tells apart what ``==`` confuses (1, 1.0, True; key order)."""
    return repr(value)


def summary(path: str, data: bytes) -> tuple[Any, ...]:
    """Return everything a caller can see of a parse, with exact types."""
    parsed = yamlfile.parse(path, data)
    docs = [(d.path, d.index, d.line, d.column, typed(d.body)) for d in parsed.documents]
    return (parsed.path, parsed.blob, parsed.data, docs, parsed.problems)


def assert_same_parse(path: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Assert the fast and the full parse of ``data`` agree in every detail."""
    fast = summary(path, data)
    with monkeypatch.context() as patched:
        patched.setattr(yamlfile, "_fast_documents", lambda path, text: None)
        assert fast == summary(path, data)


def outcome(load: Any, data: bytes | str) -> tuple[str, str]:
    """Return what a loader gives for ``data``: its value, or its exception."""
    try:
        return ("value", typed(load(data)))
    except Exception as exc:
        return (type(exc).__name__, str(exc))


LIMITS = {"S101", "S106", "S107", "S113", "S114"}


def assert_same_load(data: bytes | str) -> None:
    """Assert ``yamlout.load`` gives what ``yaml.load`` with CSafeLoader gives, within the limits.

    Where ``yaml.load`` raises, ``yamlout.load`` raises its own ``Unreadable``;
    where the text is over a limit of ``yamllimits`` (as ``yamlfile.parse``
    finds), ``yamlout.load`` refuses it with the same code, whatever
    ``yaml.load`` does.
    """
    reference = outcome(lambda d: yaml.load(d, Loader=yaml.CSafeLoader), data)
    ours = outcome(yamlout.load, data)
    raw = data.encode() if isinstance(data, str) else data
    codes = [p.code for p in yamlfile.parse("x.yaml", raw).problems]
    over = [code for code in codes if code in LIMITS]
    if over:
        assert ours[0] == "Unreadable"
        assert ours[1].split()[2] == over[0], ours
    elif "S111" in codes:  # a recursive anchor (refused: nothing we read may be cyclic)
        assert ours[0] == "Unreadable"
    elif reference[0] == "value":
        assert ours == reference
    else:
        assert ours[0] == "Unreadable"


@pytest.mark.parametrize("path", CORPUS + EXAMPLES, ids=lambda p: p.name)
def test_files_parse_as_with_the_full_loader(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile and example files give the same documents and problems as the full loader."""
    assert_same_parse(path.name, path.read_bytes(), monkeypatch)


@pytest.mark.parametrize("name", sorted(CORNER_CASES))
def test_corner_cases_parse_as_with_the_full_loader(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tags, merges, odd keys, documents and depth limits parse as with the full loader."""
    assert_same_parse(f"{name}.yaml", CORNER_CASES[name].encode(), monkeypatch)


@pytest.mark.parametrize("name", sorted(CORNER_CASES))
def test_corner_cases_load_as_with_yaml_load(name: str) -> None:
    """``yamlout.load`` of a corner case is what ``yaml.load`` gives, errors included."""
    assert_same_load(CORNER_CASES[name].encode())


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_hostile_files_load_as_with_yaml_load(path: Path) -> None:
    """``yamlout.load`` of a hostile file is what ``yaml.load`` gives, errors included."""
    assert_same_load(path.read_bytes())


def test_plain_files_take_the_fast_path() -> None:
    """A file without anchors is built by the fast path, so the comparisons above test it."""
    text = (ROOT / "examples" / "repo" / "clusters" / "eu-prod-1.yaml").read_text()
    documents = yamlfile._fast_documents("c.yaml", text)
    assert documents is not None
    assert documents[0].body["kind"] == "ManagedCluster"


def test_anchors_take_the_full_path() -> None:
    """A file with an anchor is left to the counting constructor (alias bombs)."""
    assert yamlfile._fast_documents("a.yaml", "a: &x 1\nb: *x\n") is None


def test_plain_tags_are_cached_per_loader_class() -> None:
    """Each loader class keeps its own table: yamlfile reads timestamps as text."""
    yamlout.load(b"a: 2002-12-14\n")
    yamlfile.parse("t.yaml", b"a: 2002-12-14\n")
    assert yamlout._Reader.plain_tags["2002-12-14"] == "tag:yaml.org,2002:timestamp"
    assert yamlfile._Loader.plain_tags["2002-12-14"] == yamlbuild.STR


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_random_text_parses_as_with_the_full_loader(fragments: list[str]) -> None:
    """Any text built from YAML's significant pieces parses exactly as with the full loader."""
    data = "".join(fragments).encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_same_parse("r.yaml", data, monkeypatch)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
def test_random_text_loads_as_with_yaml_load(fragments: list[str]) -> None:
    """Any text built from YAML's significant pieces loads exactly as ``yaml.load`` does."""
    assert_same_load("".join(fragments).encode())


@pytest.mark.parametrize("name", ["int-keys", "timestamps", "merge", "syntax-error", "unicode"])
def test_text_loads_as_with_yaml_load(name: str) -> None:
    """``yamlout.load`` also takes text, as ``yaml.load`` does, with the same result."""
    assert_same_load(CORNER_CASES[name])
