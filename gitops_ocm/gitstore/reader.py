"""Reading trees and blobs of any commit, without a checkout (bare repositories too).

I/O. Walks a commit's tree and yields its entries; blob content is read only when
asked for, so callers with a cache keyed by blob id never read unchanged files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping

import pygit2

from gitops_ocm import errors
from gitops_ocm.gitstore import objects, repository
from gitops_ocm.trust import commits, failure

_TREE = pygit2.enums.FileMode.TREE
_FILES = (0o100644, 0o100755)  # modes of a regular file (links and submodules are not read)
_LINK = pygit2.enums.FileMode.LINK


@dataclasses.dataclass(frozen=True)
class Entry:
    """One file of a tree: its path, blob id and whether it is a symlink."""

    path: str
    blob: str
    symlink: bool


def _resolve(git: pygit2.Repository, rev: str) -> pygit2.Commit:
    """Resolve a revision (branch, tag, sha, ``HEAD~1``) to a commit."""
    try:
        obj = git.revparse_single(rev)
        commit = obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise errors.NotFound(f"unknown revision {rev!r}") from exc
    return commit


@dataclasses.dataclass(frozen=True)
class CommitInfo:
    """A commit as callers outside the git store see it: ids, time and message as plain values."""

    id: str
    tree: str
    time: int
    message: str


def commit_info(repo: repository.Repository, rev: str) -> CommitInfo:
    """Resolve a revision (branch, tag, sha, ``HEAD~1``) to its commit's :class:`CommitInfo`."""
    commit = _resolve(repo._pygit2, rev)
    return CommitInfo(str(commit.id), str(commit.tree_id), commit.commit_time, str(commit.message))


def signed_parts(repo: repository.Repository, commit_id: str) -> commits.Parts:
    """Return a commit's SSH signature (None when unsigned) and the payload it signs.

    The commit may come from anyone (a report branch, a forged hub tip): its size
    is checked before it is read, and anything malformed raises ``TrustError``.
    """
    odb = repo._pygit2.odb
    try:
        kind, size = odb.read_header(commit_id)
        if kind != pygit2.enums.ObjectType.COMMIT:
            raise failure.TrustError(failure.COMMIT, f"{commit_id} is not a commit")
        if size > commits.MAX_BYTES:
            raise failure.TrustError(
                failure.COMMIT, f"a commit holds at most {commits.MAX_BYTES} bytes"
            )
        _kind, raw = odb.read(commit_id)
    except (KeyError, ValueError, pygit2.GitError) as exc:
        raise errors.NotFound(f"no commit {commit_id}: {exc}") from None
    return commits.split(raw)


def has_commit(repo: repository.Repository, commit_id: str) -> bool:
    """Whether the repository holds the commit ``commit_id``."""
    try:
        return isinstance(repo._pygit2[commit_id], pygit2.Commit)
    except (KeyError, ValueError):
        return False


def descends_from(repo: repository.Repository, commit_id: str, ancestor: str) -> bool:
    """Whether ``commit_id`` is ``ancestor`` or one of its descendants."""
    if commit_id == ancestor:
        return True
    try:
        return bool(repo._pygit2.descendant_of(commit_id, ancestor))
    except (KeyError, ValueError, pygit2.GitError):
        return False


def first_parents(repo: repository.Repository, commit_id: str, limit: int) -> list[str]:
    """The commit and its first-parent ancestors, newest first, at most ``limit`` of them."""
    out: list[str] = []
    git = repo._pygit2
    current: str | None = commit_id
    while current is not None and len(out) < limit:
        try:
            commit = git[current]
        except (KeyError, ValueError):
            break
        if not isinstance(commit, pygit2.Commit):
            break
        out.append(str(commit.id))
        current = str(commit.parent_ids[0]) if commit.parent_ids else None
    return out


def _walk(git: pygit2.Repository, tree: pygit2.Tree, prefix: str = "") -> Iterator[Entry]:
    """Yield every file of ``tree`` (recursively), in Git's name order."""
    for item in tree:
        name = item.name or ""
        path = f"{prefix}{name}"
        if item.filemode == _TREE:
            sub = git[item.id]
            assert isinstance(sub, pygit2.Tree)
            yield from _walk(git, sub, path + "/")
        elif item.type_str == "blob":
            yield Entry(path, str(item.id), item.filemode == _LINK)


def entries(repo: repository.Repository, tree_id: str) -> list[tuple[str, str, str]]:
    """Return one tree's entries as (name, object id, "tree" | "blob" | "link")."""
    tree = repo._pygit2[tree_id]
    assert isinstance(tree, pygit2.Tree)
    out: list[tuple[str, str, str]] = []
    for item in tree:
        if item.filemode == _TREE:
            kind = "tree"
        elif item.type_str != "blob":
            continue
        else:
            kind = "link" if item.filemode == _LINK else "blob"
        out.append((item.name or "", str(item.id), kind))
    return out


def read_blob(repo: repository.Repository, blob: str) -> bytes:
    """Return the content of a blob."""
    obj = repo._pygit2[blob]
    assert isinstance(obj, pygit2.Blob)
    return bytes(obj.data)


def read_path(repo: repository.Repository, rev: str, path: str) -> bytes | None:
    """Return the content of the file at ``path`` in ``rev``'s tree, or None if absent."""
    try:
        item = _tree_of(repo._pygit2, rev)[path]
    except KeyError:
        return None
    if item.type_str != "blob":
        return None
    return read_blob(repo, str(item.id))


def blob_at(repo: repository.Repository, rev: str, path: str) -> str | None:
    """Return the blob id of the file at ``path`` in ``rev``'s tree, or None if absent."""
    try:
        item = _tree_of(repo._pygit2, rev)[path]
    except KeyError:
        return None
    return str(item.id) if item.type_str == "blob" else None


class PathFiles(Mapping[str, bytes]):
    """A commit's files, each read when asked for by its path: for a few files of a big tree.

    The tree is resolved once; a lookup costs one path walk and, when found,
    one blob read. Iterating lists the whole tree (only tests and tools do).
    """

    def __init__(
        self,
        repo: repository.Repository,
        rev: str | None,
        trees: dict[bytes, dict[str, objects.Leaf]] | None = None,
    ) -> None:
        """``trees``: parsed trees by id, kept by the caller across commits (trees never change)."""
        self.repo = repo
        self._tree = None if rev is None else _tree_of(repo._pygit2, rev)
        self._trees = {} if trees is None else trees

    def blob(self, path: str) -> str | None:
        """Return the blob id at ``path``, None when there is no file there.

        Walks one name at a time through :func:`_entries_of`, which keeps the
        few big trees (``clusters/`` with 10,000 entries) parsed: a lookup by
        path through pygit2 would parse that folder again each time.
        """
        if self._tree is None:
            return None
        oid = self._tree.id.raw
        names = path.strip("/").split("/")
        for name in names[:-1]:
            leaf = self._entries(oid).get(name)
            if leaf is None or not leaf.is_tree:
                return None
            oid = leaf.oid
        leaf = self._entries(oid).get(names[-1])
        return None if leaf is None or leaf.mode not in _FILES else leaf.oid.hex()

    def _entries(self, oid: bytes) -> dict[str, objects.Leaf]:
        found = self._trees.get(oid)
        if found is None:
            if len(self._trees) >= _KEEP_SMALL:
                self._trees.clear()
            found = self._trees[oid] = _entries_of(self.repo._pygit2, oid)
        return found

    def __getitem__(self, path: str) -> bytes:
        blob = self.blob(path)
        if blob is None:
            raise KeyError(path)
        return read_blob(self.repo, blob)

    def __iter__(self) -> Iterator[str]:
        if self._tree is None:
            return iter(())
        return (entry.path for entry in _walk(self.repo._pygit2, self._tree))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.blob(path) is not None


@dataclasses.dataclass(frozen=True)
class LazyTree:
    """The files of a tree as ``{path: blob id}``; contents are read only when asked for."""

    repo: repository.Repository
    blobs: dict[str, str]

    def read(self, path: str) -> bytes:
        """Return the content of the file at ``path`` (KeyError if absent)."""
        return read_blob(self.repo, self.blobs[path])

    def read_all(self) -> dict[str, bytes]:
        """Return every file's content."""
        return {path: read_blob(self.repo, blob) for path, blob in self.blobs.items()}


def tree_id(repo: repository.Repository, rev: str) -> str:
    """Return the tree id of ``rev`` (branch, sha of a commit or a tree)."""
    return str(_tree_of(repo._pygit2, rev).id)


def _tree_of(git: pygit2.Repository, rev: str) -> pygit2.Tree:
    """Resolve ``rev`` (branch, sha of a commit or a tree) to a tree."""
    try:
        tree = git.revparse_single(rev).peel(pygit2.Tree)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise errors.NotFound(f"unknown revision {rev!r}") from exc
    assert isinstance(tree, pygit2.Tree)
    return tree


def _subtree(git: pygit2.Repository, tree: pygit2.Tree, prefix: str) -> pygit2.Tree | None:
    """Return the folder ``prefix`` of ``tree`` (the tree itself for ""), None if absent."""
    folder = prefix.strip("/")
    if not folder:
        return tree
    try:
        item = tree[folder]
    except KeyError:
        return None
    sub = git[item.id]
    return sub if isinstance(sub, pygit2.Tree) else None


def subtree_id(repo: repository.Repository, rev: str | None, path: str) -> str | None:
    """Return the id of the folder ``path`` at ``rev``, or None when either is absent."""
    if rev is None:
        return None
    git = repo._pygit2
    sub = _subtree(git, _tree_of(git, rev), path)
    return None if sub is None else str(sub.id)


def lazy_tree(repo: repository.Repository, rev: str, prefix: str = "") -> LazyTree:
    """Return the blob ids of ``rev``'s files under ``prefix``, by path relative to it."""
    git = repo._pygit2
    sub = _subtree(git, _tree_of(git, rev), prefix)
    blobs = {} if sub is None else {e.path: e.blob for e in _walk(git, sub)}
    return LazyTree(repo, blobs)


def read_tree_files(repo: repository.Repository, rev: str, prefix: str = "") -> dict[str, bytes]:
    """Return every file of ``rev`` under ``prefix`` (paths relative to it) with its content."""
    return lazy_tree(repo, rev, prefix).read_all()


def diff_paths(repo: repository.Repository, old: str | None, new: str | None) -> list[str]:
    """Return the sorted paths that differ between two trees (None is the empty tree)."""
    if old is None and new is None:
        return []
    git = repo._pygit2
    if old is None:
        assert new is not None
        diff = _tree_of(git, new).diff_to_tree(swap=True)
    elif new is None:
        diff = _tree_of(git, old).diff_to_tree()
    else:
        diff = _tree_of(git, old).diff_to_tree(_tree_of(git, new))
    paths = {d.old_file.path for d in diff.deltas} | {d.new_file.path for d in diff.deltas}
    return sorted(paths)


def per_folder(
    repo: repository.Repository,
    rev: str,
    parent: str,
    files: tuple[str, ...] = (),
    folders: tuple[str, ...] = (),
) -> dict[str, str]:
    """Return {path: blob id} of chosen files in every child folder of ``parent``.

    For each ``<parent>/<child>/``: the files named in ``files`` and everything
    below the subfolders named in ``folders``. Reads a handful of tree entries per
    child instead of walking whole folders (a hub folder can hold a million files).
    """
    git = repo._pygit2
    top = _subtree(git, _tree_of(git, rev), parent)
    out: dict[str, str] = {}
    if top is None:
        return out
    for child in top:
        if child.filemode != _TREE:
            continue
        sub = git[child.id]
        assert isinstance(sub, pygit2.Tree)
        base = f"{parent.strip('/')}/{child.name}/"
        for name in files:
            if name in sub:
                out[base + name] = str(sub[name].id)
        for name in folders:
            if name in sub and sub[name].filemode == _TREE:
                inner = git[sub[name].id]
                assert isinstance(inner, pygit2.Tree)
                for entry in _walk(git, inner, f"{base}{name}/"):
                    out[entry.path] = entry.blob
    return out


class PerFolder:
    """:func:`per_folder` kept across calls: each child folder is read once per tree id.

    A long-lived reader (the hub controller) asks for the same few files of
    10,000 cluster folders on every pass while only a few folders change; here
    an unchanged folder costs a dictionary lookup, and an unchanged parent
    returns the very same mapping (compare results with ``is`` to skip work).
    """

    def __init__(
        self,
        repo: repository.Repository,
        files: tuple[str, ...] = (),
        folders: tuple[str, ...] = (),
    ) -> None:
        self.repo, self.files, self.folders = repo, files, folders
        self._children: dict[bytes, list[tuple[str, str]]] = {}
        self._last: tuple[str, dict[str, str]] | None = None

    def read(self, rev: str | None, parent: str) -> dict[str, str]:
        """Return what :func:`per_folder` returns (do not mutate it: it is shared)."""
        git = self.repo._pygit2
        top = None if rev is None else _subtree(git, _tree_of(git, rev), parent)
        if top is None:
            return {}
        key = f"{parent}:{top.id}"
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        base = parent.strip("/")
        out: dict[str, str] = {}
        children: dict[bytes, list[tuple[str, str]]] = {}
        for name, leaf in _entries_of(git, top.id.raw).items():
            if not leaf.is_tree:
                continue
            found = self._children.get(leaf.oid)
            if found is None:
                found = self._child(leaf.oid)
            children[leaf.oid] = found
            prefix = f"{base}/{name}/"
            for rel, blob in found:
                out[prefix + rel] = blob
        self._children = children
        self._last = (key, out)
        return out

    def prime(self, folder: str, files: Mapping[str, bytes]) -> None:
        """Tell the reader what a folder we just wrote (tree id ``folder``) holds.

        ``files`` maps the folder's entries to their content; only the files
        this reader looks for are kept (``folders`` must then be empty).
        """
        if self.folders:
            return
        found = [(name, files.get(name)) for name in self.files]
        self._children[bytes.fromhex(folder)] = [
            (name, objects.blob_id(data).hex()) for name, data in found if isinstance(data, bytes)
        ]

    def _child(self, oid: bytes) -> list[tuple[str, str]]:
        git = self.repo._pygit2
        entries = _entries_of(git, oid)
        found: list[tuple[str, str]] = []
        for name in self.files:
            leaf = entries.get(name)
            if leaf is not None and not leaf.is_tree:
                found.append((name, leaf.oid.hex()))
        for name in self.folders:
            leaf = entries.get(name)
            if leaf is not None and leaf.is_tree:
                inner = git[pygit2.Oid(raw=leaf.oid)]
                assert isinstance(inner, pygit2.Tree)
                found.extend((f"{name}/{e.path}", e.blob) for e in _walk(git, inner, ""))
        return found


_BIG_TREES: dict[bytes, dict[str, objects.Leaf]] = {}
_BIG = 1000  # entries; smaller trees are parsed again, bigger ones kept (a few, by id)
_KEEP = 8
_KEEP_SMALL = 200_000  # parsed trees a PathFiles caller keeps before starting afresh


def _entries_of(git: pygit2.Repository, oid: bytes) -> dict[str, objects.Leaf]:
    """Return a tree's entries by name, parsed from the raw object (no per-entry objects).

    The result is shared: do not mutate it. Trees are named by their content, so
    the few big ones (the 10,000-entry ``clusters/`` of a hub tree, read several
    times a pass) are kept by id whatever repository they came from.
    """
    found = _BIG_TREES.get(oid)
    if found is not None:
        return found
    _kind, payload = git.odb.read(pygit2.Oid(raw=oid))
    entries = objects.parse_tree(payload)
    if len(entries) >= _BIG:
        if len(_BIG_TREES) >= _KEEP:
            del _BIG_TREES[next(iter(_BIG_TREES))]
        _BIG_TREES[oid] = entries
    return entries


def tree_entries(repo: repository.Repository, oid: bytes) -> dict[str, objects.Leaf]:
    """Return the entries of tree ``oid`` by name (shared: copy before changing it)."""
    return _entries_of(repo._pygit2, oid)


def folder_ids(repo: repository.Repository, rev: str | None, parent: str) -> dict[str, str]:
    """Return {child folder path: tree id} for the child folders of ``parent`` at ``rev``."""
    if rev is None:
        return {}
    git = repo._pygit2
    top = _subtree(git, _tree_of(git, rev), parent)
    if top is None:
        return {}
    base = parent.strip("/")
    entries = _entries_of(git, top.id.raw)
    return {f"{base}/{name}": leaf.oid.hex() for name, leaf in entries.items() if leaf.is_tree}


def count_changes(repo: repository.Repository, old: str | None, new: str | None) -> int:
    """Return how many files differ between two trees (None: empty), without reading blobs."""
    if old is None and new is None:
        return 0
    git = repo._pygit2
    if old is None or new is None:
        return len(_tree_of(git, str(old or new)).diff_to_tree(swap=old is None))
    return len(_tree_of(git, old).diff_to_tree(_tree_of(git, new)))


@dataclasses.dataclass(frozen=True)
class BranchTip:
    """A branch's tip: its commit, the commit's tree and its commit time."""

    commit: str
    tree: str
    time: int


def branch_tips(repo: repository.Repository, prefix: str) -> dict[str, BranchTip]:
    """Return the tips of the branches below ``refs/heads/<prefix>``, by the rest of the name."""
    base = f"refs/heads/{prefix.rstrip('/')}/"
    out: dict[str, BranchTip] = {}
    git = repo._pygit2
    for name in git.references:
        if not name.startswith(base):
            continue
        commit = git.references[name].peel(pygit2.Commit)
        out[name[len(base) :]] = BranchTip(str(commit.id), str(commit.tree_id), commit.commit_time)
    return out


class TreeWalker:
    """Lists {path: blob id} of trees, reusing the listing of every unchanged subtree.

    Keyed by tree id, so after a commit that changed a few folders only those
    folders are listed again. Keeps the listings of the last walk only.
    """

    def __init__(self, repo: repository.Repository) -> None:
        self.repo = repo
        self._known: dict[str, dict[str, str]] = {}
        self._used: dict[str, dict[str, str]] = {}

    def files(self, tree_id: str, prefix: str = "") -> dict[str, str]:
        """Return {path: blob id} of every file below the folder ``prefix`` of ``tree_id``."""
        self._used = {}
        git = self.repo._pygit2
        top = _subtree(git, _tree_of(git, tree_id), prefix)
        out = {} if top is None else self._listing(str(top.id))
        self._known = self._used
        return out

    def _listing(self, tree_id: str) -> dict[str, str]:
        known = self._known.get(tree_id) or self._used.get(tree_id)
        if known is None:
            known = {}
            tree = self.repo._pygit2[tree_id]
            assert isinstance(tree, pygit2.Tree)
            for item in tree:
                name = item.name or ""
                if item.filemode == _TREE:
                    for path, blob in self._listing(str(item.id)).items():
                        known[f"{name}/{path}"] = blob
                elif item.type_str == "blob":
                    known[name] = str(item.id)
        self._used[tree_id] = known
        return known


def branch_targets(repo: repository.Repository, prefix: str) -> dict[str, str]:
    """Return the commit ids the branches below ``refs/heads/<prefix>`` point at, by name.

    Reads only the references (no commit), so a caller that remembers
    :func:`branch_tip` by commit id reads just the tips that moved.
    """
    return ref_targets(repo, f"refs/heads/{prefix.rstrip('/')}/")


def ref_targets(repo: repository.Repository, base: str) -> dict[str, str]:
    """Return the commit ids the refs below ``base`` (a full prefix ending in ``/``) point at."""
    out: dict[str, str] = {}
    for ref in repo._pygit2.references.iterator():
        name = ref.name
        if name.startswith(base):
            target = ref.target
            out[name[len(base) :]] = (
                str(target) if isinstance(target, pygit2.Oid) else str(ref.resolve().target)
            )
    return out


def branch_tip(repo: repository.Repository, commit_id: str) -> BranchTip:
    """Return the :class:`BranchTip` of a commit (its tree and commit time)."""
    commit = repo._pygit2[commit_id].peel(pygit2.Commit)
    return BranchTip(str(commit.id), str(commit.tree_id), commit.commit_time)


_KINDS = {
    pygit2.enums.FileMode.TREE: "tree",
    pygit2.enums.FileMode.BLOB: "blob",
    pygit2.enums.FileMode.BLOB_EXECUTABLE: "blob",
    pygit2.enums.FileMode.LINK: "link",
    pygit2.enums.FileMode.COMMIT: "commit",
}


def untrusted_listing(
    repo: repository.Repository, tree_id: str, limit: int, depth: int = 3
) -> tuple[list[tuple[str, str, str, int]], bool]:
    """List a tree someone else wrote: (path, kind, object id, size) of each entry.

    Bounded: at most ``limit`` entries (True in the result when there were
    more) and ``depth`` levels; blob sizes come from the object headers, so a
    huge blob is never read. Names are decoded leniently (undecodable bytes
    escaped), never trusted: the caller checks them. Kinds are "tree", "blob",
    "link" (symlink), "commit" (submodule) or "other".
    """
    git = repo._pygit2
    out: list[tuple[str, str, str, int]] = []
    pending = [("", tree_id, 1)]
    while pending:
        prefix, folder, level = pending.pop()
        tree = git.get(folder)
        if not isinstance(tree, pygit2.Tree):
            continue
        for item in tree:
            if len(out) >= limit:
                return out, True
            name = (item.raw_name or b"").decode("utf-8", errors="backslashreplace")
            kind = _KINDS.get(item.filemode, "other")
            size = 0
            if kind == "blob":
                try:
                    size = git.odb.read_header(item.id)[1]
                except (KeyError, ValueError, pygit2.GitError):
                    kind = "other"
            out.append((prefix + name, kind, str(item.id), size))
            if kind == "tree" and level < depth:
                pending.append((f"{prefix}{name}/", str(item.id), level + 1))
    return out, False
