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
from pathlib import Path

from gitops_ocm.gitstore import reader
from gitops_ocm.model import repoconfig, snapshot, yamlfile
from gitops_ocm.problems import Problem, Severity


class ParseCache:
    """Parsed files by (path, blob id); counts parses so tests can see hits."""

    def __init__(self) -> None:
        self._files: dict[tuple[str, str], yamlfile.ParsedFile] = {}
        self._stats: dict[str, tuple[tuple[int, int, int, int], str]] = {}
        self.parses = 0

    def parse_file(self, path: str, full: Path) -> yamlfile.ParsedFile:
        """Parse a working-tree file, skipping the read when its stat is unchanged.

        Like Git's index: (inode, size, mtime, ctime) unchanged means the blob id
        we computed last time still holds.
        """
        info = full.stat()
        key = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        known = self._stats.get(path)
        if known is not None and known[0] == key:
            cached = self._files.get((path, known[1]))
            if cached is not None:
                return cached
        parsed = self.parse(path, full.read_bytes())
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
    for path, full in _walk_directory(base):
        if full.is_symlink() and full.is_dir() and not config.excluded(path):
            inside = Path(os.path.realpath(full)).is_relative_to(base)
            found.append(_symlink_problem(path, os.readlink(full), inside))
            continue
        if not repoconfig.is_candidate(path) or config.excluded(path):
            continue
        trick = repoconfig.path_problem(path)
        if trick is not None:
            found.append(trick)
            continue
        if full.is_symlink():
            target = os.readlink(full)
            inside = Path(os.path.realpath(full)).is_relative_to(base)
            found.append(_symlink_problem(path, target, inside))
            continue
        try:
            files.append(cache.parse_file(path, full))
        except OSError as exc:
            found.append(Problem(path, 1, 1, "S109", "", f"cannot read file: {exc.strerror}"))
    return snapshot.build(files, found, revision=str(base))


def _walk_directory(base: Path) -> list[tuple[str, Path]]:
    """List files below ``base`` (not following symlinked folders), sorted by path."""
    out: list[tuple[str, Path]] = []
    for folder, dirs, names in os.walk(base, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_folder = Path(folder).relative_to(base).as_posix()
        prefix = "" if rel_folder == "." else rel_folder + "/"
        for name in names:
            out.append((prefix + name, Path(folder) / name))
        for name in dirs:
            full = Path(folder) / name
            if full.is_symlink():
                out.append((prefix + name, full))
    return sorted(out)


def load_revision(
    repo_path: str, rev: str = "HEAD", cache: ParseCache | None = None
) -> snapshot.Snapshot:
    """Load the desired state of one commit, read straight from the object database."""
    cache = cache or ParseCache()
    repo = reader.open_repository(repo_path)
    commit = reader.resolve(repo, rev)
    tree = commit.tree
    config, found = repoconfig.parse_config(reader.read_path(repo, tree, repoconfig.CONFIG_FILE))
    files: list[yamlfile.ParsedFile] = []
    for entry in reader.walk(repo, tree):
        if not repoconfig.is_candidate(entry.path) or config.excluded(entry.path):
            continue
        trick = repoconfig.path_problem(entry.path)
        if trick is not None:
            found.append(trick)
            continue
        if entry.symlink:
            target = reader.read_blob(repo, entry.blob).decode("utf-8", "replace")
            found.append(
                _symlink_problem(entry.path, target, _link_stays_inside(entry.path, target))
            )
            continue
        parsed = cache.get(entry.path, entry.blob)
        if parsed is None:
            parsed = cache.parse(entry.path, reader.read_blob(repo, entry.blob), entry.blob)
        files.append(parsed)
    return snapshot.build(files, found, revision=str(commit.id))


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
