"""Git object ids and tree payloads computed in Python, and in-memory tree editing.

Pure: no I/O. The writer needs to know which blobs and trees of a desired tree
already exist before it writes anything, so it hashes them here exactly as Git
does (``sha1("<type> <len>\\0" + payload)``) and asks the object database only
about ids. A tree is a :class:`Tree` node whose entries are either further
nodes (folders being built or edited) or :class:`Leaf` references (a blob, or
a whole subtree taken unchanged by id, which is how grafting works).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from gitops_ocm import errors

MODE_BLOB = 0o100644
MODE_TREE = 0o040000

_FORBIDDEN = frozenset({"", ".", "..", ".git"})


@dataclasses.dataclass(frozen=True, slots=True)
class Leaf:
    """An entry taken by id: a blob (mode 100644) or a whole subtree (mode 40000)."""

    mode: int
    oid: bytes

    @property
    def is_tree(self) -> bool:
        """Whether this entry names a tree."""
        return self.mode == MODE_TREE


@dataclasses.dataclass(slots=True)
class Tree:
    """A folder being built: named entries, and its id and payload once hashed."""

    entries: dict[str, Leaf | Tree] = dataclasses.field(default_factory=dict)
    oid: bytes = b""
    payload: bytes = b""


Loader = Callable[[bytes], Tree]
"""Reads an existing tree by id into a :class:`Tree` whose entries are all leaves."""


def object_id(kind: str, payload: bytes) -> bytes:
    """Return the raw 20-byte id Git gives an object of ``kind`` with ``payload``."""
    digest = hashlib.sha1(b"%s %d\0" % (kind.encode(), len(payload)), usedforsecurity=False)
    digest.update(payload)
    return digest.digest()


def blob_id(data: bytes) -> bytes:
    """Return the raw id of a blob holding ``data``."""
    return object_id("blob", data)


def split_path(path: str) -> list[str]:
    """Split a repository path into its names, rejecting anything Git would not store."""
    parts = path.split("/")
    if not _FORBIDDEN.isdisjoint(parts) or "\0" in path:
        raise errors.InvalidInput(f"invalid path in tree: {path!r}")
    return parts


def check_no_prefix_clash(paths: Iterable[str]) -> None:
    """Reject path sets where one path is a folder of another (``a`` and ``a/b``)."""
    listed = set(paths)
    for path in listed:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in listed:
                raise errors.InvalidInput(f"path {folder!r} is both a file and a folder")


def _sort_key(item: tuple[str, Leaf | Tree]) -> bytes:
    name, entry = item
    is_tree = isinstance(entry, Tree) or entry.is_tree
    return name.encode() + (b"/" if is_tree else b"")


def tree_payload(entries: Mapping[str, Leaf | Tree]) -> bytes:
    """Serialise hashed entries in Git's tree order (folders sort as ``name/``)."""
    out = bytearray()
    for name, entry in sorted(entries.items(), key=_sort_key):
        mode = MODE_TREE if isinstance(entry, Tree) else entry.mode
        out += b"%o %s\0%s" % (mode, name.encode(), entry.oid)
    return bytes(out)


_ENTRY = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.DOTALL)


def parse_tree(payload: bytes) -> dict[str, Leaf]:
    """Return the entries of a raw Git tree object as leaves (the inverse of tree_payload)."""
    return {name.decode(): Leaf(int(mode, 8), oid) for mode, name, oid in _ENTRY.findall(payload)}


def hash_tree(tree: Tree) -> bytes:
    """Compute (bottom-up) the payload and id of ``tree`` and of every node below it."""
    for entry in tree.entries.values():
        if isinstance(entry, Tree):
            hash_tree(entry)
    tree.payload = tree_payload(tree.entries)
    tree.oid = object_id("tree", tree.payload)
    return tree.oid


def build(leaves: Mapping[str, Leaf]) -> Tree:
    """Nest a flat ``{path: leaf}`` mapping into folders (not yet hashed)."""
    root = Tree()
    for path, leaf in leaves.items():
        *folders, name = split_path(path)
        node = root
        for folder in folders:
            child = node.entries.setdefault(folder, Tree())
            if not isinstance(child, Tree):
                _clash(folder)
            node = child  # type: ignore[assignment]
        if name in node.entries:
            _clash(path)
        node.entries[name] = leaf
    return root


def _clash(path: str) -> None:
    raise errors.InvalidInput(f"path {path!r} is both a file and a folder")


def edit(root: Tree, changes: Mapping[str, Leaf | None], load: Loader) -> None:
    """Apply ``changes`` (None deletes a file or folder) to ``root``, loading folders on demand."""
    check_no_prefix_clash(path for path, leaf in changes.items() if leaf is not None)
    for path in sorted(changes, key=lambda p: (changes[p] is not None, p)):
        _edit_one(root, split_path(path), changes[path], load)


def _edit_one(node: Tree, parts: list[str], leaf: Leaf | None, load: Loader) -> bool:
    """Apply one change below ``node``; return True when ``node`` became empty."""
    name, rest = parts[0], parts[1:]
    if not rest:
        if leaf is None:
            node.entries.pop(name, None)
        else:
            node.entries[name] = leaf
        return not node.entries
    child = _open_folder(node, name, load, create=leaf is not None)
    if child is not None and _edit_one(child, rest, leaf, load):
        del node.entries[name]
    return not node.entries


def _open_folder(node: Tree, name: str, load: Loader, *, create: bool) -> Tree | None:
    """Return the editable folder ``name`` of ``node``, loading or creating it as needed."""
    entry = node.entries.get(name)
    if isinstance(entry, Tree):
        return entry
    if isinstance(entry, Leaf) and entry.is_tree:
        child = load(entry.oid)
    elif create:
        child = Tree()
    else:
        return None
    node.entries[name] = child
    return child


def walk_new(tree: Tree, exists: Callable[[bytes], bool]) -> Iterator[Tree]:
    """Yield the nodes of ``tree`` that ``exists`` does not know, children before parents."""
    if exists(tree.oid):
        return
    for entry in tree.entries.values():
        if isinstance(entry, Tree):
            yield from walk_new(entry, exists)
    yield tree


def new_blobs(tree: Tree) -> Iterator[bytes]:
    """Yield the blob ids named directly by ``tree`` (not by its sub-folders)."""
    for entry in tree.entries.values():
        if isinstance(entry, Leaf) and not entry.is_tree:
            yield entry.oid
