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
walking first parents (at most :data:`MAX_WALK`), or of the last commit this
process wrote to the branch; the warning T627 names the commit it replaced.

A branch with no commit the controller signed within reach is read as it is,
with the warning T628: that is the branch of a fleet moving from an unsigned
controller to a signed one (the first signed commit ends it), and also what a
wholesale replacement of the branch looks like to a restarted controller, which
has no memory of its last commit (docs/security.md, "What remains open").
"""

from __future__ import annotations

from gitops_ocm import errors
from gitops_ocm.gitstore import reader, refs, remote, writer
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.trust import failure, keys, sshsig

MAX_WALK = 1000
RESTORED = "T627"
UNSIGNED_HISTORY = "T628"


def signed_by(store: remote.Store, commit: str, key: keys.PublicKey) -> bool:
    """Whether ``commit`` carries a signature by ``key`` that verifies."""
    try:
        parts = reader.signed_parts(store.repo, commit)
        if parts.signature is None:
            return False
        return sshsig.verify(parts.signature, parts.payload) == key
    except (failure.TrustError, errors.NotFound):
        return False


BRANCHES = ("ocm/hub", "ocm/status")


class Guard:
    """The controller's own branches: the last tip known to be its own, per branch.

    :meth:`check` runs before each pass and returns its warnings; :meth:`wrote`
    records what the pass committed, so the next check needs no signature
    verification when nobody else moved the branch.
    """

    def __init__(self, store: remote.Store, author: writer.Author) -> None:
        self.store = store
        self.author = author
        self.own: dict[str, str] = {}

    def check(self) -> list[Problem]:
        """Restore every branch whose tip this controller did not sign; return the warnings."""
        found: list[Problem] = []
        for branch in BRANCHES:
            problem, tip = restore(self.store, branch, self.author, self.own.get(branch))
            if problem is not None:
                found.append(problem)
            if tip is not None and (problem is None or problem.code == RESTORED):
                self.own[branch] = tip
        return found

    def wrote(self, branch: str, commit: str | None) -> None:
        """Remember a commit this controller wrote (or found its own) on ``branch``."""
        if commit is not None:
            self.own[branch] = commit


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
    own = next((c for c in ancestors if signed_by(store, c, key)), last_own)
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
