"""The file-tree protocol: which trees name their files by blob id."""

from __future__ import annotations

from gitops_ocm.hub import trees
from gitops_ocm.model import filetree, rendercache

FILES = {"a.yaml": b"a: 1\n", "b.yaml": b"b: 2\n"}
IDS = {"a.yaml": "blob-a", "b.yaml": "blob-b"}


def _lazy() -> trees.LazyFiles:
    by_id = {IDS[path]: data for path, data in FILES.items()}
    return trees.of_blobs(IDS, by_id.__getitem__)


def test_plain_mapping_has_no_blob_ids() -> None:
    """A dict of bytes is a file tree without blob ids."""
    assert filetree.blob_ids(dict(FILES)) is None


def test_lazy_files_give_their_blob_ids() -> None:
    """A lazily read Git tree is a BlobTree: its ids come without reading any file."""
    tree: filetree.BlobTree = _lazy()
    assert dict(filetree.blob_ids(tree) or {}) == IDS


def test_deferred_tree_gives_its_blob_ids() -> None:
    """A tree whose listing is put off gives the ids of the tree it lists."""
    tree: filetree.BlobTree = trees.Deferred(_lazy)
    assert dict(filetree.blob_ids(tree) or {}) == IDS


def test_file_key_names_content_by_blob_or_bytes() -> None:
    """Cache keys are blob ids for a BlobTree, the bytes otherwise, None when absent."""
    assert rendercache.file_key(_lazy(), "a.yaml") == ("blob", "blob-a")
    assert rendercache.file_key(dict(FILES), "a.yaml") == ("bytes", b"a: 1\n")
    assert rendercache.file_key(_lazy(), "missing.yaml") is None
