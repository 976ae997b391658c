"""The agent's prescriptions: its own subtree of ``ocm/hub``, and their copy on local disk.

I/O. :func:`fetch` brings only the hub branch (and our report branch's remote
value) from the remote, and reads only ``clusters/<cluster>/`` of the hub
commit. The result is saved in the state folder (``prescriptions.json``,
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

from gitops_ocm.gitstore import message, objects, reader, refs, remote
from gitops_ocm.model import yamlout

FILE = "prescriptions.json"


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


def fetch(
    store: remote.Store,
    branch: str,
    cluster: str,
    extra_refspecs: tuple[str, ...] = (),
    known: Prescriptions | None = None,
) -> Prescriptions:
    """Fetch the hub branch and read only our subtree of its tip (``known`` if unchanged)."""
    name = refs.branch_ref(branch)
    store.fetch((f"+{name}:{name}", *extra_refspecs))
    tip = refs.read_tip(store.repo, name)
    if tip.id is None:
        return Prescriptions(None, None, {})
    if known is not None and known.hub_commit == tip.id:
        return known
    trailers = message.parse_trailers(tip.message)
    files = reader.read_tree_files(store.repo, str(tip.id), f"clusters/{cluster}")
    return Prescriptions(tip.id, trailers.get("Source-Commit"), files)


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
