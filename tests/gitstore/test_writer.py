"""Publishing trees as commits: exact trees, no empty commits, minimal writes, trailers."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pygit2
import pytest
from gitkit import AUTHOR, fleet, fsck, git, new_bare, raw

from gitops_ocm import errors
from gitops_ocm.gitstore import message, objects, reader, refs, repository, writer

SOURCE = {"Source-Commit": "1" * 40}


def _loose_objects(repo: repository.Repository) -> set[str]:
    root = Path(repo.path) / "objects"
    return {d.name + f.name for d in root.iterdir() if len(d.name) == 2 for f in d.iterdir()}


def test_publish_writes_exact_tree(tmp_path: Path) -> None:
    """The branch's tree holds exactly the given files, and stale files disappear."""
    bare = new_bare(tmp_path)
    writer.publish_tree(bare, "ocm/hub", fleet(), "hub: one", SOURCE, author=AUTHOR)
    smaller = fleet(clusters=2)
    writer.publish_tree(bare, "ocm/hub", smaller, "hub: two", SOURCE, author=AUTHOR)
    assert reader.read_tree_files(bare, "ocm/hub") == smaller
    fsck(bare.path)


def test_identical_input_makes_no_commit(tmp_path: Path) -> None:
    """Publishing the tree the tip already has returns the tip and writes nothing."""
    bare = new_bare(tmp_path)
    first = writer.publish_tree(bare, "ocm/hub", fleet(), "hub: one", SOURCE, author=AUTHOR)
    before = _loose_objects(bare)
    again = writer.publish_tree(bare, "ocm/hub", fleet(), "hub: two", {"Source-Commit": "2"})
    assert (again.created, again.commit) == (False, first.commit)
    assert _loose_objects(bare) == before


def test_only_changed_objects_written(tmp_path: Path) -> None:
    """One changed file writes one blob, the trees on its path and a commit; others are reused."""
    bare = new_bare(tmp_path)
    files = fleet(clusters=10)
    first = writer.publish_tree(bare, "ocm/hub", files, "hub: one", SOURCE, author=AUTHOR)
    before = _loose_objects(bare)
    files["clusters/c3/manifestworks/w1.yaml"] = b"changed\n"
    second = writer.publish_tree(bare, "ocm/hub", files, "hub: two", SOURCE, author=AUTHOR)
    # blob + manifestworks/ + c3/ + clusters/ + root + commit
    assert len(_loose_objects(bare) - before) == 6
    old, new = raw(bare)[first.tree], raw(bare)[second.tree]
    assert isinstance(old, pygit2.Tree) and isinstance(new, pygit2.Tree)
    assert old["clusters/c4"].id == new["clusters/c4"].id
    assert reader.diff_paths(bare, first.tree, second.tree) == ["clusters/c3/manifestworks/w1.yaml"]


def test_trailer_and_parent(tmp_path: Path) -> None:
    """The commit carries the Source-Commit trailer and sits on the previous tip."""
    bare = new_bare(tmp_path)
    first = writer.publish_tree(bare, "ocm/hub", fleet(), "hub: one\n\nbody", SOURCE)
    second = writer.publish_changes(
        bare, "ocm/hub", {"x": b"1"}, "hub: two", {"Source-Commit": "f"}
    )
    commit = raw(bare)[second.commit]
    assert isinstance(commit, pygit2.Commit)
    assert [str(p) for p in commit.parent_ids] == [first.commit] == [second.previous]
    assert message.parse_trailers(commit.message) == {"Source-Commit": "f"}
    assert (
        git(
            bare.path, "log", "-1", "--format=%(trailers:key=Source-Commit,valueonly)", "ocm/hub~1"
        ).strip()
        == "1" * 40
    )


def test_deterministic_commits(tmp_path: Path) -> None:
    """Same files, message and fixed time give the same commit id in any repository."""
    ids = set()
    for name in ("a.git", "b.git"):
        repo = repository.init(tmp_path / name)
        ids.add(writer.publish_tree(repo, "ocm/hub", fleet(), "hub", SOURCE, author=AUTHOR).commit)
    assert len(ids) == 1


def test_publish_changes_applies_sets_and_deletes(tmp_path: Path) -> None:
    """Incremental changes: set, replace, delete a file and a whole folder."""
    bare = new_bare(tmp_path)
    writer.publish_tree(bare, "ocm/hub", fleet(clusters=3), "hub: one", author=AUTHOR)
    changes: dict[str, bytes | None] = {
        "clusters/c0/manifestworks/w0.yaml": b"new\n",
        "clusters/c1": None,
        "clusters/c2/manifestworks/w2.yaml": None,
        "placements/p.yaml": b"p\n",
    }
    writer.publish_changes(bare, "ocm/hub", changes, "hub: two", author=AUTHOR)
    expected = fleet(clusters=3)
    expected.update({"clusters/c0/manifestworks/w0.yaml": b"new\n", "placements/p.yaml": b"p\n"})
    for path in list(expected):
        if path.startswith("clusters/c1/") or path == "clusters/c2/manifestworks/w2.yaml":
            del expected[path]
    assert reader.read_tree_files(bare, "ocm/hub") == expected
    fsck(bare.path)


def test_publish_changes_without_effect_makes_no_commit(tmp_path: Path) -> None:
    """Setting a file to its content or deleting a missing path makes no commit."""
    bare = new_bare(tmp_path)
    first = writer.publish_tree(bare, "ocm/hub", {"a/b": b"1"}, "one", author=AUTHOR)
    same = writer.publish_changes(bare, "ocm/hub", {"a/b": b"1", "zz/q": None}, "two")
    assert (same.created, same.commit) == (False, first.commit)


def test_hub_branch_in_another_repository(tmp_path: Path) -> None:
    """The source lives in one repository and the hub branch is written into another."""
    source = repository.init(tmp_path / "source", bare=False)
    sha = writer.publish_tree(source, "main", {"c.yaml": b"kind: X\n"}, "src", author=AUTHOR)
    hub = repository.init(tmp_path / "hub.git")
    files = reader.read_tree_files(source, sha.commit)
    writer.publish_tree(hub, "ocm/hub", files, "hub", {"Source-Commit": sha.commit})
    assert reader.read_tree_files(hub, "ocm/hub") == {"c.yaml": b"kind: X\n"}
    assert sha.commit not in raw(hub)


def test_graft_takes_subtrees_by_id(tmp_path: Path) -> None:
    """Report branches' trees are grafted under clusters/<c>/ by id, next to extra files."""
    bare = new_bare(tmp_path)
    tips = {}
    for c in ("c1", "c2"):
        report = {"cluster.yaml": f"name: {c}\n".encode(), "lease.yaml": b"renew: 1\n"}
        tips[c] = writer.publish_tree(bare, f"ocm/reports/{c}", report, "report").tree
    subtrees = {f"clusters/{c}": tree for c, tree in tips.items()}
    result = writer.graft(bare, "ocm/status", subtrees, {"README.md": b"# fleet\n"}, "fold")
    tree = raw(bare)[result.tree]
    assert isinstance(tree, pygit2.Tree)
    assert str(tree["clusters/c1"].id) == tips["c1"]
    assert sorted(reader.read_tree_files(bare, "ocm/status")) == [
        "README.md", "clusters/c1/cluster.yaml", "clusters/c1/lease.yaml",
        "clusters/c2/cluster.yaml", "clusters/c2/lease.yaml",
    ]  # fmt: skip
    with pytest.raises(errors.InvalidInput):
        writer.graft(bare, "ocm/status", {"clusters/x": "0" * 40}, {}, "fold")


def test_lazy_tree_and_prefix(tmp_path: Path) -> None:
    """read_tree_files with a prefix returns that folder's files relative to it."""
    bare = new_bare(tmp_path)
    writer.publish_tree(bare, "ocm/hub", fleet(clusters=2), "hub", author=AUTHOR)
    lazy = reader.lazy_tree(bare, "ocm/hub", "clusters/c1/")
    assert sorted(lazy.blobs) == [
        "manifestworks/w0.yaml",
        "manifestworks/w1.yaml",
        "manifestworks/w2.yaml",
    ]
    assert lazy.read("manifestworks/w0.yaml") == b"name: w0\ncluster: c1\n"
    assert reader.read_tree_files(bare, "ocm/hub", "clusters/none") == {}


def test_many_new_objects_go_into_one_pack(tmp_path: Path) -> None:
    """A cold publish above the threshold writes a pack, and the repository stays valid."""
    bare = new_bare(tmp_path)
    files = fleet(clusters=100, works=8)
    writer.publish_tree(bare, "ocm/hub", files, "cold", author=AUTHOR)
    assert list((Path(bare.path) / "objects" / "pack").glob("*.pack"))
    assert len(_loose_objects(bare)) == 1  # the commit
    assert reader.read_tree_files(bare, "ocm/hub") == files
    fsck(bare.path)


def _packed(repo: repository.Repository) -> dict[str, int]:
    """Objects per pack of the repository (from each index's fan-out table)."""
    folder = Path(repo.path) / "objects" / "pack"
    return {
        idx.stem: int.from_bytes(idx.read_bytes()[8 + 255 * 4 : 8 + 256 * 4], "big")
        for idx in folder.glob("*.idx")
    }


def test_a_pack_holds_only_objects_the_repository_lacks(tmp_path: Path) -> None:
    """Folders with one file changed: the pack has the changed files, not the stored ones."""
    bare = new_bare(tmp_path)
    files = fleet(clusters=200, works=8)
    writer.publish_tree(bare, "ocm/hub", files, "cold", author=AUTHOR)
    first = _packed(bare)
    fresh = {path: data + b"v2\n" for path, data in files.items() if path.endswith("/w0.yaml")}
    writer.publish_tree(bare, "ocm/hub", {**files, **fresh}, "second", author=AUTHOR)
    (name,) = (pack for pack in _packed(bare) if pack not in first)
    listing = subprocess.run(
        ["git", "verify-pack", "-v", str(Path(bare.path) / "objects" / "pack" / f"{name}.idx")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    packed_blobs = {line.split()[0] for line in listing.splitlines() if " blob " in line}
    assert packed_blobs == {objects.blob_id(data).hex() for data in fresh.values()}
    assert reader.read_tree_files(bare, "ocm/hub") == {**files, **fresh}
    fsck(bare.path)


def test_large_files_go_into_a_pack_and_stay_small(tmp_path: Path) -> None:
    """A few large new files are packed (compressed), not written as slow loose files."""
    bare = new_bare(tmp_path)
    big = {f"policies/p{i}.yaml": b"- cluster: c%05d\n" % i * 40_000 for i in range(8)}
    writer.publish_tree(bare, "ocm/status", big, "large", author=AUTHOR)
    assert len(_packed(bare)) == 1
    size = sum(p.stat().st_size for p in (Path(bare.path) / "objects" / "pack").glob("*.pack"))
    assert size < sum(map(len, big.values())) / 5
    assert reader.read_tree_files(bare, "ocm/status") == big
    fsck(bare.path)


def test_cas_refuses_stale_tip(tmp_path: Path) -> None:
    """A swap from a tip that has moved raises RefConflict and leaves the ref alone."""
    bare = new_bare(tmp_path)
    writer.publish_tree(bare, "ocm/hub", {"a": b"1"}, "one")
    stale = refs.read_tip(bare, "refs/heads/ocm/hub")
    moved = writer.publish_tree(bare, "ocm/hub", {"a": b"2"}, "two")
    git_repo = raw(bare)
    assert stale.id is not None and stale.tree is not None
    author = git_repo[stale.id].peel(pygit2.Commit).author
    orphan = git_repo.create_commit(None, author, author, "x", pygit2.Oid(hex=stale.tree), [])
    with pytest.raises(errors.RefConflict):
        refs.swap(bare, stale, str(orphan), "x")
    assert refs.read_tip(bare, "refs/heads/ocm/hub").id == moved.commit


def test_retry_recomputes_from_tip(tmp_path: Path) -> None:
    """publish_with_retry passes the tip's files to the compute function."""
    bare = new_bare(tmp_path)
    writer.publish_tree(bare, "ocm/hub", {"n": b"1"}, "one")

    def bump(tip: reader.LazyTree | None) -> dict[str, bytes]:
        assert tip is not None
        return {"n": str(int(tip.read("n")) + 1).encode()}

    writer.publish_with_retry(bare, "ocm/hub", bump, "two")
    assert reader.read_tree_files(bare, "ocm/hub") == {"n": b"2"}


def test_stale_lock_is_cleared_and_publish_recovers(tmp_path: Path) -> None:
    """A ref lock left by a killed writer is removed once old, and the retry then succeeds."""
    bare = new_bare(tmp_path)
    writer.publish_tree(bare, "ocm/hub", {"a": b"1"}, "one")
    lock = refs.lock_path(bare, "refs/heads/ocm/hub")
    Path(lock).touch()
    with pytest.raises(errors.RefConflict):
        writer.publish_tree(bare, "ocm/hub", {"a": b"2"}, "fresh lock: kept")
    assert os.path.exists(lock)
    old = time.time() - refs.STALE_LOCK_SECONDS - 1
    os.utime(lock, (old, old))
    writer.publish_with_retry(bare, "ocm/hub", {"a": b"2"}, "two", sleep=lambda s: None)
    assert reader.read_tree_files(bare, "ocm/hub") == {"a": b"2"}
    assert not os.path.exists(lock)


def test_invalid_branch_name(tmp_path: Path) -> None:
    """A branch name Git refuses is invalid input."""
    bare = new_bare(tmp_path)
    with pytest.raises(errors.InvalidInput):
        writer.publish_tree(bare, "bad..name", {"a": b"1"}, "x")
