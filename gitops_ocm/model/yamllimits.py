"""The limits every YAML file we read is held to, whoever wrote it.

Pure: text in, a refusal or None out. Both loaders, :mod:`yamlfile` (the
desired state on main, strict) and :func:`yamlout.load` (everything else:
agents' reports, ``ocm/status``, ``ocm/hub``, an agent's disk copy), apply
the same limits, so no branch is read with fewer of them than main:

============================  ================  =====
limit                         value             code
============================  ================  =====
bytes per file                4 MiB             S101
nesting depth                 100               S107
nodes per file (aliases       250,000           S106 (through aliases),
count as what they repeat)                      S114 (written out)
documents per file            1,000             S113
============================  ================  =====

The cheap checks run on the text before libyaml composes it: the document
markers are counted by a regular expression, and where the text could nest
deeply (many brackets, or long indentation) a flat event scan counts depth and
nodes and stops at the first one over a limit. libyaml's composer recurses in
C, so nesting must be refused before it runs; and since libyaml 0.2.5 its own
scanner stops at depth 1,000 with an error of its own, which is refused here
with the same code as any nesting beyond ours. The node count of text that
passes the scan is enforced while composing (``yamlbuild.Loader.resolve``),
which costs one addition per node.
"""

from __future__ import annotations

import re

import yaml

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 250_000
MAX_DOCUMENTS = 1_000

DEEP = f"nesting deeper than {MAX_DEPTH} levels"
MANY_NODES = f"more than {MAX_NODES} YAML nodes in one file"
MANY_DOCUMENTS = f"more than {MAX_DOCUMENTS} documents in one file"
BOMB = f"aliases expand to more than {MAX_NODES} nodes (alias bomb?)"

_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.MULTILINE)
_DEEP_INDENT = re.compile(rf"^[ \t?:-]{{{MAX_DEPTH // 2},}}", re.MULTILINE)
_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)


class Refused(yaml.YAMLError):
    """Content over one of the limits; ``line`` and ``column`` are 1-based."""

    def __init__(self, code: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column

    @classmethod
    def at(cls, code: str, message: str, mark: object | None) -> Refused:
        """A refusal at a libyaml mark (0-based line and column), or at the start."""
        line = getattr(mark, "line", None)
        column = getattr(mark, "column", None)
        if not isinstance(line, int) or not isinstance(column, int):
            return cls(code, message)
        return cls(code, message, line + 1, column + 1)


def refuse_size(size: int) -> Refused | None:
    """Refuse a file larger than :data:`MAX_FILE_BYTES`, before reading it."""
    if size > MAX_FILE_BYTES:
        return Refused("S101", f"file is larger than the limit of {MAX_FILE_BYTES} bytes")
    return None


def refuse_text(text: str) -> Refused | None:
    """Refuse text with too many documents, or nesting or nodes beyond the limits."""
    for markers, found in enumerate(_DOCUMENT_MARKER.finditer(text), 1):
        if markers > MAX_DOCUMENTS:
            line = text.count("\n", 0, found.start()) + 1
            return Refused("S113", MANY_DOCUMENTS, line, 1)
    brackets = text.count("[") + text.count("{")
    if brackets <= MAX_DEPTH and not _DEEP_INDENT.search(text):
        return None
    return scan(text)


def scan(text: str) -> Refused | None:
    """Walk ``text`` as a flat event stream; refuse the first node past a depth or count limit.

    Any other YAML error is left to the loader, which reports it with its
    usual code: the scan stops before the composer would meet it.
    """
    depth = 0
    nodes = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, _COLLECTION_START):
                depth += 1
                nodes += 1
                if depth > MAX_DEPTH:
                    return Refused.at("S107", DEEP, event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
                continue
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
            else:
                continue
            if nodes > MAX_NODES:
                return Refused.at("S114", MANY_NODES, event.start_mark)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml >= 0.2.5 stops at its own limit
            return Refused.at("S107", DEEP, exc.problem_mark)
    except yaml.YAMLError:
        pass
    return None


def locate(refused: Refused, text: str) -> Refused:
    """Give a node-count refusal raised while composing the line of the node past the limit."""
    if refused.code != "S114" or refused.line != 1:
        return refused
    return scan(text) or refused
