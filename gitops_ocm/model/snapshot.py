"""A snapshot of a desired state: every parsed file and every object in it.

Pure. A snapshot is built from parsed files (see :mod:`gitops_ocm.model.yamlfile`);
it indexes objects by kind and identity and turns findings about a document into
positioned problems, composing a file's node tree only when a message needs it.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

from gitops_ocm.model import kinds, repoconfig
from gitops_ocm.model.yamlfile import Document, Locator, ParsedFile
from gitops_ocm.problems import Finding, Problem


@dataclasses.dataclass(frozen=True)
class Identity:
    """An object's identity: (group, kind, namespace, name)."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}.{self.group or 'core'} {scope}{self.name}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclasses.dataclass(frozen=True, eq=False, slots=True)
class Obj:
    """One object of the desired state: a document seen as a Kubernetes object.

    The fields every check reads are taken out of the body once, when the
    object is made; :func:`of` hands out one object per document.
    """

    doc: Document
    kind: str
    api_version: str
    name: str
    namespace: str
    metadata: dict[str, Any]
    spec: dict[str, Any]

    @property
    def body(self) -> dict[str, Any]:
        """Return the raw document body."""
        return self.doc.body

    @property
    def labels(self) -> dict[str, str]:
        """Return ``metadata.labels`` with string values only."""
        return _strings(self.metadata.get("labels"))

    @property
    def annotations(self) -> dict[str, str]:
        """Return ``metadata.annotations`` with string values only."""
        return _strings(self.metadata.get("annotations"))

    @property
    def identity(self) -> Identity:
        """Return the (group, kind, namespace, name) identity."""
        return Identity(kinds.group_of(self.api_version), self.kind, self.namespace, self.name)

    @property
    def where(self) -> str:
        """Return ``path:line`` of the document, for messages."""
        return f"{self.doc.path}:{self.doc.line}"


_OBJECTS: weakref.WeakKeyDictionary[Document, Obj] = weakref.WeakKeyDictionary()


def of(doc: Document) -> Obj:
    """Return the object view of a document (made once per document)."""
    obj = _OBJECTS.get(doc)
    if obj is None:
        body = doc.body
        metadata = _mapping(body.get("metadata"))
        obj = Obj(
            doc,
            _text(body.get("kind")),
            _text(body.get("apiVersion")),
            _text(metadata.get("name")),
            _text(metadata.get("namespace")),
            metadata,
            _mapping(body.get("spec")),
        )
        _OBJECTS[doc] = obj
    return obj


@dataclasses.dataclass
class Snapshot:
    """Every file and object of one desired state, indexed for the checks."""

    files: tuple[ParsedFile, ...]
    objects: tuple[Obj, ...]
    load_problems: tuple[Problem, ...] = ()
    revision: str = ""
    config: repoconfig.RepoConfig = dataclasses.field(default_factory=repoconfig.RepoConfig)
    _by_kind: dict[str, list[Obj]] = dataclasses.field(default_factory=dict, repr=False)
    _locators: dict[str, Locator] = dataclasses.field(default_factory=dict, repr=False)
    _data: dict[str, bytes] = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for obj in self.objects:
            self._by_kind.setdefault(obj.kind, []).append(obj)

    def of_kind(self, kind: str) -> list[Obj]:
        """Return the objects of one kind, in file order."""
        return self._by_kind.get(kind, [])

    def find(self, kind: str, namespace: str, name: str) -> Obj | None:
        """Return the first object of a kind with that namespace and name."""
        for obj in self.of_kind(kind):
            if obj.namespace == namespace and obj.name == name:
                return obj
        return None

    def locate(self, doc: Document, finding: Finding) -> Problem:
        """Turn a finding about ``doc`` into a problem with line and column."""
        locator = self._locators.get(doc.path)
        if locator is None:
            if not self._data:  # built on the first problem: most snapshots have none
                self._data = {f.path: f.data for f in self.files}
            locator = Locator(self._data.get(doc.path, b""))
            self._locators[doc.path] = locator
        if finding.pointer:
            line, column = locator.locate(doc.index, finding.pointer)
        else:
            line, column = doc.line, doc.column
        return Problem(
            doc.path,
            line,
            column,
            finding.code,
            finding.pointer,
            finding.message,
            finding.got,
            finding.severity,
        )

    def locate_all(self, doc: Document, findings: Iterable[Finding]) -> Iterator[Problem]:
        """Turn every finding about ``doc`` into a positioned problem."""
        for finding in findings:
            yield self.locate(doc, finding)


def build(
    files: Iterable[ParsedFile],
    extra: Iterable[Problem] = (),
    revision: str = "",
    config: repoconfig.RepoConfig | None = None,
) -> Snapshot:
    """Build a snapshot from parsed files (and problems found while listing them)."""
    parsed = tuple(sorted(files, key=lambda f: f.path))
    objects = tuple(of(doc) for f in parsed for doc in f.documents)
    found = tuple(extra) + tuple(p for f in parsed for p in f.problems)
    return Snapshot(parsed, objects, found, revision, config or repoconfig.RepoConfig())


def _strings(value: object) -> dict[str, str]:
    """The string-valued entries of a metadata map (labels, annotations); {} when not a map."""
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, str)}
