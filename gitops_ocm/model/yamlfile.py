"""Parsing one YAML file into documents, safely, with positions for messages.

Pure: bytes in, documents and problems out. Uses PyYAML's C loader (libyaml).

Hostile input is contained here: files over a size limit, bytes that are not
UTF-8, binary content, tabs, duplicate keys, alias bombs (expansion is counted
as the document is built), deep nesting, too many nodes or documents,
recursive anchors and documents that are not mappings all become coded
problems, never exceptions. The limits are :mod:`yamllimits`', shared with
:func:`yamlout.load`, which reads every other branch.

Positions are found lazily: the fast path builds plain dicts, and only when a
message needs the line and column of a key does :class:`Locator` compose the
file again and walk its node tree along the JSON pointer.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import yaml

from gitops_ocm import problems
from gitops_ocm.model import yamlbuild, yamllimits
from gitops_ocm.model.body import Body
from gitops_ocm.model.yamllimits import MAX_DEPTH, MAX_FILE_BYTES, Refused
from gitops_ocm.problems import Problem

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "Document", "Locator", "ParsedFile", "parse"]


def _resolvers_without_timestamps() -> dict[Any, Any]:
    """Keep timestamps as strings, as Kubernetes' JSON-based YAML does."""
    table: dict[Any, Any] = {}
    for first, entries in yaml.CSafeLoader.yaml_implicit_resolvers.items():
        table[first] = [e for e in entries if e[0] != "tag:yaml.org,2002:timestamp"]
    return table


class _Loader(yamlbuild.Counting):
    """A safe C loader that counts nodes, expansion and depth and refuses duplicate keys."""

    yaml_implicit_resolvers = _resolvers_without_timestamps()

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=True)
        except (LookupError, ValueError, AttributeError, TypeError) as exc:
            if not isinstance(node, yaml.ScalarNode):
                raise
            raise Refused.at("S103", _unreadable(node), node.start_mark) from exc

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise Refused.at("S103", "expected a mapping", node.start_mark)
        self.flatten_mapping(node)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise Refused.at("S111", "mapping keys must be scalars", key_node.start_mark)
            key = key_node.value
            if key in mapping:
                raise Refused.at("S105", f"duplicate key {key!r}", key_node.start_mark)
            mapping[key] = self.construct_object(value_node, deep=True)
        return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_SCALARS = yamlbuild.scalar_constructors(_Loader)


def _unreadable(node: yaml.Node) -> str:
    """Describe a tagged scalar its constructor cannot read (``!!int ''``, ``!!bool x``)."""
    value = str(node.value)
    shown = value if len(value) <= 40 else value[:37] + "..."
    return f"YAML error: {shown!r} is not a valid {node.tag.rpartition(':')[2]} value"


@dataclasses.dataclass(frozen=True, eq=False)
class Document:
    """One YAML document of a file: where it is, and its body as plain data.

    Compared by identity: a parse cache hands out the same object for an
    unchanged file, so per-document results can be cached against it.
    """

    path: str
    index: int
    line: int
    column: int
    body: Body


@dataclasses.dataclass(frozen=True)
class ParsedFile:
    """The outcome of parsing one file: its documents, or the problems that stopped it."""

    path: str
    blob: str
    data: bytes
    documents: tuple[Document, ...]
    problems: tuple[Problem, ...]


def blob_id(data: bytes) -> str:
    """Return the Git blob id of ``data`` (so directories and commits share one cache)."""
    header = b"blob %d\x00" % len(data)
    return hashlib.sha1(header + data, usedforsecurity=False).hexdigest()


def parse(path: str, data: bytes, blob: str | None = None) -> ParsedFile:
    """Parse ``data`` (the content of ``path``) into documents or coded problems."""
    blob = blob or blob_id(data)
    refusal = _refuse_bytes(path, data)
    if refusal is not None:
        return ParsedFile(path, blob, data, (), (refusal,))
    text = data.decode("utf-8")
    over = yamllimits.refuse_text(text)
    if over is not None:
        return ParsedFile(path, blob, data, (), (_refused(path, over),))
    try:
        fast = _fast_documents(path, text)
    except Refused as refused:  # too many nodes: the full path would only meet it again
        return ParsedFile(path, blob, data, (), (_refused(path, yamllimits.locate(refused, text)),))
    if fast is not None:
        return ParsedFile(path, blob, data, fast, ())
    return _parse_fully(path, data, blob, text)


def _parse_fully(path: str, data: bytes, blob: str, text: str) -> ParsedFile:
    """Parse with the counting constructor: anchors, aliases and every problem."""
    loader = _Loader(text)
    docs: list[Document] = []
    found: list[Problem] = []
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            body = loader.construct_document(node)
            mark = _first_mark(node)
            if body is None:
                pass
            elif not isinstance(body, dict):
                found.append(
                    Problem(
                        path,
                        mark.line + 1,
                        mark.column + 1,
                        "S108",
                        "",
                        "a document must be a mapping (an object with apiVersion and kind)",
                        got=type(body).__name__,
                    )
                )
            else:
                docs.append(Document(path, index, mark.line + 1, mark.column + 1, body))
            index += 1
    except Refused as refused:
        found.append(_refused(path, yamllimits.locate(refused, text)))
    except yaml.MarkedYAMLError as exc:
        found.append(_syntax_problem(path, text, exc))
    except yaml.YAMLError as exc:
        found.append(Problem(path, 1, 1, "S103", "", f"YAML error: {_one_line(str(exc))}"))
    except RecursionError:
        found.append(Problem(path, 1, 1, "S107", "", "nesting too deep to read"))
    finally:
        loader.dispose()
    if found:
        return ParsedFile(path, blob, data, (), tuple(found))
    return ParsedFile(path, blob, data, tuple(docs), ())


def _fast_documents(path: str, text: str) -> tuple[Document, ...] | None:
    """Return the documents of a file without anchors, or None to take the full path.

    Without anchors no node is shared, so the full constructor's expansion count
    and recursion checks have nothing to find, and :mod:`yamlbuild` builds the
    bodies directly. Anything it does not vouch for (a problem of any kind
    included) returns None, and :func:`parse` reads the file the full way, which
    finds and reports exactly what it always did.
    """
    if "&" in text:
        return None
    loader = _Loader(text)
    docs: list[Document] = []
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            body = yamlbuild.build_document(loader, node, _SCALARS)
            if type(body) is dict:
                mark = _first_mark(node)
                docs.append(Document(path, index, mark.line + 1, mark.column + 1, body))
            elif body is not None:
                return None
            index += 1
    except Refused:
        raise
    except Exception:  # whatever it is, the full path meets it again and reports it
        return None
    finally:
        loader.dispose()
    return tuple(docs)


def _first_mark(node: yaml.Node) -> yaml.Mark:
    """Return where a document's content starts (its first key, for a mapping)."""
    if isinstance(node, yaml.MappingNode) and node.value:
        first: yaml.Mark = node.value[0][0].start_mark
        return first
    return node.start_mark


def _refuse_bytes(path: str, data: bytes) -> Problem | None:
    """Refuse content that must not reach the YAML parser."""
    if len(data) > MAX_FILE_BYTES:
        return Problem(
            path,
            1,
            1,
            "S101",
            "",
            f"file is larger than the limit of {MAX_FILE_BYTES} bytes",
            got=f"{len(data)} bytes",
        )
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return Problem(path, line, 1, "S102", "", "binary content (NUL byte) in a YAML file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return Problem(
            path,
            line,
            column,
            "S102",
            "",
            "file is not valid UTF-8",
            got=f"byte 0x{data[exc.start]:02x}",
        )
    return None


def _refused(path: str, refused: Refused) -> Problem:
    return Problem(path, refused.line, refused.column, refused.code, "", refused.message)


def _at(path: str, mark: yaml.Mark | None, code: str, message: str) -> Problem:
    line = mark.line + 1 if mark is not None else 1
    column = mark.column + 1 if mark is not None else 1
    return Problem(path, line, column, code, "", message)


def _syntax_problem(path: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = _one_line(" ".join(p for p in (exc.context, exc.problem) if p))
    code = "S103"
    if mark is not None:
        lines = text.splitlines()
        if mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
            code = "S104"
            message = "tab character where YAML allows only spaces"
    if "found recursive" in message or "recursive" in message:
        code = "S111"
    return _at(path, mark, code, f"YAML syntax error: {message}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


class Locator:
    """Finds the line and column of a JSON pointer inside a document, on demand.

    The first questions walk libyaml's event stream along the pointer and stop
    as soon as it is found, so a problem near the top of a large file costs
    next to nothing. From the third question on, the file is composed once and
    its node trees are kept, so many problems in one file cost one composition.
    """

    WALKS = 2

    def __init__(self, data: bytes) -> None:
        self._text = data.decode("utf-8", errors="replace")
        self._roots: list[yaml.Node] | None = None
        self._walks = 0

    def _documents(self) -> list[yaml.Node]:
        if self._roots is None:
            roots: list[yaml.Node] = []
            loader = _Loader(self._text)
            try:
                while loader.check_node():
                    node = loader.get_node()
                    if node is None:
                        break
                    roots.append(node)
            except yaml.YAMLError:
                pass
            finally:
                loader.dispose()
            self._roots = roots
        return self._roots

    def locate(self, index: int, ptr: str) -> tuple[int, int]:
        """Return (line, column), 1-based, of the deepest node along ``ptr`` that exists."""
        tokens = problems.split_pointer(ptr)
        if self._roots is None and self._walks < self.WALKS:
            self._walks += 1
            return _walk(self._text, index, tokens)
        roots = self._documents()
        if index >= len(roots):
            return (1, 1)
        node = roots[index]
        best = node.start_mark
        for token in tokens:
            child = _child(node, token)
            if child is None:
                break
            key_mark, node = child
            best = key_mark
        return (best.line + 1, best.column + 1)


_START = (yaml.MappingStartEvent, yaml.SequenceStartEvent)


def _walk(text: str, index: int, tokens: list[str]) -> tuple[int, int]:
    """Follow ``tokens`` through document ``index`` of ``text`` as events, stopping when found.

    Gives what :meth:`Locator.locate` gives from composed nodes: the mark of
    the last key (or sequence item) along the pointer that exists, else the
    document's root node.
    """
    best: tuple[int, int] = (1, 1)
    events = yaml.parse(text, Loader=yaml.CSafeLoader)
    try:
        documents = -1
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents == index:
                    break
        else:
            return best
        node = next(events)
        best = _position(node)
        for token in tokens:
            found = _walk_child(events, node, token)
            if found is None:
                break
            best, node = _position(found[0]), found[1]
    except (yaml.YAMLError, StopIteration):
        pass
    return best


def _walk_child(events: Any, node: yaml.Event, token: str) -> tuple[yaml.Event, yaml.Event] | None:
    """Advance ``events`` to the child ``token`` of the collection ``node`` started.

    Returns (the event whose mark names the child, the child's first event).
    """
    if isinstance(node, yaml.MappingStartEvent):
        for key in events:
            if isinstance(key, yaml.MappingEndEvent):
                return None
            _skip(events, key)
            value = next(events)
            if isinstance(key, yaml.ScalarEvent) and key.value == token:
                return (key, value)
            _skip(events, value)
        return None
    if isinstance(node, yaml.SequenceStartEvent) and token.isdigit():
        wanted = int(token)
        for position, item in enumerate(events):
            if isinstance(item, yaml.SequenceEndEvent):
                return None
            if position == wanted:
                return (item, item)
            _skip(events, item)
    return None


def _skip(events: Any, first: yaml.Event) -> None:
    """Consume the rest of the node whose first event is ``first``."""
    if not isinstance(first, _START):
        return
    depth = 1
    for event in events:
        if isinstance(event, _START):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            if depth == 0:
                return


def _position(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (1, 1) if mark is None else (mark.line + 1, mark.column + 1)


def _child(node: yaml.Node, token: str) -> tuple[yaml.Mark, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == token:
                mark = key_node.start_mark
                if isinstance(value_node, yaml.MappingNode | yaml.SequenceNode) and token:
                    return (mark, value_node)
                return (mark, value_node)
        return None
    if isinstance(node, yaml.SequenceNode) and token.isdigit():
        position = int(token)
        if position < len(node.value):
            item = node.value[position]
            return (item.start_mark, item)
    return None
