"""``controller --verify-source FILE``: which ``main`` commits must verify before publishing.

I/O shell around :mod:`gitops_ocm.trust.sourcesig`. ``SourceCheck.open`` reads the
allowed-signers file once at start (a missing file is a usage error, a malformed
one is refused with ``file:line``); ``refresh`` (once a pass, one ``stat``) reads it
again when its size, time or inode changed. A file that cannot be read or parsed
after start refuses every commit (T656 or T609 in ``controller.yaml``) until it is
fixed: the last good prescriptions stay in force, never a stale list of signers.

``problems(repo, head, last)`` returns what refuses ``head``. Mode ``head``: its
signature. Mode ``all``: every commit reachable from ``head`` and not from
``last`` (the ``Source-Commit`` of the ``ocm/hub`` tip, :func:`published_source`;
none: the head only), as ``git rev-list last..head`` lists them, the head
always included, at most ``MAX_COMMITS`` (more: T654). Verdicts are kept per
commit and the answer per (head, last, file), so a pass whose head did not move
verifies nothing and a new head costs its new commits only.
"""

from __future__ import annotations

import os
import pathlib
from typing import Literal

from gitops_ocm import errors
from gitops_ocm.gitstore import message, reader, repository
from gitops_ocm.problems import Problem
from gitops_ocm.trust import failure, signers, sourcesig

Mode = Literal["head", "all"]
MODES: tuple[Mode, ...] = ("head", "all")
MAX_MEMO = 10 * sourcesig.MAX_COMMITS

Known = tuple[sourcesig.Verdict, tuple[str, ...]]  # a commit's verdict and parents


class SourceCheck:
    """The allowed signers of ``main`` and the verdicts already reached."""

    def __init__(self, path: pathlib.Path, mode: Mode = "head", limit: int = 0) -> None:
        self.path = path
        self.mode = mode
        self.limit = limit or sourcesig.MAX_COMMITS
        self.generation = 0  # moves whenever the file's meaning may have changed
        self._stamp: tuple[int, int, int] | None = None
        self._entries: tuple[signers.Entry, ...] = ()
        self._broken: Problem | None = None  # the file after start, when unreadable
        self._known: dict[str, Known] = {}
        self._answer: tuple[tuple[str, str | None, int], list[Problem]] | None = None

    @classmethod
    def open(cls, path: pathlib.Path, mode: Mode = "head", limit: int = 0) -> SourceCheck:
        """Read the file at start: missing is a usage error (2), malformed T609 (1)."""
        check = cls(path, mode, limit)
        try:
            check._stamp, text = _read(path)
        except OSError as exc:
            raise errors.UsageError(f"--verify-source {path}: {exc.strerror}") from exc
        check._entries = sourcesig.load(text, str(path))
        return check

    @property
    def entries(self) -> tuple[signers.Entry, ...]:
        """The allowed signers in force."""
        return self._entries

    def refresh(self) -> None:
        """Read the file again when it changed on disk (size, time or inode)."""
        try:
            stamp = _stamp(self.path)
        except OSError as exc:
            self._fail(stamp=None, problem=_unreadable(self.path, exc.strerror or str(exc)))
            return
        if stamp == self._stamp:
            return
        try:
            stamp, text = _read(self.path)
            entries = sourcesig.load(text, str(self.path))
        except OSError as exc:
            self._fail(stamp=None, problem=_unreadable(self.path, exc.strerror or str(exc)))
            return
        except failure.TrustError as exc:
            self._fail(stamp=stamp, problem=_malformed(exc, str(self.path)))
            return
        self._stamp, self._entries, self._broken = stamp, entries, None
        self._forget()

    def problems(self, repo: repository.Repository, head: str, last: str | None) -> list[Problem]:
        """What refuses publishing ``head`` (empty: it may be published)."""
        if self._broken is not None:
            return [self._broken]
        key = (head, last if self.mode == "all" else None, self.generation)
        if self._answer is None or self._answer[0] != key:
            self._answer = (key, self._judge(repo, head, key[1]))
        return list(self._answer[1])

    def _judge(self, repo: repository.Repository, head: str, last: str | None) -> list[Problem]:
        found: list[Problem] = []
        for index, commit in enumerate(self._range(repo, head, last)):
            if index == self.limit:
                detail = f"more than {self.limit} commits since {(last or '')[:12]} to verify"
                found.append(sourcesig.Refused(head, *sourcesig.TOO_MANY, detail).problem())
                break
            verdict = self._known_commit(repo, commit)[0]
            if isinstance(verdict, sourcesig.Refused):
                found.append(verdict.problem())
        return found

    def _range(self, repo: repository.Repository, head: str, last: str | None) -> list[str]:
        """``head``, then (mode all) the commits ``last..head``; one more than the limit at most."""
        if last is None:
            return [head]
        out, seen, todo = [head], {head}, list(reversed(self._known_commit(repo, head)[1]))
        while todo and len(out) <= self.limit:
            commit = todo.pop()
            if commit in seen or commit == last or reader.descends_from(repo, last, commit):
                continue
            seen.add(commit)
            out.append(commit)
            todo.extend(reversed(self._known_commit(repo, commit)[1]))
        return out

    def _known_commit(self, repo: repository.Repository, commit: str) -> Known:
        known = self._known.get(commit)
        if known is None:
            if len(self._known) >= MAX_MEMO:
                self._known.clear()
            known = self._known[commit] = _verdict(repo, commit, self._entries)
        return known

    def _fail(self, *, stamp: tuple[int, int, int] | None, problem: Problem) -> None:
        if self._broken != problem or self._stamp != stamp:
            self._stamp, self._broken = stamp, problem
            self._forget()

    def _forget(self) -> None:
        self._known.clear()
        self._answer = None
        self.generation += 1


def published_source(repo: repository.Repository, hub_tip: str | None) -> str | None:
    """The main commit the ``ocm/hub`` tip was rendered from (its ``Source-Commit``)."""
    if hub_tip is None:
        return None
    try:
        text = reader.commit_info(repo, hub_tip).message
    except errors.NotFound:
        return None
    return message.parse_trailers(text).get("Source-Commit") or None


def _verdict(repo: repository.Repository, commit: str, entries: tuple[signers.Entry, ...]) -> Known:
    """One commit's verdict and its parents (none when it cannot be read)."""
    try:
        parts = reader.signed_parts(repo, commit)
    except failure.TrustError as exc:
        return sourcesig.unreadable(commit, str(exc)), ()
    except errors.NotFound as exc:
        return sourcesig.unreadable(commit, str(exc)), ()
    return sourcesig.judge(commit, parts, entries), sourcesig.parents(parts.payload)


def _stamp(path: pathlib.Path) -> tuple[int, int, int]:
    info = os.stat(path)
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def _read(path: pathlib.Path) -> tuple[tuple[int, int, int], str]:
    """The file's stamp and text, read bounded; too large or not UTF-8 is T609."""
    with open(path, "rb") as handle:
        stamp = os.fstat(handle.fileno())
        data = handle.read(signers.MAX_BYTES + 1)
    if len(data) > signers.MAX_BYTES:
        raise failure.TrustError(
            failure.SIGNERS,
            f"an allowed-signers file holds at most {signers.MAX_BYTES} bytes",
            f"{path}:1",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise failure.TrustError(
            failure.SIGNERS, "the file is not UTF-8 text", f"{path}:{line}"
        ) from exc
    return (stamp.st_size, stamp.st_mtime_ns, stamp.st_ino), text


def _unreadable(path: pathlib.Path, why: str) -> Problem:
    code = sourcesig.UNREADABLE[0]
    text = f"the allowed-signers file cannot be read ({why}); nothing is published"
    return Problem(str(path), 1, 1, code, "", text)


def _malformed(exc: failure.TrustError, where: str) -> Problem:
    file, _, line = exc.where.rpartition(":")
    number = int(line) if line.isdigit() else 1
    text = f"{exc.detail}; nothing is published until the file is fixed"
    return Problem(file or where, number, 1, exc.code, "", text)
