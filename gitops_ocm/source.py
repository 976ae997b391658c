"""Loading a desired state from a directory or from any commit of a Git repository.

I/O shell. Lists the candidate files (see :mod:`gitops_ocm.model.repoconfig`),
parses each through a cache keyed by (path, Git blob id) so that an unchanged
file is never parsed twice, and builds a :class:`~gitops_ocm.model.snapshot.Snapshot`.
Symlinks are never followed: one that leaves the repository is an error (S109),
one that stays inside is reported as a warning and skipped (its target is loaded
in its own right).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from gitops_ocm import collector
from gitops_ocm.gitstore import reader, repository
from gitops_ocm.model import repoconfig, snapshot, yamlfile
from gitops_ocm.problems import Problem, Severity


class ParseCache:
    """Parsed files by (path, blob id); counts parses so tests can see hits."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], yamlfile.ParsedFile] = {}
        self._stats: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self.folders: dict[FolderKey, Listing] = {}
        self.subfolders: dict[FolderKey, tuple[FolderKey, ...]] = {}
        self.parses = 0

    def parse_file(self, path: str, entry: os.DirEntry[str]) -> yamlfile.ParsedFile:
        """Parse a working-tree file, skipping the read when its stat is unchanged.

        Like Git's index: (inode, size, mtime, ctime) unchanged means the blob id
        we computed last time still holds.
        """
        info = entry.stat(follow_symlinks=False)
        key = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        known = self._stats.get(path)
        if known is not None and known[0] == key:
            cached = self._files.get((path, known[1]))
            if cached is not None:
                return cached
        with open(entry.path, "rb") as handle:
            parsed = self.parse(path, handle.read())
        self._stats[path] = (key, parsed.blob)
        return parsed

    def get(self, path: str, blob: str) -> yamlfile.ParsedFile | None:
        """Return the cached parse of this path at this blob, if any."""
        return self._files.get((path, blob))

    def parse(self, path: str, data: bytes, blob: str | None = None) -> yamlfile.ParsedFile:
        """Parse (or return the cached parse of) a file's content."""
        blob = blob or yamlfile.blob_id(data)
        cached = self._files.get((path, blob))
        if cached is not None:
            return cached
        self.parses += 1
        parsed = yamlfile.parse(path, data, blob)
        self._files[(path, blob)] = parsed
        return parsed

    def retain(self, keys: set[tuple[str, str]]) -> None:
        """Forget every entry not in ``keys`` (bounded memory across commits)."""
        for key in list(self._files):
            if key not in keys:
                del self._files[key]


def _symlink_problem(path: str, target: str, inside: bool) -> Problem:
    if inside:
        return Problem(
            path, 1, 1, "S109", "", "symlink not followed", got=target, severity=Severity.WARNING
        )
    return Problem(path, 1, 1, "S109", "", "symlink leaves the repository", got=target)


def load_directory(
    root: str | os.PathLike[str], cache: ParseCache | None = None
) -> snapshot.Snapshot:
    """Load the desired state of a working tree."""
    cache = cache or ParseCache()
    base = Path(root).resolve()
    config_path = base / repoconfig.CONFIG_FILE
    config_data = config_path.read_bytes() if config_path.is_file() else None
    config, found = repoconfig.parse_config(config_data)
    files: list[yamlfile.ParsedFile] = []
    with collector.paused():
        _load_entries(base, config, cache, files, found)
        return snapshot.build(files, found, revision=str(base), config=config)


def _load_entries(
    base: Path,
    config: repoconfig.RepoConfig,
    cache: ParseCache,
    files: list[yamlfile.ParsedFile],
    found: list[Problem],
) -> None:
    """Parse the candidate files of a working tree into ``files``, problems into ``found``."""
    for path, entry in _walk_directory(str(base), ""):
        if entry.is_symlink():
            is_yaml = repoconfig.is_candidate(path)
            if (is_yaml or entry.is_dir()) and not config.excluded(path):
                inside = Path(os.path.realpath(entry.path)).is_relative_to(base)
                found.append(_symlink_problem(path, os.readlink(entry.path), inside))
            continue
        if not repoconfig.is_candidate(path) or config.excluded(path):
            continue
        trick = repoconfig.path_problem(path)
        if trick is not None:
            found.append(trick)
            continue
        try:
            files.append(cache.parse_file(path, entry))
        except OSError as exc:
            found.append(Problem(path, 1, 1, "S109", "", f"cannot read file: {exc.strerror}"))


def _walk_directory(folder: str, prefix: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Yield (relative path, entry) for files and symlinks below ``folder``.

    Dot-folders are skipped and symlinked folders are yielded, not entered.
    """
    with os.scandir(folder) as entries:
        listed = sorted(entries, key=lambda e: e.name)
    for entry in listed:
        path = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            if not entry.name.startswith("."):
                yield from _walk_directory(entry.path, path + "/")
        else:
            yield path, entry


def load_revision(
    repo_path: str, rev: str = "HEAD", cache: ParseCache | None = None
) -> snapshot.Snapshot:
    """Load the desired state of one commit, read straight from the object database.

    Folders are memoized by tree id in ``cache``: between two commits only the
    folders whose tree changed are listed again, so a one-file change costs a
    few folder listings, not a walk of the whole tree.
    """
    return load_commit(repository.open(repo_path), rev, cache)


def load_commit(
    repo: repository.Repository, rev: str = "HEAD", cache: ParseCache | None = None
) -> snapshot.Snapshot:
    """Load the desired state of one commit of an open repository (see :func:`load_revision`).

    The pre-receive hook uses it with a repository opened from the environment,
    the only way to see the objects of a push still in quarantine.
    """
    cache = cache or ParseCache()
    commit = reader.commit_info(repo, rev)
    config, found = repoconfig.parse_config(
        reader.read_path(repo, commit.tree, repoconfig.CONFIG_FILE)
    )
    walker = _TreeWalker(repo, config, cache)
    with collector.paused():
        files, problems = walker.folder(commit.tree, "")
        cache.folders = walker.used
        cache.subfolders = {key: cache.subfolders[key] for key in walker.used}
        return snapshot.build(files, [*found, *problems], revision=commit.id, config=config)


Listing = tuple[tuple[yamlfile.ParsedFile, ...], tuple[Problem, ...]]
FolderKey = tuple[str, str, repoconfig.RepoConfig]  # (tree id, path prefix, configuration)


class _TreeWalker:
    """Lists a commit's candidate files folder by folder, reusing unchanged folders."""

    def __init__(
        self, repo: repository.Repository, config: repoconfig.RepoConfig, cache: ParseCache
    ) -> None:
        self.repo = repo
        self.config = config
        self.cache = cache
        self.used: dict[FolderKey, Listing] = {}

    def folder(self, tree_id: str, prefix: str) -> Listing:
        key = (tree_id, prefix, self.config)
        known = self.used.get(key)
        if known is None:
            known = self.cache.folders.get(key)
            if known is None:
                known = self._list(key)
            else:
                self._keep(key, known)
        return known

    def _keep(self, key: FolderKey, listing: Listing) -> None:
        """Count a folder met in the last load, and its subfolders, as used again."""
        self.used[key] = listing
        for sub in self.cache.subfolders[key]:
            if sub not in self.used:
                self._keep(sub, self.cache.folders[sub])

    def _list(self, key: FolderKey) -> Listing:
        tree_id, prefix, _config = key
        files: list[yamlfile.ParsedFile] = []
        found: list[Problem] = []
        subfolders: list[FolderKey] = []
        for name, oid, kind in reader.entries(self.repo, tree_id):
            path = prefix + name
            if kind == "tree":
                if not name.startswith("."):
                    sub_files, sub_problems = self.folder(oid, path + "/")
                    subfolders.append((oid, path + "/", self.config))
                    files.extend(sub_files)
                    found.extend(sub_problems)
                continue
            if not repoconfig.is_candidate(path) or self.config.excluded(path):
                continue
            trick = repoconfig.path_problem(path)
            if trick is not None:
                found.append(trick)
            elif kind == "link":
                target = reader.read_blob(self.repo, oid).decode("utf-8", "replace")
                found.append(_symlink_problem(path, target, _link_stays_inside(path, target)))
            else:
                parsed = self.cache.get(path, oid)
                if parsed is None:
                    parsed = self.cache.parse(path, reader.read_blob(self.repo, oid), oid)
                files.append(parsed)
        listing = (tuple(files), tuple(found))
        self.used[key] = listing
        self.cache.subfolders[key] = tuple(subfolders)
        return listing


def _link_stays_inside(path: str, target: str) -> bool:
    """Return True when a symlink target, taken relative to its folder, stays in the tree."""
    if target.startswith("/"):
        return False
    depth = 0
    for part in path.split("/")[:-1] + target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return True
