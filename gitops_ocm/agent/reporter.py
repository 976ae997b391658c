"""Committing an agent's report to its own branch ``ocm/reports/<cluster>`` and pushing it.

I/O, through the git store only. The report is a whole tree (cluster.yaml,
lease.yaml, addonplacementscores/<name>.yaml, manifestworks/<name>.yaml,
policies/<ns>.<name>.yaml and configurationpolicies/<ns>.<name>/<template>.yaml)
committed with ``publish_tree``, which
writes nothing when the tree equals the tip's: an unchanged cluster makes no
commit, and the lease is what changes when it is due. Because the tree is
whole, a file the pass no longer produces (a work or a policy that left the
prescriptions) leaves the report. For a remote repository
the commit is made in the local mirror and pushed by compare-and-swap against
the remote's branch as last fetched (``refs/remotes/origin/<branch>``); a push
that fails (Git unreachable) is retried on the next pass, even without a new
commit. The agent is the only writer of its branch; if the remote's branch is
not an ancestor of ours (it was reset), ours is rebuilt on top of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from gitops_ocm import errors
from gitops_ocm.gitstore import refs, remote, writer


@dataclasses.dataclass(frozen=True)
class Published:
    """The report branch after a pass."""

    commit: str | None
    created: bool
    pushed: bool
    error: str = ""


class Reporter:
    """Writes one cluster's report branch in a Store."""

    def __init__(
        self, store: remote.Store, cluster: str, *, author: writer.Author | None = None
    ) -> None:
        self.store = store
        self.branch = f"ocm/reports/{cluster}"
        self.local_ref = refs.branch_ref(self.branch)
        self.tracking_ref = f"refs/remotes/origin/{self.branch}"
        self.author = author or writer.Author(name=f"gitops-ocm agent {cluster}")

    @property
    def fetch_refspec(self) -> str:
        """The refspec that brings the remote's report branch into the tracking ref."""
        return f"+{self.local_ref}:{self.tracking_ref}"

    def previous(self) -> dict[str, bytes]:
        """The files of the last report we committed (empty before the first)."""
        tree = writer.tip_files(self.store.repo, self.branch)
        return {} if tree is None else tree.read_all()

    def publish(
        self, files: Mapping[str, bytes], message: str, trailers: Mapping[str, str]
    ) -> Published:
        """Commit the report if it changed, and push whatever the remote lacks."""
        if not self.store.is_local:
            self._align()
        result = writer.publish_tree(
            self.store.repo, self.branch, files, message, trailers, author=self.author
        )
        if self.store.is_local:
            return Published(result.commit, result.created, True)
        remote_tip = refs.read_tip(self.store.repo, self.tracking_ref)
        if remote_tip.id == result.commit:
            return Published(result.commit, result.created, True)
        try:
            self.store.push(self.branch, expected_old=remote_tip.id)
        except errors.Transient as exc:
            return Published(result.commit, result.created, False, str(exc))
        local = refs.read_tip(self.store.repo, self.local_ref)
        if local.id is not None:
            refs.swap(self.store.repo, remote_tip, local.id, "pushed")
        return Published(result.commit, result.created, True)

    def _align(self) -> None:
        """Make our branch a descendant of the remote's (a fresh mirror, or a reset remote)."""
        repo = self.store.repo
        theirs = refs.read_tip(repo, self.tracking_ref)
        ours = refs.read_tip(repo, self.local_ref)
        if theirs.id is None or ours.id == theirs.id:
            return
        if refs.descends(repo, ours, theirs):
            return
        refs.swap(repo, ours, theirs.id, "follow the remote report branch")
