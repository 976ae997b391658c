"""Deterministic YAML output for every file gitops-ocm publishes.

Pure. The same object always gives the same bytes: Kubernetes' usual top-level
order (apiVersion, kind, metadata, spec, status, then the rest sorted), sorted
keys below that, block style, no aliases, UTF-8. Byte-identical output is what
lets the hub store skip unchanged blobs and share one blob across clusters.

Why a hand-written emitter: PyYAML's representer and emitter are Python code
even with the C dumper, and a pass at fleet scale writes tens of thousands of
placement and decision objects, so through PyYAML the writing alone would use
up a pass's time budget (figures: benchmarks/README.md). Our objects are
JSON-like (dicts with string keys, lists, str, int, float, bool, None), so
:func:`dump` writes them directly, in block style, several times faster. A
string is written plain only when a
conservative pattern proves that every YAML 1.1 and 1.2 reader takes it back as
the same string (it starts with a letter and is not a boolean or null word);
a multi-line string is a literal block (``|``) when that is safe; anything else
is double-quoted by ``json.dumps``, whose escapes are valid YAML. Whatever the
emitter does not handle (other types, non-string keys, very long keys) goes
through PyYAML as before. ``tests/render/test_yamlout.py`` checks with
hypothesis that ``load(dump(x)) == x``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

import yaml

from gitops_ocm.model import yamlbuild, yamllimits

_TOP = ("apiVersion", "kind", "metadata", "spec", "status")

# Plain scalars: a letter first, then a safe alphabet; single spaces between words.
_WORD = r"[A-Za-z0-9_./@=+-]+(?::[A-Za-z0-9_./@=+-]+)*"
_PLAIN = re.compile(rf"[A-Za-z](?:{_WORD})?(?: {_WORD})*")
# Words some YAML reader resolves to a boolean or null.
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
# Characters YAML does not allow raw, or reads as line breaks: written as \u escapes
# (four hex digits).
_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
# Characters that keep a multi-line string out of a literal block.
_NOT_LITERAL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
_MAX_KEY = 200


class _Unsupported(Exception):
    """Raised inside :func:`_fast` for data the direct emitter leaves to PyYAML."""


class _Dumper(yaml.CSafeDumper):
    """A safe dumper that never writes anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: _Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.startswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def ordered(body: dict[str, Any]) -> dict[str, Any]:
    """Return ``body`` with the top-level keys in Kubernetes order, the rest sorted."""
    out = {k: body[k] for k in _TOP if k in body}
    for key in sorted(k for k in body if k not in _TOP):
        out[key] = body[key]
    return out


def dump(body: dict[str, Any]) -> bytes:
    """Serialize one object to canonical YAML bytes."""
    top = ordered(body)
    try:
        return _fast(top)
    except _Unsupported:
        return _slow(top)


def _slow(top: dict[str, Any]) -> bytes:
    """Serialize through PyYAML (data the direct emitter does not handle)."""
    text = yaml.dump(
        {k: _sorted(v) for k, v in top.items()},
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return text.encode("utf-8")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _fast(top: dict[str, Any]) -> bytes:
    """Serialize a JSON-like object in block style (raise _Unsupported otherwise)."""
    if not top:
        return b"{}\n"
    out: list[str] = []
    _mapping(top, list(top), "", out)
    out.append("")
    return "\n".join(out).encode("utf-8")


def _mapping(value: dict[Any, Any], keys: list[Any], pad: str, out: list[str]) -> None:
    inner = pad + "  "
    for key in keys:
        if type(key) is not str:
            raise _Unsupported
        item = value[key]
        head = f"{pad}{_key(key)}:"
        kind = type(item)
        if kind is str and "\n" not in item:
            out.append(f"{head} {_string(item)}")
        elif kind is dict and item:
            out.append(head)
            _mapping(item, _keys(item), inner, out)
        elif kind is list and item:
            out.append(head)
            _sequence(item, pad, out)
        else:
            _scalar(item, head, inner, out)


def _keys(value: dict[Any, Any]) -> list[Any]:
    try:
        return sorted(value)
    except TypeError as exc:
        raise _Unsupported from exc


def _sequence(value: list[Any], pad: str, out: list[str]) -> None:
    inner = pad + "  "
    dash = pad + "- "
    for item in value:
        kind = type(item)
        if (kind is dict or kind is list) and item:
            start = len(out)
            if kind is dict:
                _mapping(item, _keys(item), inner, out)
            else:
                _sequence(item, inner, out)
            out[start] = dash + out[start][len(inner) :]
        else:
            _scalar(item, pad + "-", inner, out)


def _scalar(value: Any, head: str, inner: str, out: list[str]) -> None:
    """Append ``head`` followed by ``value`` (a literal block goes on the next lines)."""
    kind = type(value)
    if kind is str:
        if "\n" in value and _literal_ok(value):
            _literal(value, head, inner, out)
            return
        out.append(f"{head} {_string(value)}")
    elif value is None:
        out.append(f"{head} null")
    elif kind is bool:
        out.append(f"{head} {'true' if value else 'false'}")
    elif kind is int:
        out.append(f"{head} {value}")
    elif kind is float:
        out.append(f"{head} {_float(value)}")
    elif kind is dict:
        out.append(f"{head} {{}}")
    elif kind is list:
        out.append(f"{head} []")
    else:
        raise _Unsupported


@functools.lru_cache(maxsize=1 << 14)
def _key(key: str) -> str:
    if len(key) > _MAX_KEY:
        raise _Unsupported
    return _string(key)


@functools.lru_cache(maxsize=1 << 16)
def _string(value: str) -> str:
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return value
    text = json.dumps(value, ensure_ascii=False)
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
    return text


def _literal_ok(value: str) -> bool:
    return value[0] not in " \t\n" and not _NOT_LITERAL.search(value)


def _literal(value: str, head: str, inner: str, out: list[str]) -> None:
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    out.append(f"{head} |{chomp}")
    out.extend(inner + line if line else "" for line in body.split("\n"))
    out.extend("" for _ in range(trailing - 1))


def _float(value: float) -> str:
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    if "." not in text and "e" in text:
        text = text.replace("e", ".0e", 1)
    return text


class _Reader(yamlbuild.Loader):
    """``CSafeLoader`` with memoized plain-scalar tags (same resolvers, same constructors)."""


class _FullReader(yamlbuild.Counting):
    """``CSafeLoader``'s construction, counting depth and alias expansion (anchored files)."""


_SCALARS = yamlbuild.scalar_constructors(_Reader)


class Unreadable(yaml.YAMLError):
    """A file :func:`load` refuses: over a limit, or not YAML; ``code`` is its problem code."""

    def __init__(self, code: str, message: str, line: int = 1) -> None:
        super().__init__(f"line {line}: {code} {message}")
        self.code = code
        self.message = message
        self.line = line


def load(data: bytes | str) -> Any:
    """Read one document as ``yaml.load`` with ``CSafeLoader`` does, within the limits.

    Used for everything but the desired state: agents' reports, ``ocm/status``,
    ``ocm/hub``, an agent's disk copy. Whoever wrote the file, it is held to
    :mod:`yamllimits` (size, nesting, nodes, documents, alias expansion), and
    any failure, a limit or a YAML error, raises :class:`Unreadable` (a
    ``yaml.YAMLError``), never anything else. A document without anchors (all
    of ours) is built directly by :mod:`yamlbuild`.
    """
    try:
        return _load(data)
    except Unreadable:
        raise
    except yamllimits.Refused as refused:
        raise Unreadable(refused.code, refused.message, refused.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise Unreadable("S103", f"YAML error: {exc.problem or exc}", line) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, LookupError) as exc:
        raise Unreadable("S103", f"YAML error: {type(exc).__name__}") from None


def load_mapping(data: bytes | str | None) -> dict[str, Any]:
    """The mapping ``data`` holds; ``{}`` when it is absent, unreadable or not a mapping.

    For files whose damage should count as their absence (an earlier report,
    a status file): :func:`load`'s limits hold, and nothing is raised.
    """
    if not data:
        return {}
    try:
        body = load(data)
    except Unreadable:
        return {}
    return body if isinstance(body, dict) else {}


def _load(data: bytes | str) -> Any:
    over = yamllimits.refuse_size(len(data))
    if over is not None:
        raise over
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise Unreadable("S102", "file is not valid UTF-8") from None
    over = yamllimits.refuse_text(text)
    if over is not None:
        raise over
    if "&" not in text:
        loader = _Reader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else yamlbuild.build_single(loader, node, _SCALARS)
        except yamlbuild.Fallback:
            pass  # merge keys, unusual tags: built the full way below
        finally:
            loader.dispose()
    full = _FullReader(text)
    try:
        return full.get_single_data()
    finally:
        full.dispose()
