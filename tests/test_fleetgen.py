"""The synthetic fleet generator (benchmarks/fleetgen.py): loadable, counted, deterministic."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import repokit

from gitops_ocm import source

SMALL = {"clusters": 200, "placements": 20, "mwrs": 20, "policies": 10}


fleetgen = repokit.fleetgen()


def _tree(root: Path) -> dict[str, bytes]:
    """Return every file under ``root`` by relative path."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _git(repo: Path, *args: str) -> list[str]:
    """Run git on a bare repository and return its output lines."""
    command = ["git", "--git-dir", str(repo), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """A small generated fleet and the counts the generator reported."""
    root = tmp_path_factory.mktemp("fleet")
    return root, fleetgen.generate(root, **SMALL)


def test_small_fleet_loads_without_problems(small: tuple[Path, dict[str, int]]) -> None:
    """Every generated file parses, and the snapshot holds what the generator counted."""
    root, counts = small
    snap = source.load_directory(root)
    assert [p.render() for p in snap.load_problems] == []
    assert len(snap.objects) == counts["documents"]
    assert len(snap.files) == counts["files"]
    for kind in ("ManagedCluster", "Placement", "ManifestWorkReplicaSet", "Policy", "PolicySet"):
        assert len(snap.of_kind(kind)) == counts[kind], kind


def test_small_fleet_has_requested_counts(small: tuple[Path, dict[str, int]]) -> None:
    """The fleet has exactly the requested clusters, placements, replica sets and policies."""
    _, counts = small
    assert counts["ManagedCluster"] == SMALL["clusters"]
    assert counts["Placement"] == SMALL["placements"]
    assert counts["ManifestWorkReplicaSet"] == SMALL["mwrs"]
    assert counts["Policy"] == SMALL["policies"]
    assert counts["PlacementBinding"] >= 1 and counts["PolicySet"] >= 1
    assert counts["ManagedClusterSet"] == 4 and counts["ManagedClusterSetBinding"] == 20
    assert 0 < counts["multi_document_files"] < counts["files"]


def test_small_fleet_validates(small: tuple[Path, dict[str, int]]) -> None:
    """The generated fleet passes both validation tiers."""
    from gitops_ocm import validation

    problems = validation.validate(source.load_directory(small[0]))
    assert [p.render() for p in problems] == []


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    """Two runs with one seed write byte-identical trees; another seed writes a different one."""
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    fleetgen.generate(first, **SMALL, seed=7)
    fleetgen.generate(second, **SMALL, seed=7)
    fleetgen.generate(other, **SMALL, seed=8)
    assert _tree(first) == _tree(second)
    assert _tree(first) != _tree(other)


def test_touch_one_changes_one_replica_set(tmp_path: Path) -> None:
    """touch_one rewrites one file, and only the image tag of one replica set in it."""
    root = tmp_path / "fleet"
    fleetgen.generate(root, **SMALL)
    before = _tree(root)
    changed = fleetgen.touch_one(root)
    after = _tree(root)
    assert [p for p in after if after[p] != before[p]] == [changed.relative_to(root).as_posix()]
    old_lines = before[changed.relative_to(root).as_posix()].splitlines()
    new_lines = changed.read_bytes().splitlines()
    diff = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert len(diff) == 1 and b"image:" in diff[0][0]


def test_relabel_one_cluster_changes_its_tier(tmp_path: Path) -> None:
    """relabel_one_cluster moves one cluster to another tier and changes nothing else."""
    root = tmp_path / "fleet"
    fleetgen.generate(root, **SMALL)
    before = _tree(root)
    changed = fleetgen.relabel_one_cluster(root)
    after = _tree(root)
    assert [p for p in after if after[p] != before[p]] == [changed.relative_to(root).as_posix()]
    snap = source.load_directory(root)
    cluster = snap.find("ManagedCluster", "", changed.stem)
    assert cluster is not None
    old_tier = next(
        line.split(b": ")[1]
        for line in before[changed.relative_to(root).as_posix()].splitlines()
        if line.strip().startswith(b"tier:")
    )
    assert cluster.labels["tier"].encode() != old_tier


def test_commit_to_repo_makes_a_loadable_commit_and_a_child(tmp_path: Path) -> None:
    """A committed fleet loads like the directory; a second commit is a one-file child."""
    root, repo = tmp_path / "fleet", tmp_path / "fleet.git"
    counts = fleetgen.generate(root, **SMALL)
    first = fleetgen.commit_to_repo(root, repo)
    snap = source.load_revision(str(repo), "refs/heads/main")
    assert snap.load_problems == () and len(snap.objects) == counts["documents"]
    changed = fleetgen.touch_one(root).relative_to(root).as_posix()
    second = fleetgen.commit_to_repo(root, repo)
    assert _git(repo, "rev-parse", f"{second}^") == [first]
    assert _git(repo, "diff", "--name-only", first, second) == [changed]
