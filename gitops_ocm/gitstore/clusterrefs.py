"""One ref per cluster: ``refs/ocm/hub/<cluster>``, a commit holding only that cluster's folder.

I/O. The controller cuts, from each ``ocm/hub`` commit, one commit per accepted
cluster whose tree is ``allowed_signers`` (the hub tree's, so an agent pins and
rotates the hub key exactly as from ``ocm/hub``) and ``clusters/<cluster>/``
(the very tree object of ``ocm/hub``'s folder). Only two small trees are new
per cluster: the ``clusters`` folder holding one entry and the root. The refs
live outside ``refs/heads`` so that Git hosts do not list 10,000 of them as
branches; an agent fetches its own with an explicit refspec
(docs/gitstore.md, "One ref per cluster").
"""

from __future__ import annotations

import dataclasses
import os

import pygit2

from gitops_ocm import errors
from gitops_ocm.gitstore import objects, reader, repository

PREFIX = "refs/ocm/hub/"
REFSPEC = f"+{PREFIX}*:{PREFIX}*"
SIGNERS = "allowed_signers"
HUB_TRAILER = "Hub-Commit"


def ref_of(cluster: str) -> str:
    """Return the ref of ``cluster``'s prescriptions."""
    return PREFIX + cluster


def cluster_of(ref: str) -> str | None:
    """Return the cluster a per-cluster ref serves (None: not one, or nested)."""
    if not ref.startswith(PREFIX):
        return None
    name = ref[len(PREFIX) :]
    return name if name and "/" not in name else None


@dataclasses.dataclass(frozen=True)
class Content:
    """What a per-cluster commit holds: its folder's tree id and ``allowed_signers``' blob id."""

    folder: str
    signers: str | None


def targets(repo: repository.Repository) -> dict[str, str]:
    """Return ``{cluster: commit id}`` of the per-cluster refs (references only, no commit)."""
    return {c: t for c, t in reader.ref_targets(repo, PREFIX).items() if c and "/" not in c}


def stamp(repo: repository.Repository) -> tuple[int | None, ...]:
    """What changes whenever a per-cluster ref is written or deleted, read in two ``stat`` calls.

    A loose ref is written by creating a lock file and renaming it in
    ``refs/ocm/hub/``, which changes that folder's modification time; a packed
    one changes ``packed-refs``. Equal stamps: no ref below the prefix moved.
    """
    found: list[int | None] = []
    for path in (os.path.join(repo.path, PREFIX), os.path.join(repo.path, "packed-refs")):
        try:
            info = os.stat(path)
        except OSError:
            found += [None, None]
            continue
        found += [info.st_mtime_ns, info.st_size if path.endswith("packed-refs") else info.st_ino]
    return tuple(found)


def content_of(repo: repository.Repository, commit: str, cluster: str) -> Content | None:
    """Return what ``commit`` holds for ``cluster`` (None: not a per-cluster commit of it)."""
    try:
        root = reader.tree_entries(repo, bytes.fromhex(reader.tree_id(repo, commit)))
        clusters = root.get("clusters")
        if clusters is None or not clusters.is_tree:
            return None
        folder = reader.tree_entries(repo, clusters.oid).get(cluster)
    except (KeyError, ValueError, errors.GitopsOcmError):
        return None
    if folder is None or not folder.is_tree:
        return None
    signers = root.get(SIGNERS)
    blob = signers.oid.hex() if signers is not None and not signers.is_tree else None
    return Content(folder.oid.hex(), blob)


def write_tree(repo: repository.Repository, cluster: str, content: Content) -> str:
    """Write (when absent) the root tree of ``cluster``'s commit holding ``content``; its id."""
    folder = objects.tree_payload(
        {cluster: objects.Leaf(objects.MODE_TREE, bytes.fromhex(content.folder))}
    )
    folder_id = objects.object_id("tree", folder)
    entries: dict[str, objects.Leaf | objects.Tree] = {
        "clusters": objects.Leaf(objects.MODE_TREE, folder_id)
    }
    if content.signers is not None:
        entries[SIGNERS] = objects.Leaf(objects.MODE_BLOB, bytes.fromhex(content.signers))
    root = objects.tree_payload(entries)
    root_id = objects.object_id("tree", root)
    odb = repo._pygit2.odb
    try:
        for oid, payload in ((folder_id, folder), (root_id, root)):
            if not odb.exists(pygit2.Oid(raw=oid)):
                odb.write(pygit2.enums.ObjectType.TREE, payload)
    except pygit2.GitError as exc:
        raise errors.Transient(f"cannot write the tree of {ref_of(cluster)}: {exc}") from exc
    return root_id.hex()
