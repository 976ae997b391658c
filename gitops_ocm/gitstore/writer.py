"""Publishing trees as commits on a branch: the hub store, report and status branches.

I/O. Each publish reads the branch tip, computes the new tree's ids in Python
(:mod:`.objects`), writes only the blobs and trees the object database lacks
(loose, or one pack when there are many), makes one commit and moves the branch
by compare-and-swap (:mod:`.refs`). Nothing is written when the tree equals the
tip's. A process killed at any moment leaves the branch on a complete commit:
objects are written before the commit, and the ref moves last, atomically.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping

import pygit2

from gitops_ocm import errors, retry
from gitops_ocm.gitstore import message as commit_message
from gitops_ocm.gitstore import objects, pack, reader, refs, repository
from gitops_ocm.trust import sshsig

PACK_THRESHOLD = 512
"""Above this many new objects, one pack is written instead of loose files."""
PACK_BYTES = 4 << 20
"""Above this many bytes of new blobs, too (each loose file costs a slow zlib call)."""


@dataclasses.dataclass(frozen=True)
class Author:
    """Who writes and signs the commits.

    ``when`` (epoch seconds, UTC) fixes the time for tests. With a ``signer`` every
    commit carries its SSH signature in a ``gpgsig`` header, as ``git commit -S``
    with ``gpg.format=ssh`` writes it, so stock ``git verify-commit`` checks it.
    """

    name: str = "gitops-ocm"
    email: str = "gitops-ocm@localhost"
    when: int | None = None
    signer: sshsig.Signer | None = dataclasses.field(default=None, compare=False)


DEFAULT_AUTHOR = Author()


@dataclasses.dataclass(frozen=True)
class PublishResult:
    """The branch after a publish (commit, tree), its tip before, and whether it moved."""

    commit: str
    tree: str
    previous: str | None
    created: bool


@dataclasses.dataclass(frozen=True)
class _Draft:
    """A tree ready to commit: its root node, the contents of its new blobs, and subtrees
    already hashed elsewhere (``{tree id: payload}``) that the root names as leaves."""

    root: objects.Tree
    blobs: dict[bytes, bytes]
    trees: dict[bytes, bytes] = dataclasses.field(default_factory=dict)


def publish_tree(
    repo: repository.Repository,
    branch: str,
    files: Mapping[str, bytes],
    message: str,
    trailers: Mapping[str, str] | None = None,
    *,
    author: Author = Author(),
) -> PublishResult:
    """Commit a tree holding exactly ``files`` on ``branch`` (created if absent)."""
    tip = refs.read_tip(repo, refs.branch_ref(branch))
    draft = _draft_files(files, {})
    return _commit(repo, tip, draft, message, trailers, author)


def publish_changes(
    repo: repository.Repository,
    branch: str,
    changes: Mapping[str, bytes | None],
    message: str,
    trailers: Mapping[str, str] | None = None,
    *,
    author: Author = Author(),
) -> PublishResult:
    """Commit the tip's tree with ``changes`` applied (None deletes a file or folder)."""
    tip = refs.read_tip(repo, refs.branch_ref(branch))
    blobs = {objects.blob_id(data): data for data in changes.values() if data is not None}
    leaves = {path: _blob_leaf(data) for path, data in changes.items()}
    root = objects.Tree() if tip.tree is None else _load(repo, bytes.fromhex(tip.tree))
    objects.edit(root, leaves, lambda oid: _load(repo, oid))
    return _commit(repo, tip, _Draft(root, blobs), message, trailers, author)


def graft(
    repo: repository.Repository,
    branch: str,
    subtrees: Mapping[str, str],
    files: Mapping[str, bytes],
    message: str,
    trailers: Mapping[str, str] | None = None,
    *,
    author: Author = Author(),
    known: dict[str, tuple[bytes, bytes]] | None = None,
) -> PublishResult:
    """Commit a tree of existing trees (``{folder: tree id}``, taken whole) plus ``files``.

    A caller that publishes often passes the same ``known`` dict each time and
    keeps unchanged contents as the same objects: only changed files are hashed
    (see :func:`_draft_files`).
    """
    tip = refs.read_tip(repo, refs.branch_ref(branch))
    grafts = {folder.strip("/"): _tree_leaf(repo, tree) for folder, tree in subtrees.items()}
    draft = _draft_files(files, grafts, known)
    return _commit(repo, tip, draft, message, trailers, author)


def publish_with_retry(
    repo: repository.Repository,
    branch: str,
    desired: Mapping[str, bytes] | Callable[[reader.LazyTree | None], Mapping[str, bytes]],
    message: str,
    trailers: Mapping[str, str] | None = None,
    *,
    author: Author = Author(),
    attempts: int = 20,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishResult:
    """:func:`publish_tree`, re-reading the tip and retrying (with back-off) on RefConflict.

    ``desired`` is the full tree, or a function of the tip's files (None for an
    absent branch) that recomputes it on each attempt.
    """

    name = refs.branch_ref(branch)

    def attempt() -> PublishResult:
        tip = refs.read_tip(repo, name)  # the same tip feeds the computation and the swap
        if isinstance(desired, Mapping):
            files = desired
        else:
            files = desired(None if tip.id is None else reader.lazy_tree(repo, tip.id))
        return _commit(repo, tip, _draft_files(files, {}), message, trailers, author)

    return retry.retry(
        attempt,
        attempts=attempts,
        base=0.002,
        cap=0.25,
        retry_on=(errors.RefConflict,),
        sleep=sleep,
    )


def restore(
    repo: repository.Repository,
    tip: refs.Tip,
    tree: str,
    message: str,
    *,
    author: Author = Author(),
) -> PublishResult:
    """Commit the existing tree ``tree`` on top of ``tip`` (even when the trees are equal).

    For a writer that finds its branch's tip written by someone else: the branch
    moves forward (never force-updated) to a commit of the writer's own, holding
    the content it last published.
    """
    if tip.id is None:
        raise errors.InvalidInput(f"{tip.name} is absent: nothing to restore onto")
    new = _create_commit(repo, tip, author, message, tree)
    refs.swap(repo, tip, new, f"gitops-ocm: {message.splitlines()[0]}")
    return PublishResult(new, tree, tip.id, True)


def commit_tree(
    repo: repository.Repository,
    tip: refs.Tip,
    tree: str,
    message: str,
    trailers: Mapping[str, str] | None = None,
    *,
    author: Author = Author(),
    also: str | None = None,
) -> PublishResult:
    """Commit the existing tree ``tree`` on ``tip`` by compare-and-swap (no commit if equal).

    ``also``: a second parent (a commit this writer made), so that a commit on
    top of a tip written by someone else still descends from the writer's own.
    """
    if tip.id is not None and tip.tree == tree and also is None:
        return PublishResult(tip.id, tree, tip.id, False)
    text = commit_message.format_message(message, trailers)
    new = _create_commit(repo, tip, author, text, tree, also)
    refs.swap(repo, tip, new, f"gitops-ocm: {text.splitlines()[0]}")
    return PublishResult(new, tree, tip.id, True)


def tip_files(repo: repository.Repository, branch: str) -> reader.LazyTree | None:
    """Return the files of ``branch``'s tip lazily, or None when the branch is absent.

    For reading only: a tree computed from these files and then given to
    :func:`publish_tree` may land on a newer tip. Use :func:`publish_with_retry`
    with a function, which computes and swaps against the same tip.
    """
    tip = refs.read_tip(repo, refs.branch_ref(branch))
    return None if tip.id is None else reader.lazy_tree(repo, tip.id)


def _blob_leaf(data: bytes | None) -> objects.Leaf | None:
    return None if data is None else objects.Leaf(objects.MODE_BLOB, objects.blob_id(data))


def _tree_leaf(repo: repository.Repository, tree: str) -> objects.Leaf:
    """A graft entry, after checking that ``tree`` is a tree the repository has."""
    try:
        obj = repo._pygit2[tree]
    except (KeyError, ValueError) as exc:
        raise errors.InvalidInput(f"graft source {tree!r} is not in the repository") from exc
    if not isinstance(obj, pygit2.Tree):
        raise errors.InvalidInput(f"graft source {tree!r} is not a tree")
    return objects.Leaf(objects.MODE_TREE, obj.id.raw)


def _draft_files(
    files: Mapping[str, bytes],
    grafts: dict[str, objects.Leaf],
    known: dict[str, tuple[bytes, bytes]] | None = None,
) -> _Draft:
    """Hash ``files`` (each once) and nest them with ``grafts`` into a whole new tree.

    ``known`` maps a path to (content, raw blob id) from the caller's previous
    draft; a file whose content is that very object keeps its id. It is then
    replaced by this draft's files.
    """
    ids: dict[str, tuple[bytes, bytes]] = {}
    blobs: dict[bytes, bytes] = {}
    leaves: dict[str, objects.Leaf] = {}
    for path, data in files.items():
        found = known.get(path) if known is not None else None
        oid = found[1] if found is not None and found[0] is data else objects.blob_id(data)
        ids[path] = (data, oid)
        blobs[oid] = data
        leaves[path] = objects.Leaf(objects.MODE_BLOB, oid)
    clash = leaves.keys() & grafts.keys()
    if clash:
        raise errors.InvalidInput(f"paths given both as files and as grafts: {sorted(clash)}")
    if known is not None:
        known.clear()
        known.update(ids)
    return _Draft(objects.build({**leaves, **grafts}), blobs)


def _load(repo: repository.Repository, oid: bytes) -> objects.Tree:
    """Read an existing tree into an editable node whose entries are leaves."""
    entries: dict[str, objects.Leaf | objects.Tree] = {**reader.tree_entries(repo, oid)}
    return objects.Tree(entries, oid, b"")


def _commit(
    repo: repository.Repository,
    tip: refs.Tip,
    draft: _Draft,
    message: str,
    trailers: Mapping[str, str] | None,
    author: Author,
) -> PublishResult:
    """Write what is new, commit it on the tip and swap the ref; no-op if the tree is equal."""
    text = commit_message.format_message(message, trailers)
    tree = objects.hash_tree(draft.root)
    if tip.id is not None and tip.tree == tree.hex():
        return PublishResult(tip.id, tip.tree, tip.id, False)
    _write_new(repo, draft)
    new = _create_commit(repo, tip, author, text, tree.hex())
    refs.swap(repo, tip, new, f"gitops-ocm: {text.splitlines()[0]}")
    return PublishResult(new, tree.hex(), tip.id, True)


def _create_commit(
    repo: repository.Repository,
    tip: refs.Tip,
    author: Author,
    text: str,
    tree: str,
    also: str | None = None,
) -> str:
    """Write the commit of ``tree`` on ``tip`` and ``also`` (signed when the author signs)."""
    sig = _signature(author)
    parents: list[str | pygit2.Oid] = [] if tip.id is None else [pygit2.Oid(hex=tip.id)]
    if also is not None and also != tip.id:
        parents.append(pygit2.Oid(hex=also))
    raw = repo._pygit2
    try:
        tree_oid = pygit2.Oid(hex=tree)
        if author.signer is None:
            return str(raw.create_commit(None, sig, sig, text, tree_oid, parents))
        # pygit2's stubs say Oid; the call returns the commit's text.
        content = str(raw.create_commit_string(sig, sig, text, tree_oid, parents))
        armored = author.signer.sign(content.encode("utf-8"))
        # Without its final newline libgit2 writes the header exactly as git does.
        return str(raw.create_commit_with_signature(content, armored.rstrip("\n"), "gpgsig"))
    except (pygit2.GitError, ValueError) as exc:
        raise errors.Transient(f"cannot write commit on {tip.name}: {exc}") from exc


def _signature(author: Author) -> pygit2.Signature:
    if author.when is None:
        return pygit2.Signature(author.name, author.email)
    return pygit2.Signature(author.name, author.email, author.when, 0)


def _write_new(repo: repository.Repository, draft: _Draft) -> None:
    """Write the trees the repository lacks and their new blobs, loose or as one pack."""
    odb = repo._pygit2.odb

    def exists(oid: bytes) -> bool:
        return bool(odb.exists(pygit2.Oid(raw=oid)))

    trees = {node.oid: node.payload for node in objects.walk_new(draft.root, exists)}
    blobs = {
        oid: draft.blobs[oid]
        for payload_node in objects.walk_new(draft.root, lambda oid: oid not in trees)
        for oid in objects.new_blobs(payload_node)
        if oid in draft.blobs
    }
    if draft.trees:
        trees.update((oid, p) for oid, p in draft.trees.items() if not exists(oid))
        blobs.update((oid, d) for oid, d in draft.blobs.items() if oid not in blobs)
    blobs = {oid: data for oid, data in blobs.items() if not exists(oid)}
    size = sum(map(len, blobs.values()))
    if len(trees) + len(blobs) > PACK_THRESHOLD or size > PACK_BYTES:
        items = [(pack.BLOB, data, oid) for oid, data in blobs.items()]
        pack.write(repo.path, items + [(pack.TREE, p, oid) for oid, p in trees.items()])
        return
    _write_loose(odb, blobs, trees)


def _write_loose(
    odb: pygit2.Odb,
    blobs: dict[bytes, bytes],
    trees: dict[bytes, bytes],
) -> None:
    """Write each new object as a loose file (blobs first, then trees)."""
    try:
        for data in blobs.values():
            odb.write(pygit2.enums.ObjectType.BLOB, data)
        for payload in trees.values():
            odb.write(pygit2.enums.ObjectType.TREE, payload)
    except pygit2.GitError as exc:
        raise errors.Transient(f"cannot write objects: {exc}") from exc
