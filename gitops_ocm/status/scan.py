"""Reading the few fields the fold needs from report and hub files, fast.

Pure. Folding 10,000 reports means reading 40,000 small YAML files; PyYAML's C
loader still builds every node in Python, which at that count alone would take
far longer than a fold may (figures: benchmarks/README.md). Every
file the fold reads was written by ``model.yamlout.dump`` (agents and the
controller both use it): block style, keys sorted, ``apiVersion`` first, one
document. For that shape this module scans only the lines it needs: the
``status.conditions`` list, a lease's ``spec``, ``metadata.labels``, the
prescription annotation, decisions. Anything it does not recognise (flow
style, anchors, tags, double-quoted scalars, a file not starting with
``apiVersion:``) is read with the full YAML loader instead, and both paths
build the same digest, so the scan is an optimisation and never a second
interpretation. A report is only its own cluster's word, so a hand-made file
can at worst misstate its own cluster.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Mapping
from typing import Any

from gitops_ocm.model import timefmt, yamlout

PRESCRIPTION = "gitops-ocm.io/prescription"
DEFAULT_LEASE_SECONDS = 60
_NEXT_TOP = re.compile(r"\n(?=[^ \n])")
_NEXT_SUB = re.compile(r"\n(?!   |  - )")
_ITEM = re.compile(r"\n  (- |  )(\w+):(?: ([^\n]*))?")
_ODD = frozenset('&*!{["%@`|>')


class _Unusual(Exception):
    """The text is not in the canonical shape: read it with the YAML loader."""


@dataclasses.dataclass(frozen=True)
class Condition:
    """One status condition, as far as the fold needs it."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_transition: str = ""
    observed_generation: int | None = None


@dataclasses.dataclass(frozen=True)
class LeaseDigest:
    """A Lease: when it was last renewed and for how long (0 or absent: 60 s)."""

    renew_time: datetime.datetime | None
    seconds: int


@dataclasses.dataclass(frozen=True)
class ClusterDigest:
    """A reported ManagedCluster's conditions."""

    conditions: tuple[Condition, ...]

    def get(self, kind: str) -> Condition | None:
        """Return the condition of type ``kind``, if reported."""
        return next((c for c in self.conditions if c.type == kind), None)


@dataclasses.dataclass(frozen=True)
class WorkDigest:
    """A reported ManifestWork: which prescription it observed and its work-level conditions."""

    prescription: str
    generation: int | None
    conditions: tuple[Condition, ...]
    true_types: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)
    """The condition types that are True for the observed generation."""

    def __post_init__(self) -> None:
        true = frozenset(c.type for c in self.conditions if c.status == "True" and self.current(c))
        object.__setattr__(self, "true_types", true)  # computed once (frozen dataclass)

    def is_true(self, kind: str) -> bool:
        """Whether condition ``kind`` is True for the observed generation."""
        return kind in self.true_types

    def get(self, kind: str) -> Condition | None:
        """Return the condition of type ``kind``, if reported."""
        return next((c for c in self.conditions if c.type == kind), None)

    def current(self, cond: Condition) -> bool:
        """Whether ``cond`` was computed for this report's generation (or carries none)."""
        return cond.observed_generation is None or cond.observed_generation == self.generation


def lease(data: bytes) -> LeaseDigest:
    """Read a Lease."""
    try:
        spec = _fields(_block(_canonical(data), "spec"), "  ")
    except _Unusual:
        spec = _mapping(yamlout.load_mapping(data).get("spec"))
    seconds = _int(spec.get("leaseDurationSeconds"))
    return LeaseDigest(
        timefmt.parse(spec.get("renewTime")),
        seconds if seconds and seconds > 0 else DEFAULT_LEASE_SECONDS,
    )


def cluster(data: bytes) -> ClusterDigest:
    """Read a ManagedCluster's conditions."""
    try:
        conditions = _scan_conditions(_canonical(data))
    except _Unusual:
        body = yamlout.load_mapping(data)
        conditions = _conditions(_mapping(body.get("status")).get("conditions"))
    return ClusterDigest(conditions)


def work(data: bytes) -> WorkDigest:
    """Read a ManifestWork report: prescription annotation, generation, work conditions."""
    try:
        text = _canonical(data)
        meta = _block(text, "metadata")
        fields = _fields(meta, "  ")
        annotations = _fields(_sub_block(meta, "annotations"), "    ")
        conditions = _scan_conditions(text)
    except _Unusual:
        body = yamlout.load_mapping(data)
        fields = _mapping(body.get("metadata"))
        annotations = _mapping(fields.get("annotations"))
        conditions = _conditions(_mapping(body.get("status")).get("conditions"))
    prescription = annotations.get(PRESCRIPTION)
    return WorkDigest(
        str(prescription) if prescription else "", _int(fields.get("generation")), conditions
    )


def labels(data: bytes) -> dict[str, str]:
    """Read ``metadata.labels`` (of a hub ManifestWork)."""
    try:
        found = _fields(_sub_block(_block(_canonical(data), "metadata"), "labels"), "    ")
    except _Unusual:
        found = _mapping(_mapping(yamlout.load_mapping(data).get("metadata")).get("labels"))
    return {str(k): str(v) for k, v in found.items()}


def decisions(data: bytes) -> tuple[str, ...]:
    """Read the cluster names of a PlacementDecision page."""
    try:
        status = _block(_canonical(data), "status")
        names = [_scalar(v) for v in re.findall(r"\n  (?:- |  )clusterName: ([^\n]*)", status)]
    except _Unusual:
        entries = _mapping(yamlout.load_mapping(data).get("status")).get("decisions")
        names = [str(_mapping(e).get("clusterName", "")) for e in _list(entries)]
    return tuple(n for n in names if n)


def body(data: bytes) -> dict[str, Any]:
    """Read a whole object (for the few files the fold rewrites or passes on)."""
    return yamlout.load_mapping(data)


def _canonical(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    if not text.startswith("apiVersion: ") or "\t" in text or "\n---" in text:
        raise _Unusual
    return text


def _block(text: str, key: str) -> str:
    """The lines nested under top-level ``key:`` (each starting with a newline), or ""."""
    head = f"\n{key}:\n"
    start = text.find(head)
    if start < 0:
        return ""
    start += len(head) - 1
    match = _NEXT_TOP.search(text, start + 1)
    return text[start : match.start() if match else len(text)]


def _sub_block(block: str, key: str) -> str:
    """The lines nested under ``  key:`` inside a top-level block."""
    head = f"\n  {key}:\n"
    start = block.find(head)
    if start < 0:
        return ""
    start += len(head) - 1
    match = _NEXT_SUB.search(block, start + 1)
    return block[start : match.start() if match else len(block)]


def _fields(block: str, indent: str) -> dict[str, Any]:
    """The scalar ``key: value`` lines at exactly ``indent`` in ``block``."""
    out: dict[str, Any] = {}
    width = len(indent)
    for line in block.split("\n"):
        if line.startswith(indent) and line[width : width + 1] not in (" ", "-", ""):
            key, sep, value = line[width:].partition(": ")
            if sep and not key.startswith(("'", '"', "?")):
                out[key] = _scalar(value)
    return out


def _scan_conditions(text: str) -> tuple[Condition, ...]:
    """The top-level ``status.conditions`` list of a canonical text."""
    lines = _conditions_block(text)
    if "\n      " not in lines:  # no value continues on a second line: one regex pass
        items: list[dict[str, str]] = []
        for dash, key, value in _ITEM.findall(lines):
            if dash == "- ":
                items.append({})
            elif not items:
                raise _Unusual
            items[-1][key] = _scalar(value)
        return _conditions(items)
    return _conditions(_scan_items(lines))


def _conditions_block(text: str) -> str:
    """The lines of ``status.conditions`` without reading the rest of the status."""
    status = text.find("\nstatus:\n")
    if status < 0:
        return ""
    start = text.find("\n  conditions:\n", status)
    if start < 0 or _NEXT_TOP.search(text, status + 1, start + 1):
        return ""
    start += len("\n  conditions:")
    match = _NEXT_SUB.search(text, start + 1)
    return text[start : match.start() if match else len(text)]


def _scan_items(lines: str) -> list[dict[str, str]]:
    """List items line by line, joining values that continue on further lines."""
    items: list[dict[str, str]] = []
    for raw in lines.split("\n"):
        if not raw:
            continue
        line = "    " + raw[4:] if raw.startswith("  - ") else raw
        if raw.startswith("  - "):
            items.append({})
        if not items or not line.startswith("    "):
            raise _Unusual
        if line[4] == " ":
            _continue(items[-1], line.strip())
            continue
        key, sep, value = line[4:].partition(":")
        items[-1][key] = value[1:] if sep else ""
        items[-1]["\0last"] = key
    return [{k: _field(k, v) for k, v in item.items()} for item in items]


def _continue(item: dict[str, str], text: str) -> None:
    """A continuation line of a multi-line value (only messages have them)."""
    last = item.get("\0last", "")
    if last != "message":
        raise _Unusual
    item[last] = f"{item[last]} {text}".strip() if item[last] not in ("|", "|-") else text


def _field(key: str, value: str) -> str:
    return value if key in ("\0last", "message") and value in ("|", "|-") else _scalar(value)


def _scalar(value: str) -> str:
    """A plain, single-quoted or (one-line, JSON-escaped) double-quoted scalar's text."""
    first = value[:1]
    if first == '"':  # yamlout writes JSON strings; anything else goes to the YAML loader
        try:
            text = json.loads(value)
        except ValueError as exc:
            raise _Unusual from exc
        if not isinstance(text, str):
            raise _Unusual
        return text
    if first == "'":
        if len(value) < 2 or value[-1] != "'":
            raise _Unusual
        return value[1:-1].replace("''", "'")
    if first in _ODD:
        raise _Unusual
    return value


def _conditions(raw: object) -> tuple[Condition, ...]:
    out: list[Condition] = []
    for item in _list(raw):
        cond = _mapping(item)
        if not cond.get("type"):
            continue
        out.append(
            Condition(
                type=str(cond["type"]),
                status=str(cond.get("status", "")),
                reason=str(cond.get("reason") or ""),
                message=" ".join(str(cond.get("message") or "").split()),
                last_transition=_time_text(cond.get("lastTransitionTime")),
                observed_generation=_int(cond.get("observedGeneration")),
            )
        )
    return tuple(out)


def _time_text(value: object) -> str:
    if isinstance(value, datetime.datetime):
        return timefmt.format_seconds(value)
    return str(value or "")


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_mapping(value: object) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (for callers reading parsed bodies)."""
    return _mapping(value)
