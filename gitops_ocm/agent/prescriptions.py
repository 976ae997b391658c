"""The agent's prescriptions: its own ref ``refs/ocm/hub/<cluster>``, and their copy on disk.

I/O. :func:`fetch_tip` brings only the cluster's own ref (and our report
branch's remote value) from the remote, with explicit refspecs: no other
cluster's prescriptions reach the agent. When the remote has no such ref (a
controller from before per-cluster refs, or a cluster that is not accepted) it
fetches ``ocm/hub`` instead, as before. :func:`tip_facts` reads what the
verdict on a new tip needs (:mod:`.hubtrust`), and only a verified tip is
:func:`read`, and only ``clusters/<cluster>/`` of it (both refs hold the
folder at the same path). The result is saved in the state folder
(``prescriptions.json``, written atomically, only when the commit changed), so
that while Git is unreachable the agent keeps reconciling the last
prescriptions it saw. It remembers the last commit applied from each ref, so
that a new tip of a ref must descend from the last one applied from that ref.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gitops_ocm.agent import hubtrust
from gitops_ocm.gitstore import clusterrefs, message, objects, reader, refs, remote
from gitops_ocm.model import yamlout
from gitops_ocm.trust import signers

FILE = "prescriptions.json"
ALLOWED_SIGNERS = "allowed_signers"
ROOT_ENTRIES = 1000
HUB_REF = "refs/heads/ocm/hub"


@dataclasses.dataclass(frozen=True)
class Prescriptions:
    """One cluster's hub files (paths relative to ``clusters/<cluster>/``) at a hub commit.

    ``hub_commit`` is the ``ocm/hub`` commit they come from (the ``Hub-Commit``
    trailer of a per-cluster commit), ``commit`` the commit of ``ref`` that was
    read, and ``applied`` the last commit applied from each ref, this one included.
    """

    hub_commit: str | None
    source_commit: str | None
    files: dict[str, bytes]
    ref: str = HUB_REF
    commit: str | None = None
    applied: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def branch_present(self) -> bool:
        """Whether the hub branch existed (an absent branch prescribes nothing)."""
        return self.hub_commit is not None

    @property
    def accepted(self) -> bool:
        """Whether the hub accepted the cluster (it publishes ``cluster.yaml`` only then)."""
        return "cluster.yaml" in self.files

    def cluster_spec(self) -> dict[str, Any]:
        """The accepted ManagedCluster's spec (empty when absent or damaged)."""
        body = yamlout.load_mapping(self.files.get("cluster.yaml"))
        spec = body.get("spec")
        return spec if isinstance(spec, dict) else {}

    def works(self) -> dict[str, tuple[dict[str, Any], str]]:
        """``{work name: (body, blob id of the hub file)}``."""
        out: dict[str, tuple[dict[str, Any], str]] = {}
        for path, data in sorted(self.files.items()):
            folder, _, name = path.partition("/")
            if folder == "manifestworks" and name.endswith(".yaml") and "/" not in name:
                out[name[: -len(".yaml")]] = (
                    yamlout.load_mapping(data),
                    objects.blob_id(data).hex(),
                )
        return out

    def policies(self) -> dict[str, dict[str, Any]]:
        """``{replicated name <ns>.<name>: replicated Policy}`` from ``policies/``."""
        out: dict[str, dict[str, Any]] = {}
        for path, data in sorted(self.files.items()):
            folder, _, name = path.partition("/")
            if folder == "policies" and name.endswith(".yaml") and "/" not in name:
                out[name[: -len(".yaml")]] = yamlout.load_mapping(data)
        return out


def fetch_tip(
    store: remote.Store, cluster: str, branch: str, extra_refspecs: tuple[str, ...] = ()
) -> refs.Tip:
    """Fetch the cluster's ref (and ``extra_refspecs``) and return its tip as fetched.

    When the remote has no such ref, fetch the hub branch instead and return its
    tip; a hub branch other than ``ocm/hub`` (``--hub-branch``) is always read
    itself, as the per-cluster refs are cut from ``ocm/hub``.
    """
    name = refs.branch_ref(branch)
    if name == HUB_REF:
        own = clusterrefs.ref_of(cluster)
        store.fetch((f"+{own}:{own}", *extra_refspecs), prune=True)
        tip = refs.read_tip(store.repo, own)
        if tip.id is not None:
            return tip
    store.fetch((f"+{name}:{name}", *extra_refspecs))
    return refs.read_tip(store.repo, name)


def read(
    store: remote.Store, tip: refs.Tip, cluster: str, known: Prescriptions | None = None
) -> Prescriptions:
    """Read only our subtree of ``tip`` (an absent branch prescribes nothing).

    ``known``: the prescriptions applied so far, whose ``applied`` is carried on.
    """
    applied = dict(known.applied) if known is not None else {}
    if tip.id is None:
        return Prescriptions(None, None, {}, tip.name, None, applied)
    trailers = message.parse_trailers(tip.message)
    files = reader.read_tree_files(store.repo, str(tip.id), f"clusters/{cluster}")
    hub_commit = tip.id
    if tip.name != HUB_REF:
        hub_commit = trailers.get(clusterrefs.HUB_TRAILER) or tip.id
    applied[tip.name] = tip.id
    source = trailers.get("Source-Commit")
    return Prescriptions(hub_commit, source, files, tip.name, tip.id, applied)


def tip_facts(
    store: remote.Store, tip: refs.Tip, last_applied: str | None, with_signers: bool
) -> hubtrust.Tip:
    """What the verdict on ``tip`` needs: its signature, payload, ancestry, allowed_signers.

    Reads nothing of the tip's prescriptions; its ``allowed_signers`` only when the
    pin has no key yet, and only within the parser's size limit. A malformed commit
    raises ``TrustError``.
    """
    commit = str(tip.id)
    parts = reader.signed_parts(store.repo, commit)
    text = _allowed_signers(store, tip) if with_signers else None
    descends = last_applied is None or reader.descends_from(store.repo, commit, last_applied)
    return hubtrust.Tip(commit, parts.signature, parts.payload, text, descends)


def _allowed_signers(store: remote.Store, tip: refs.Tip) -> str | None:
    """The tip's root ``allowed_signers`` (None when absent or over the size limit)."""
    if tip.tree is None:
        return None
    listing, _ = reader.untrusted_listing(store.repo, tip.tree, ROOT_ENTRIES, depth=1)
    for path, kind, blob, size in listing:
        if path == ALLOWED_SIGNERS and kind == "blob" and size <= signers.MAX_BYTES:
            return reader.read_blob(store.repo, blob).decode("utf-8", "replace")
    return None


def save(state: Path, prescriptions: Prescriptions) -> None:
    """Write the prescriptions to the state folder atomically."""
    state.mkdir(parents=True, exist_ok=True)
    data = {
        "hubCommit": prescriptions.hub_commit,
        "sourceCommit": prescriptions.source_commit,
        "ref": prescriptions.ref,
        "commit": prescriptions.commit,
        "applied": dict(sorted(prescriptions.applied.items())),
        "files": {p: d.decode("utf-8", "replace") for p, d in sorted(prescriptions.files.items())},
    }
    fd, tmp = tempfile.mkstemp(dir=state, prefix=".prescriptions-")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, sort_keys=True)
    os.replace(tmp, state / FILE)


def load(state: Path) -> Prescriptions | None:
    """Read the saved prescriptions (None when there are none or the file is damaged)."""
    try:
        data = json.loads((state / FILE).read_text())
        files = {str(p): str(t).encode() for p, t in (data.get("files") or {}).items()}
        hub_commit = data.get("hubCommit")
        ref = str(data.get("ref") or HUB_REF)
        commit = data.get("commit", hub_commit)  # a file written before per-cluster refs
        applied = {str(r): str(c) for r, c in (data.get("applied") or {}).items()}
        if commit and ref not in applied:
            applied[ref] = str(commit)
        return Prescriptions(hub_commit, data.get("sourceCommit"), files, ref, commit, applied)
    except (OSError, ValueError, AttributeError):
        return None
