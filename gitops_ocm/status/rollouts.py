"""The rollout state files of the hub tree, as the status fold reads them.

Pure. Render publishes ``rollouts/<namespace>/<name>.yaml`` on ``ocm/hub`` for
every ManifestWorkReplicaSet rolled out in steps
(:mod:`gitops_ocm.work.rolloutstate`); the fold copies each state's status,
without the stable template, into the set's file on ``ocm/status``. The hub
tree is read folder by folder (``rollouts/<namespace>/``, keyed by tree id),
so a pass whose state files did not move reads none of them.

The hub branch is not trusted more than it must be: a state file that is not
readable YAML (within the loader's limits), not of kind ``Rollout``, names
another set than its path, or has a phase that is not one of
:data:`rolloutstate.PHASES` counts as absent. No exception leaves :func:`read`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from gitops_ocm.model import yamlout
from gitops_ocm.status import hubindex
from gitops_ocm.work import rolloutstate

SetKey = tuple[str, str]


def listings(
    hub: Mapping[str, bytes], hub_blobs: Mapping[str, str] | None
) -> dict[str, hubindex.Listing]:
    """The hub tree's ``rollouts/<namespace>/`` folders, by namespace (for the one-shot fold)."""
    prefix = f"{rolloutstate.FOLDER}/"
    if hub_blobs is None:
        blobs = {p: hubindex.blob_id(hub[p]) for p in hub if p.startswith(prefix)}
    else:
        blobs = {p: b for p, b in hub_blobs.items() if p.startswith(prefix)}
    folders: dict[str, dict[str, str]] = {}
    for path, blob in blobs.items():
        parts = path.split("/")
        if len(parts) == 3:
            folders.setdefault(parts[1], {})[parts[2]] = blob
    return {ns: hubindex.listing(files) for ns, files in sorted(folders.items())}


def names(folder: hubindex.Listing) -> dict[str, str]:
    """A ``rollouts/<namespace>/`` folder's state files: set name -> blob id."""
    return {
        n[: -len(".yaml")]: b for n, b in folder.files.items() if n.endswith(".yaml") and n[:-5]
    }


def read(data: bytes, key: SetKey) -> rolloutstate.RolloutState | None:
    """The state in ``data``, the file of set ``key``; None when it is not a valid one.

    The stable revision's template is dropped (``ocm/status`` never shows it),
    so the fold keeps and compares no template.
    """
    body = yamlout.load_mapping(data)
    try:
        state = rolloutstate.RolloutState.from_body(body)
    except (ValueError, TypeError, AttributeError, RecursionError):
        return None
    if state is None or (state.namespace, state.name) != key:
        return None
    if state.phase not in rolloutstate.PHASES:
        return None
    if state.stable is not None and state.stable.template:
        state = dataclasses.replace(state, stable=rolloutstate.Stable(state.stable.revision, {}))
    return state


def total(state: rolloutstate.RolloutState, field: str) -> int:
    """The sum of one count (``updated``, ``total``, ``failed``, ...) over the placements."""
    return sum(int(getattr(p, field)) for p in state.placements)
