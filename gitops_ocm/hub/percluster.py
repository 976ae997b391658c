"""Publishing each accepted cluster's prescriptions on a ref of its own, ``refs/ocm/hub/<cluster>``.

I/O shell. After each pass that publishes (or keeps) an ``ocm/hub`` commit,
:meth:`Channels.sync` cuts from it one commit per cluster folder whose content
(the folder's tree id and the hub tree's ``allowed_signers``) differs from what
that cluster's ref holds: its tree is the folder and ``allowed_signers``
(:mod:`gitops_ocm.gitstore.clusterrefs`), its parent the ref's previous commit,
its trailers ``Source-Commit`` and ``Hub-Commit`` (the ``ocm/hub`` commit it was
cut from), and it is signed like every hub commit. A cluster that left
``ocm/hub`` loses its ref. Refs move by compare-and-swap, and all refs a pass
moves go to a remote in one push.

What each ref holds is remembered between passes, so a pass compares ids in
memory and writes only the refs whose cluster changed. A new controller learns
it on its first pass from :data:`MEMORY` beside its key (the commit, folder and
``allowed_signers`` of each ref it last wrote), and verifies against its own
key only the tips that differ from it (all of them without the file: about
0.5 ms each).

The refs are the controller's own, like ``ocm/hub`` (:mod:`.ownbranches`):
:meth:`Channels.check` runs before each pass and finds a tip this controller
did not write (or a ref deleted by someone else). Listing 10,000 loose refs
took 0.4-1 s on the benchmark machine, so it lists them only when a ``stat`` of the refs' folder
and of ``packed-refs`` (:func:`clusterrefs.stamp`) changed since the last look,
or :data:`FULL_CHECK_SECONDS` passed. The pass then commits the
cluster's content again on top of the forged tip, with the controller's last
commit of that ref as a second parent so the agent's descent check still holds,
and warns T627.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

from gitops_ocm.gitstore import clusterrefs, reader, refs, remote, writer
from gitops_ocm.hub import gate, ownbranches, sourcecheck
from gitops_ocm.problems import Problem, Severity

MEMORY = "cluster-refs.json"  # beside the controller's key
FULL_CHECK_SECONDS = 60.0
"""The refs are listed at least this often, whatever their stamp says."""


@dataclasses.dataclass(frozen=True)
class Synced:
    """What one :meth:`Channels.sync` did: refs written and deleted."""

    moved: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()


class Channels:
    """The per-cluster refs of one hub store, and what each holds."""

    def __init__(
        self, store: remote.Store, author: writer.Author, memory: Path | None = None
    ) -> None:
        self.store = store
        self.author = author
        self.memory = memory
        self.own: dict[str, str] = {}  # cluster -> the commit of ours its ref points at
        self.content: dict[str, clusterrefs.Content] = {}  # what that commit holds
        self._remembered = _load(memory)  # cluster -> (commit, content), read once
        self.forged: dict[str, str] = {}  # cluster -> a tip this controller did not write
        self._stamp: tuple[int | None, ...] | None = None  # of the refs as last listed or written
        self._listed = 0.0  # monotonic time of the last listing

    def check(self) -> list[Problem]:
        """Find refs this controller did not write or did not delete; return the warnings."""
        repo = self.store.repo
        found: list[Problem] = []
        stamp = clusterrefs.stamp(repo)
        fresh = time.monotonic() - self._listed < FULL_CHECK_SECONDS
        if stamp == self._stamp and fresh:
            return found
        self._stamp, self._listed = stamp, time.monotonic()
        current = clusterrefs.targets(repo)
        for cluster, commit in current.items():
            if self.own.get(cluster) == commit:
                continue
            known = self._remembered.pop(cluster, None)
            if known is not None and known[0] == commit:
                self.own[cluster], self.content[cluster] = known
                continue
            content = self._verified(cluster, commit)
            if content is not None:
                self.own[cluster], self.content[cluster] = commit, content
                continue
            self.forged[cluster] = commit
            text = "its tip was not written by this controller; its prescriptions are written again"
            found.append(_warning(cluster, text, commit))
        for cluster in [c for c in self.own if c not in current]:
            found.append(_warning(cluster, "deleted by someone else; written again", None))
            del self.own[cluster]
            del self.content[cluster]
        return found

    def _verified(self, cluster: str, commit: str) -> clusterrefs.Content | None:
        """What ``commit`` holds, when this controller signed it (or signs nothing)."""
        signer = self.author.signer
        if signer is not None and not gate.signed_by(self.store.repo, commit, signer.public_key):
            return None
        return clusterrefs.content_of(self.store.repo, commit, cluster)

    def sync(self, hub_commit: str, source_commit: str | None = None) -> Synced:
        """Make every cluster's ref hold its folder of ``hub_commit``; push what moved."""
        repo = self.store.repo
        source = source_commit or sourcecheck.published_source(repo, hub_commit)
        signers = reader.blob_at(repo, hub_commit, clusterrefs.SIGNERS)
        desired = {
            path.partition("/")[2]: clusterrefs.Content(tree, signers)
            for path, tree in reader.folder_ids(repo, hub_commit, "clusters").items()
        }
        expected: dict[str, str | None] = {}
        moved: list[str] = []
        for cluster, want in desired.items():
            forged = self.forged.get(cluster)
            if forged is None and self.content.get(cluster) == want:
                continue
            ref = clusterrefs.ref_of(cluster)
            tip = refs.Tip(ref, forged or self.own.get(cluster))
            tree = clusterrefs.write_tree(repo, cluster, want)
            trailers = {"Source-Commit": source} if source else {}
            trailers[clusterrefs.HUB_TRAILER] = hub_commit
            done = writer.commit_tree(
                repo,
                tip,
                tree,
                f"hub {cluster}: {hub_commit[:12]}",
                trailers,
                author=self.author,
                also=self.own.get(cluster) if forged is not None else None,
            )
            expected[ref] = tip.id
            moved.append(cluster)
            self.own[cluster], self.content[cluster] = done.commit, want
        gone = sorted({*self.own, *self.forged} - desired.keys())
        for cluster in gone:
            ref = clusterrefs.ref_of(cluster)
            tip = refs.Tip(ref, self.forged.get(cluster) or self.own.get(cluster))
            refs.swap(repo, tip, None, f"gitops-ocm: {cluster} is no longer accepted")
            expected[ref] = tip.id
            self.own.pop(cluster, None)
            self.content.pop(cluster, None)
        self.forged.clear()
        self.store.push_refs(expected)
        if expected and self._stamp is not None:
            self._stamp = clusterrefs.stamp(repo)  # our own writes need no listing
        if expected and self.memory is not None:
            _save(self.memory, self.own, self.content)
        return Synced(tuple(moved), tuple(gone))


def _load(memory: Path | None) -> dict[str, tuple[str, clusterrefs.Content]]:
    """The refs remembered in ``memory`` (a missing or damaged file remembers nothing)."""
    if memory is None:
        return {}
    try:
        data = json.loads(memory.read_text(encoding="utf-8"))
        return {
            str(cluster): (str(c), clusterrefs.Content(str(f), None if s is None else str(s)))
            for cluster, (c, f, s) in data.items()
        }
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _save(memory: Path, own: dict[str, str], content: dict[str, clusterrefs.Content]) -> None:
    """Write the refs this controller wrote, atomically; a failure only loses the memory."""
    data = {c: [own[c], content[c].folder, content[c].signers] for c in sorted(own)}
    with contextlib.suppress(OSError):
        memory.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=memory.parent, prefix=".cluster-refs-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.replace(tmp, memory)


def _warning(cluster: str, message: str, commit: str | None) -> Problem:
    got = f"commit {commit}" if commit else ""
    ref = clusterrefs.ref_of(cluster)
    return Problem(
        ref, 1, 1, ownbranches.RESTORED, "/", message, got=got, severity=Severity.WARNING
    )
