"""The controller's own branches, checked before a pass reads them.

I/O shell. ``ocm/hub`` and ``ocm/status`` have one writer, the controller, which
signs every commit it writes. Anyone else who can push to the repository (an
agent whose credentials were stolen) can still move either branch to a commit
of theirs: a hub tip holding a cluster-admin binding, a status tip saying that
another cluster is unavailable. Agents refuse such a hub tip; the controller
must not take either as its input. So before each pass :func:`restore` checks
each tip's signature against the controller's own key. A tip it did not sign is
answered with a commit of the controller's on top of it (a branch is never
force-updated) holding the tree of the newest commit it did sign, found by
walking first parents (at most :data:`MAX_WALK`), or of the last commit the
controller wrote to the branch (remembered in :data:`MEMORY` beside its key, so
across restarts too); the warning T627 names the commit it replaced.

A branch with no commit the controller signed within reach, and none
remembered, is read as it is, with the warning T628: that is the branch of a
fleet moving from an unsigned controller to a signed one (the first signed
commit ends it), or a wholesale replacement seen by a controller that lost its
state folder (docs/security.md, "What remains open").
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path

from gitops_ocm.gitstore import reader, refs, remote, writer
from gitops_ocm.hub import gate
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.trust import keys

MAX_WALK = 1000
RESTORED = "T627"
UNSIGNED_HISTORY = "T628"


def signed_by(store: remote.Store, commit: str, key: keys.PublicKey) -> bool:
    """Whether ``commit`` carries a signature by ``key`` that verifies."""
    return gate.signed_by(store.repo, commit, key)


BRANCHES = ("ocm/hub", "ocm/status")
MEMORY = "own-branches.json"  # beside the controller's key
_HEX = re.compile(r"[0-9a-f]{40}")


class Guard:
    """The controller's own branches: the last tip known to be its own, per branch.

    :meth:`check` runs before each pass and returns its warnings; :meth:`wrote`
    records what the pass committed, so the next check needs no signature
    verification when nobody else moved the branch. With a ``memory`` file
    (``own-branches.json`` beside the controller's key) the record outlives the
    process: a restarted controller restores a branch replaced wholesale from
    the commit it last wrote instead of reading the replacement (T628).
    """

    def __init__(
        self, store: remote.Store, author: writer.Author, memory: Path | None = None
    ) -> None:
        self.store = store
        self.author = author
        self.memory = memory
        self.own: dict[str, str] = _load(memory)

    def check(self) -> list[Problem]:
        """Restore every branch whose tip this controller did not sign; return the warnings."""
        found: list[Problem] = []
        for branch in BRANCHES:
            problem, tip = restore(self.store, branch, self.author, self.own.get(branch))
            if problem is not None:
                found.append(problem)
            if problem is None or problem.code == RESTORED:
                self.wrote(branch, tip)
        return found

    def wrote(self, branch: str, commit: str | None) -> None:
        """Remember a commit this controller wrote (or found its own) on ``branch``."""
        if commit is None or self.own.get(branch) == commit:
            return
        self.own[branch] = commit
        if self.memory is not None:
            _save(self.memory, self.own)


def _load(memory: Path | None) -> dict[str, str]:
    """The remembered tips (a missing or damaged file remembers nothing)."""
    if memory is None:
        return {}
    try:
        data = json.loads(memory.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        b: c for b, c in data.items() if b in BRANCHES and isinstance(c, str) and _HEX.fullmatch(c)
    }


def _save(memory: Path, own: dict[str, str]) -> None:
    """Write the remembered tips atomically; a failure to write only loses the memory."""
    with contextlib.suppress(OSError):
        memory.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=memory.parent, prefix=".own-branches-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(dict(sorted(own.items())), handle)
        os.replace(tmp, memory)


def restore(
    store: remote.Store,
    branch: str,
    author: writer.Author,
    last_own: str | None = None,
) -> tuple[Problem | None, str | None]:
    """Make ``branch``'s tip a commit signed by ``author``'s key; return a warning and the tip.

    ``last_own``: the last commit this process wrote to the branch (or found
    signed): a tip equal to it needs no check, and it is the tree restored when
    no signed commit is found among the tip's first parents.
    """
    signer = author.signer
    tip = refs.read_tip(store.repo, refs.branch_ref(branch))
    if signer is None or tip.id is None or tip.id == last_own:
        return None, tip.id
    key = signer.public_key
    if signed_by(store, tip.id, key):
        return None, tip.id
    ancestors = reader.first_parents(store.repo, tip.id, MAX_WALK)[1:]
    remembered = last_own if last_own and reader.has_commit(store.repo, last_own) else None
    own = next((c for c in ancestors if signed_by(store, c, key)), remembered)
    if own is None:
        return _warning(
            branch,
            UNSIGNED_HISTORY,
            "no commit of it is signed by this controller; read as it is",
            tip.id,
        ), tip.id
    message = f"{branch}: restore {own[:12]}\n\n{tip.id} was not written by this controller."
    tree = reader.tree_id(store.repo, own)
    done = writer.restore(store.repo, tip, tree, message, author=author)
    store.push(branch, done.previous)
    text = f"its tip was not signed by this controller; restored the tree of {own[:12]}"
    return _warning(branch, RESTORED, text, tip.id), done.commit


def _warning(branch: str, code: str, message: str, commit: str) -> Problem:
    got = f"commit {commit}"
    return Problem(branch, 1, 1, code, "/", message, got=got, severity=Severity.WARNING)
