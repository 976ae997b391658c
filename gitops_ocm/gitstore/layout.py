"""Publishing a tree made of many similar folders, hashing each distinct folder once.

I/O (through the writer). The hub tree has one folder per cluster, and most of
their content repeats: the same work for 5,000 clusters is one blob, and
clusters with the same policies have identical ``policies/`` folders. Building
such a tree path by path costs a Python step per file (a million of them at
fleet scale); here each folder is serialized once per distinct content and
named by id in its parent, so identical folders become one Git tree object.

A folder's entry may itself be a mapping (a sub-folder): the renderer gives
clusters with the same replicated policies one shared ``policies`` mapping,
and that object is hashed once however many clusters hold it, so the
per-file Python work is paid per distinct folder, not per cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from gitops_ocm import errors
from gitops_ocm.gitstore import objects, reader, refs, repository, writer

# A folder: relative paths to bytes, or names to sub-folders (shared mapping objects).
Folder = Mapping[str, "bytes | Folder"]


@dataclasses.dataclass
class _State:
    """Objects hashed during one publish: blob ids by identity, tree payloads by content."""

    blob_ids: dict[int, bytes] = dataclasses.field(default_factory=dict)
    blobs: dict[bytes, bytes] = dataclasses.field(default_factory=dict)
    trees: dict[bytes, bytes] = dataclasses.field(default_factory=dict)
    tree_ids: dict[bytes, bytes] = dataclasses.field(default_factory=dict)
    shared: dict[int, tuple[Folder, bytes]] = dataclasses.field(default_factory=dict)

    def blob(self, data: bytes) -> bytes:
        oid = self.blob_ids.get(id(data))
        if oid is None:
            oid = self.blob_ids[id(data)] = objects.blob_id(data)
            self.blobs[oid] = data
        return oid

    def folder(self, files: Folder) -> bytes:
        """Return the tree id of a folder holding ``files`` (relative paths or sub-folders)."""
        entries: dict[str, objects.Leaf | objects.Tree] = {}
        nested: dict[str, dict[str, bytes | Folder]] = {}
        for rel, data in files.items():
            if not isinstance(data, bytes):
                entries[rel] = objects.Leaf(objects.MODE_TREE, self.subfolder(data))
                continue
            head, sep, rest = rel.partition("/")
            if sep:
                nested.setdefault(head, {})[rest] = data
            else:
                entries[head] = objects.Leaf(objects.MODE_BLOB, self.blob(data))
        for name, sub in nested.items():
            entries[name] = objects.Leaf(objects.MODE_TREE, self.folder(sub))
        payload = objects.tree_payload(entries)
        oid = self.tree_ids.get(payload)
        if oid is None:
            oid = self.tree_ids[payload] = objects.object_id("tree", payload)
            self.trees[oid] = payload
        return oid

    def subfolder(self, files: Folder) -> bytes:
        """Return the tree id of a shared sub-folder, hashing each mapping object once."""
        known = self.shared.get(id(files))
        if known is None or known[0] is not files:
            known = self.shared[id(files)] = (files, self.folder(files))
        return known[1]


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A hashed tree ready to commit, with the tree id of each folder."""

    draft: writer._Draft
    folder_ids: dict[str, str]


def prepare(files: Mapping[str, bytes], folders: Mapping[str, Folder]) -> Prepared:
    """Hash a tree of ``files`` plus whole ``folders`` ({folder: {relative path: bytes}}).

    A value that is a mapping instead of bytes is a sub-folder; the same
    mapping object in many folders is hashed once.
    """
    state = _State()
    ids = {folder: state.folder(content) for folder, content in folders.items()}
    leaves = {
        path: objects.Leaf(objects.MODE_BLOB, state.blob(data)) for path, data in files.items()
    }
    for folder, oid in ids.items():
        leaves[folder] = objects.Leaf(objects.MODE_TREE, oid)
    root = objects.build(leaves)
    objects.hash_tree(root)
    draft = writer._Draft(root, state.blobs, state.trees)
    return Prepared(draft, {folder: oid.hex() for folder, oid in ids.items()})


def prepare_changes(
    repo: repository.Repository,
    base: str | None,
    files: Mapping[str, bytes | None],
    folders: Mapping[str, Folder | None],
) -> Prepared:
    """Hash the tree of commit ``base`` with some ``files`` and whole ``folders`` replaced.

    None deletes a file or folder. Only the given folders are hashed, and only
    the trees on their paths are read from the repository, so the cost follows
    the size of the change, not of the tree. ``folder_ids`` names the new folders.
    """
    state = _State()
    leaves: dict[str, objects.Leaf | None] = {}
    ids: dict[str, str] = {}
    for path, content in folders.items():
        if content is None:
            leaves[path] = None
            continue
        oid = state.folder(content)
        ids[path] = oid.hex()
        leaves[path] = objects.Leaf(objects.MODE_TREE, oid)
    for path, data in files.items():
        leaves[path] = None if data is None else objects.Leaf(objects.MODE_BLOB, state.blob(data))
    base_tree = None if base is None else bytes.fromhex(reader.tree_id(repo, base))
    root = objects.Tree() if base_tree is None else writer._load(repo, base_tree)
    objects.edit(root, leaves, lambda oid: writer._load(repo, oid))
    objects.hash_tree(root)
    return Prepared(writer._Draft(root, state.blobs, state.trees), ids)


def tree_id(prepared: Prepared) -> str:
    """Return the id of the prepared root tree."""
    return prepared.draft.root.oid.hex()


def commit(
    repo: repository.Repository,
    branch: str,
    prepared: Prepared,
    message: str,
    trailers: Mapping[str, str] | None = None,
    *,
    author: writer.Author = writer.DEFAULT_AUTHOR,
    expected: str | None = None,
) -> writer.PublishResult:
    """Commit a prepared tree on ``branch`` by compare-and-swap (no commit if unchanged).

    With ``expected``, the tip must still be that commit (the base of
    :func:`prepare_changes`); otherwise :class:`errors.RefConflict` is raised.
    """
    tip = refs.read_tip(repo, refs.branch_ref(branch))
    if expected is not None and tip.id != expected:
        raise errors.RefConflict(f"{branch} moved from {expected[:12]} to {str(tip.id)[:12]}")
    return writer._commit(repo, tip, prepared.draft, message, trailers, author)
