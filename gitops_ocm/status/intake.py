"""Checking an agent's report before the fold believes any of it.

Pure: a branch name, a tree listing and file contents in; problems out. A
report branch is written by a cluster's agent, whose credentials may be in an
attacker's hands, so it is read like any other untrusted input: bounded,
validated against the report layout, and refused whole when anything is off.
The fold then keeps that cluster's last good report (``hub.folding``) and lists
the problems, with these codes (docs/problem-codes.md), in ``controller.yaml``
and the README:

====  ==============================================================
R501  a branch under ``ocm/reports/`` that is not ``ocm/reports/<cluster name>``
R502  an entry a report never has: a symlink, a submodule, ``..``, ``.git``
R503  a path outside the report layout
R504  a file over :data:`MAX_FILE_BYTES`
R505  a report over :data:`MAX_REPORT_BYTES` or :data:`MAX_ENTRIES`
R506  a file that is not readable YAML within ``yamllimits`` (its S1xx code quoted)
R507  a file whose kind is not the one its path holds
R508  an object that names another cluster than its branch
R509  a time ahead of the controller's clock (a warning: the time is clamped)
====  ==============================================================
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from gitops_ocm.model import timefmt, yamlout
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.validation import names

PREFIX = "ocm/reports/"
MAX_FILE_BYTES = 1024 * 1024
MAX_REPORT_BYTES = 16 * 1024 * 1024
MAX_ENTRIES = 10_000

_NAME = r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?"
# path pattern -> (apiVersion, kind) the file must hold
LAYOUT: tuple[tuple[re.Pattern[str], tuple[str, str]], ...] = (
    (re.compile(r"cluster\.yaml"), ("cluster.open-cluster-management.io/v1", "ManagedCluster")),
    # the agent's registration: its ManagedCluster and public key (status.signedtips)
    (
        re.compile(r"registration\.yaml"),
        ("cluster.open-cluster-management.io/v1", "ManagedCluster"),
    ),
    (re.compile(r"lease\.yaml"), ("coordination.k8s.io/v1", "Lease")),
    (
        re.compile(rf"manifestworks/{_NAME}\.yaml"),
        ("work.open-cluster-management.io/v1", "ManifestWork"),
    ),
    (re.compile(rf"policies/{_NAME}\.yaml"), ("policy.open-cluster-management.io/v1", "Policy")),
    (
        re.compile(rf"configurationpolicies/{_NAME}/{_NAME}\.yaml"),
        ("policy.open-cluster-management.io/v1", "ConfigurationPolicy"),
    ),
    (
        re.compile(rf"addonplacementscores/{_NAME}\.yaml"),
        ("cluster.open-cluster-management.io/v1alpha1", "AddOnPlacementScore"),
    ),
)
FOLDERS = frozenset(("manifestworks", "policies", "configurationpolicies", "addonplacementscores"))


@dataclasses.dataclass(frozen=True)
class Entry:
    """One entry of a report tree: its path, what it is, and its size (blobs)."""

    path: str
    kind: str  # "blob", "tree", "link", "commit" or "other"
    size: int = 0


def cluster_of(branch: str) -> str | None:
    """The cluster a branch below ``ocm/reports/`` reports for, or None if it is no report."""
    name = branch.removeprefix(PREFIX)
    if "/" in name or names.dns_label_problem(name) is not None:
        return None
    return name


def branch_problem(branch: str) -> Problem:
    """R501 for a branch below ``ocm/reports/`` that no cluster can own."""
    return _problem(
        branch,
        "R501",
        "a report branch must be named ocm/reports/<cluster name> (a DNS label); not read",
    )


def check_listing(cluster: str, entries: Iterable[Entry], truncated: bool) -> list[Problem]:
    """Problems of a report's tree listing: entries, layout, sizes (nothing read yet)."""
    where = f"{PREFIX}{cluster}"
    found: list[Problem] = []
    total = 0
    for entry in entries:
        found.extend(_entry_problems(where, entry))
        total += entry.size
    if truncated:
        found.append(_problem(where, "R505", f"a report holds at most {MAX_ENTRIES} entries"))
    if total > MAX_REPORT_BYTES:
        found.append(
            _problem(
                where, "R505", f"a report holds at most {MAX_REPORT_BYTES} bytes", f"{total} bytes"
            )
        )
    return found


def _entry_problems(where: str, entry: Entry) -> list[Problem]:
    path = entry.path
    parts = path.split("/")
    at = f"{where}:{_printable(path)}"
    if any(part in ("", ".", "..", ".git") or part.lower() == ".git" for part in parts):
        return [_problem(at, "R502", "a report entry may not be named '', '.', '..' or '.git'")]
    if entry.kind in ("link", "commit", "other"):
        what = {"link": "symlink", "commit": "submodule"}.get(entry.kind, "special entry")
        return [_problem(at, "R502", f"a report holds no {what}")]
    if entry.kind == "tree":
        if len(parts) == 1 and path in FOLDERS:
            return []
        if len(parts) == 2 and parts[0] == "configurationpolicies":
            return []
        return [_problem(at, "R503", "a folder outside the report layout")]
    if layout_kind(path) is None:
        return [_problem(at, "R503", "a file outside the report layout (docs/status.md)")]
    if entry.size > MAX_FILE_BYTES:
        return [
            _problem(
                at, "R504", f"a report file holds at most {MAX_FILE_BYTES} bytes", f"{entry.size}"
            )
        ]
    return []


def layout_kind(path: str) -> tuple[str, str] | None:
    """The (apiVersion, kind) a report file at ``path`` must hold, None outside the layout."""
    for pattern, kind in LAYOUT:
        if pattern.fullmatch(path):
            return kind
    return None


@dataclasses.dataclass(frozen=True)
class FileFacts:
    """What one report file's content says, whenever it is seen: a function of its bytes.

    ``problems`` are those of reading it, its kind and its cluster; ``times``
    are its lease and condition times (field, as written, parsed), which
    :func:`future_times` compares with when its report was first seen.
    """

    problems: tuple[Problem, ...]
    times: tuple[tuple[str, str, datetime.datetime], ...] = ()


def read_file(cluster: str, path: str, data: bytes) -> FileFacts:
    """Parse one report file within the limits and check its kind and cluster."""
    at = f"{PREFIX}{cluster}:{path}"
    try:
        body = yamlout.load(data)
    except yamlout.Unreadable as exc:
        return FileFacts((_problem(at, "R506", f"{exc.code} {exc.message}", line=exc.line),))
    expected = layout_kind(path)
    if not isinstance(body, dict) or expected is None:
        return FileFacts((_problem(at, "R507", "a report file holds one object"),))
    kind = (str(body.get("apiVersion")), str(body.get("kind")))
    if kind != expected:
        got = f"{kind[0]} {kind[1]}"
        return FileFacts((_problem(at, "R507", f"{path} holds a {expected[1]}", got),))
    named = _cluster_named(at, cluster, expected[1], _mapping(body.get("metadata")))
    return FileFacts(tuple(named), _times(body))


def future_times(
    cluster: str, path: str, facts: FileFacts, observed: datetime.datetime
) -> list[Problem]:
    """R509 warnings for the file's times later than ``observed``, when its report was seen."""
    at = f"{PREFIX}{cluster}:{path}"
    taken = timefmt.format_seconds(observed)
    return [
        _problem(
            at,
            "R509",
            f"{field} is ahead of the controller's clock; taken as {taken}",
            value,
            severity=Severity.WARNING,
        )
        for field, value, when in facts.times
        if when > observed
    ]


def check_file(cluster: str, path: str, data: bytes, observed: datetime.datetime) -> list[Problem]:
    """Everything wrong with one report file first seen at ``observed``.

    ``observed`` is when the controller first saw the report: a time after it
    is in the future of the only clock the controller trusts.
    """
    facts = read_file(cluster, path, data)
    return [*facts.problems, *future_times(cluster, path, facts, observed)]


def _cluster_named(at: str, cluster: str, kind: str, meta: Mapping[str, Any]) -> list[Problem]:
    """R508 where an object's name (a ManagedCluster) or namespace names another cluster."""
    if kind == "ManagedCluster":
        field, value = "metadata.name", meta.get("name")
    elif "namespace" in meta:  # every other report object lives in the cluster's namespace
        field, value = "metadata.namespace", meta.get("namespace")
    else:
        return []
    if value == cluster:
        return []
    return [_problem(at, "R508", f"{field} must be the branch's cluster {cluster!r}", repr(value))]


def _times(body: Mapping[str, Any]) -> tuple[tuple[str, str, datetime.datetime], ...]:
    """A report object's lease renewTime and condition times, where they parse."""
    times: list[tuple[str, Any]] = [("spec.renewTime", _mapping(body.get("spec")).get("renewTime"))]
    for cond in _mapping(body.get("status")).get("conditions") or []:
        if isinstance(cond, dict):
            times.append((f"condition {cond.get('type')}", cond.get("lastTransitionTime")))
    out = []
    for field, value in times:
        when = timefmt.parse(value)
        if when is not None:
            out.append((field, str(value), when))
    return tuple(out)


def _problem(
    where: str,
    code: str,
    message: str,
    got: str | None = None,
    *,
    line: int = 1,
    severity: Severity = Severity.ERROR,
) -> Problem:
    return Problem(where, line, 1, code, "", message, got, severity)


def _printable(path: str) -> str:
    return path.encode("unicode_escape", errors="backslashreplace").decode("ascii")[:200]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
