"""The agent's prescriptions: its own subtree of ``ocm/hub``, and their copy on local disk.

I/O. :func:`fetch_tip` brings only the hub branch (and our report branch's
remote value) from the remote; :func:`tip_facts` reads what the verdict on a
new tip needs (:mod:`.hubtrust`), and only a verified tip is :func:`read`, and
only ``clusters/<cluster>/`` of it. The result is saved in the state folder (``prescriptions.json``,
written atomically, only when the hub commit changed), so that while Git is
unreachable the agent keeps reconciling the last prescriptions it saw.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from gitops_ocm.agent import hubtrust
from gitops_ocm.gitstore import message, objects, reader, refs, remote
from gitops_ocm.model import yamlout
from gitops_ocm.trust import signers

FILE = "prescriptions.json"
ALLOWED_SIGNERS = "allowed_signers"
ROOT_ENTRIES = 1000


@dataclasses.dataclass(frozen=True)
class Prescriptions:
    """One cluster's hub files (paths relative to ``clusters/<cluster>/``) at a hub commit."""

    hub_commit: str | None
    source_commit: str | None
    files: dict[str, bytes]

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


def fetch_tip(store: remote.Store, branch: str, extra_refspecs: tuple[str, ...] = ()) -> refs.Tip:
    """Fetch the hub branch (and ``extra_refspecs``) and return its tip as fetched."""
    name = refs.branch_ref(branch)
    store.fetch((f"+{name}:{name}", *extra_refspecs))
    return refs.read_tip(store.repo, name)


def read(store: remote.Store, tip: refs.Tip, cluster: str) -> Prescriptions:
    """Read only our subtree of ``tip`` (an absent branch prescribes nothing)."""
    if tip.id is None:
        return Prescriptions(None, None, {})
    trailers = message.parse_trailers(tip.message)
    files = reader.read_tree_files(store.repo, str(tip.id), f"clusters/{cluster}")
    return Prescriptions(tip.id, trailers.get("Source-Commit"), files)


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
        return Prescriptions(data.get("hubCommit"), data.get("sourceCommit"), files)
    except (OSError, ValueError, AttributeError):
        return None
