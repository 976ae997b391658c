"""Writing a cluster's acceptance into its ManagedCluster file, as a person would by hand.

Pure: file text in, file text out. ``gitops-ocm accept`` sets
``spec.hubAcceptsClient: true`` and the annotation ``gitops-ocm.io/agent-key``
on the ManagedCluster document of a file, keeping everything else as written:
the edit is made line by line in the block-style YAML people write (only the
lines of those two fields change or are inserted; comments, other keys and
the other documents of the file stay byte for byte). The edited document is
parsed back and compared with the intended object; when the text edit cannot
give it (flow style, anchors, unusual indentation) the document alone is
written again from its parsed object (its comments are then lost, and
:class:`Edit` says so).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import yaml

from gitops_ocm.model import yamlout
from gitops_ocm.status import signedtips

_SEPARATOR = re.compile(r"^---(\s|$)")
_ACCEPTS = "hubAcceptsClient"


@dataclasses.dataclass(frozen=True)
class Edit:
    """The new text of a file and what was done (``rewritten``: one document written again)."""

    text: str
    changes: tuple[str, ...]
    rewritten: bool = False


def new_file(cluster: str, fingerprint: str) -> str:
    """A ManagedCluster file accepting ``cluster`` with the key ``fingerprint``."""
    return yamlout.dump(
        accepted_body({"metadata": {"name": cluster}}, cluster, fingerprint)
    ).decode()


def accepted_body(body: dict[str, Any], cluster: str, fingerprint: str) -> dict[str, Any]:
    """``body`` (a ManagedCluster) with the acceptance set."""
    out = copy.deepcopy(body)
    out["apiVersion"] = signedtips.API_VERSION
    out["kind"] = signedtips.KIND
    meta = out.setdefault("metadata", {})
    meta["name"] = cluster
    notes = meta.get("annotations")
    meta["annotations"] = {**(notes if isinstance(notes, dict) else {})}
    meta["annotations"][signedtips.KEY_ANNOTATION] = fingerprint
    spec = out.get("spec")
    out["spec"] = {**(spec if isinstance(spec, dict) else {}), _ACCEPTS: True}
    return out


def accept(text: str, cluster: str, fingerprint: str) -> Edit | None:
    """``text`` with ``cluster``'s ManagedCluster accepting ``fingerprint`` (None: not there)."""
    chunks = _documents(text)
    for number, chunk in enumerate(chunks):
        body = _load(chunk)
        if not _is_cluster(body, cluster):
            continue
        assert isinstance(body, dict)
        wanted = accepted_body(body, cluster, fingerprint)
        changes = _changes(body, fingerprint)
        edited = _edit_lines(chunk, fingerprint)
        rewritten = _load(edited) != wanted
        if rewritten:
            edited = _separator(chunk) + yamlout.dump(wanted).decode()
        chunks[number] = edited
        return Edit("".join(chunks), changes, rewritten)
    return None


def _documents(text: str) -> list[str]:
    """The file cut before each ``---`` line (each piece keeps its own separator)."""
    chunks: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if _SEPARATOR.match(line) and current:
            chunks.append("".join(current))
            current = []
        current.append(line)
    chunks.append("".join(current))
    return chunks


def _separator(chunk: str) -> str:
    first = chunk.splitlines(keepends=True)[:1]
    return first[0] if first and _SEPARATOR.match(first[0]) else ""


def _load(chunk: str) -> Any:
    try:
        return yamlout.load(chunk.encode())
    except (yamlout.Unreadable, yaml.YAMLError):
        return None


def _is_cluster(body: Any, cluster: str) -> bool:
    if not isinstance(body, dict) or body.get("kind") != signedtips.KIND:
        return False
    meta = body.get("metadata")
    return isinstance(meta, dict) and meta.get("name") == cluster


def _changes(body: dict[str, Any], fingerprint: str) -> tuple[str, ...]:
    """What the acceptance changes in ``body``, in words."""
    out = []
    found = body.get("spec")
    spec: dict[str, Any] = found if isinstance(found, dict) else {}
    if spec.get(_ACCEPTS) is not True:
        out.append(f"spec.{_ACCEPTS}: {spec.get(_ACCEPTS, '(unset)')} -> true")
    notes = (body.get("metadata") or {}).get("annotations")
    old = notes.get(signedtips.KEY_ANNOTATION) if isinstance(notes, dict) else None
    if old != fingerprint:
        out.append(f"annotation {signedtips.KEY_ANNOTATION}: {old or '(unset)'} -> {fingerprint}")
    return tuple(out)


def _edit_lines(chunk: str, fingerprint: str) -> str:
    """The block-style edit: set the annotation under metadata and the field under spec."""
    lines = chunk.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines = _annotate(lines, f'{signedtips.KEY_ANNOTATION}: "{fingerprint}"\n')
    spec = _key_line(lines, 0, len(lines), "", "spec")
    if spec is None:
        at = _content_end(lines)
        return "".join([*lines[:at], "spec:\n", f"  {_ACCEPTS}: true\n", *lines[at:]])
    return "".join(_set_in_block(lines, spec, "  ", _ACCEPTS, f"{_ACCEPTS}: true\n"))


def _annotate(lines: list[str], value: str) -> list[str]:
    """Set the annotation line under ``metadata.annotations``, creating ``annotations``."""
    meta = _key_line(lines, 0, len(lines), "", "metadata")
    if meta is None:
        return lines  # the parse-back check rewrites the document
    end = _block_end(lines, meta + 1, "")
    indent = _child_indent(lines, meta + 1, end, "  ")
    notes = _key_line(lines, meta + 1, end, indent, "annotations")
    if notes is None:
        block = [f"{indent}annotations:\n", f"{indent * 2}{value}"]
        return [*lines[: meta + 1], *block, *lines[meta + 1 :]]
    return _set_in_block(lines, notes, indent * 2, signedtips.KEY_ANNOTATION, value)


def _set_in_block(lines: list[str], head: int, default: str, name: str, value: str) -> list[str]:
    """Replace or insert the line of ``name`` in the block below the key on line ``head``."""
    outer = _indent_of(lines[head])
    end = _block_end(lines, head + 1, outer)
    indent = _child_indent(lines, head + 1, end, default)
    found = _key_line(lines, head + 1, end, indent, name)
    if found is not None:
        return [*lines[:found], f"{indent}{value}", *lines[found + 1 :]]
    return [*lines[: head + 1], f"{indent}{value}", *lines[head + 1 :]]


def _key_line(lines: list[str], start: int, end: int, indent: str, key: str) -> int | None:
    """The line number of ``key:`` at exactly ``indent`` between ``start`` and ``end``."""
    pattern = re.compile(rf"^{re.escape(indent)}{re.escape(key)}:(\s|$)")
    for number in range(start, end):
        if pattern.match(lines[number]):
            return number
    return None


def _block_end(lines: list[str], start: int, outer: str) -> int:
    """The first line from ``start`` whose content is indented no deeper than ``outer``."""
    for number in range(start, len(lines)):
        line = lines[number]
        content = line.strip() and not line.lstrip().startswith("#")
        if content and len(_indent_of(line)) <= len(outer):
            return number
    return len(lines)


def _child_indent(lines: list[str], start: int, end: int, default: str) -> str:
    """The indentation of the first content line of a block (``default`` for an empty one)."""
    for number in range(start, end):
        line = lines[number]
        if line.strip() and not line.lstrip().startswith("#"):
            return _indent_of(line)
    return default


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" "))]


def _content_end(lines: list[str]) -> int:
    """The line after the document's last content line (trailing blanks and comments stay after)."""
    at = len(lines)
    while at > 0 and (not lines[at - 1].strip() or lines[at - 1].lstrip().startswith("#")):
        at -= 1
    return at
