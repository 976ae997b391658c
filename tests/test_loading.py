"""Loading a desired state from folders and commits: documents, positions, cache, exclusions."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from repokit import CLUSTER, commit_files, write_files

from gitops_ocm import source
from gitops_ocm.gitstore import reader
from gitops_ocm.model import yamlfile
from gitops_ocm.problems import Finding

TWO_DOCS = CLUSTER.format(name="c1", region="eu") + "---\n" + CLUSTER.format(name="c2", region="us")


def test_directory_multi_document(tmp_path: Path) -> None:
    """Every document of a multi-document file becomes an object with its start line."""
    write_files(tmp_path, {"clusters/all.yaml": TWO_DOCS})
    snap = source.load_directory(tmp_path)
    assert [o.name for o in snap.objects] == ["c1", "c2"]
    assert [o.doc.line for o in snap.objects] == [1, 10]
    assert snap.load_problems == ()


def test_only_yaml_outside_dot_folders(tmp_path: Path) -> None:
    """Only .yaml/.yml files count, and dot-folders such as .github are skipped."""
    write_files(
        tmp_path,
        {
            "a.yml": CLUSTER.format(name="a", region="eu"),
            "notes.txt": "kind: nothing",
            ".github/workflows/ci.yaml": "on: push\n",
        },
    )
    snap = source.load_directory(tmp_path)
    assert [o.name for o in snap.objects] == ["a"]


def test_config_excludes_paths(tmp_path: Path) -> None:
    """Patterns in .gitops-ocm.yaml exclude files and whole folders."""
    write_files(
        tmp_path,
        {
            ".gitops-ocm.yaml": "exclude:\n  - charts\n  - '*/draft-*.yaml'\n",
            "charts/values.yaml": "replicas: 3\n",
            "clusters/draft-x.yaml": "not: ok\n",
            "clusters/c1.yaml": CLUSTER.format(name="c1", region="eu"),
        },
    )
    snap = source.load_directory(tmp_path)
    assert [o.doc.path for o in snap.objects] == ["clusters/c1.yaml"]


def test_config_unknown_setting_is_reported(tmp_path: Path) -> None:
    """An unknown key in .gitops-ocm.yaml is a coded problem, not silently ignored."""
    write_files(tmp_path, {".gitops-ocm.yaml": "exclud: [x]\n"})
    snap = source.load_directory(tmp_path)
    assert [p.code for p in snap.load_problems] == ["S201"]


def test_commit_of_bare_repository(bare_repo: Path) -> None:
    """A commit of a bare repository loads without a checkout, and older commits stay readable."""
    first = commit_files(bare_repo, {"c.yaml": CLUSTER.format(name="old", region="eu")})
    commit_files(bare_repo, {"c.yaml": CLUSTER.format(name="new", region="eu")})
    assert [o.name for o in source.load_revision(str(bare_repo), "main").objects] == ["new"]
    snap = source.load_revision(str(bare_repo), first)
    assert [o.name for o in snap.objects] == ["old"]
    assert snap.revision == first


def test_unchanged_blobs_are_parsed_once(bare_repo: Path) -> None:
    """With a shared cache, a second commit re-parses only the file that changed."""
    files = {f"c{i}.yaml": CLUSTER.format(name=f"c{i}", region="eu") for i in range(20)}
    commit_files(bare_repo, files)
    cache = source.ParseCache()
    source.load_revision(str(bare_repo), "main", cache)
    assert cache.parses == 20
    files["c3.yaml"] = CLUSTER.format(name="c3", region="us")
    commit_files(bare_repo, files)
    snap = source.load_revision(str(bare_repo), "main", cache)
    assert cache.parses == 21
    assert snap.find("ManagedCluster", "", "c3") is not None


def test_positions_of_keys_are_found_on_demand(tmp_path: Path) -> None:
    """A finding's JSON pointer is turned into the line and column of that key."""
    write_files(tmp_path, {"all.yaml": TWO_DOCS})
    snap = source.load_directory(tmp_path)
    second = snap.objects[1]
    problem = snap.locate(second.doc, Finding("X", "/metadata/labels/region", "m"))
    assert (problem.line, problem.column) == (15, 5)
    missing = snap.locate(second.doc, Finding("X", "/spec/nothing/here", "m"))
    assert (missing.line, missing.column) == (16, 1)


def test_timestamps_stay_strings() -> None:
    """Timestamps are kept as strings, as Kubernetes' JSON-based YAML does."""
    parsed = yamlfile.parse("t.yaml", b"metadata:\n  creationTimestamp: 2024-01-01T00:00:00Z\n")
    assert parsed.documents[0].body["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"


def test_blob_id_matches_git(bare_repo: Path) -> None:
    """The cache key of a file on disk is the same blob id Git gives it."""
    import pygit2

    repo = pygit2.Repository(str(bare_repo))
    data = b"kind: X\n"
    assert yamlfile.blob_id(data) == str(repo.create_blob(data))


def _parse_recording(seen: list[bool]) -> object:
    """Return yamlfile.parse wrapped to record whether the collector ran during each parse."""
    parse = yamlfile.parse

    def recording(path: str, data: bytes, blob: str | None = None) -> yamlfile.ParsedFile:
        seen.append(gc.isenabled())
        return parse(path, data, blob)

    return recording


@pytest.mark.parametrize("enabled", [True, False], ids=["collector-on", "collector-off"])
def test_collector_is_paused_while_parsing(
    enabled: bool, bare_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading pauses the cyclic collector while parsing, and leaves it as it found it."""
    files = {"clusters/all.yaml": TWO_DOCS}
    commit_files(bare_repo, files)
    write_files(tmp_path, files)
    seen: list[bool] = []
    monkeypatch.setattr(yamlfile, "parse", _parse_recording(seen))
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        source.load_revision(str(bare_repo), "main")
        source.load_directory(tmp_path)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert seen == [False, False]


def test_only_changed_folders_are_listed_again(
    bare_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder one commit left untouched is still known when a later commit changes beside it."""
    files = {
        f"clusters/{region}/c{i}.yaml": CLUSTER.format(name=f"{region}{i}", region=region)
        for region in ("eu", "us")
        for i in range(3)
    }
    files["apps/a.yaml"] = CLUSTER.format(name="app", region="eu")
    commit_files(bare_repo, files)
    cache = source.ParseCache()
    source.load_revision(str(bare_repo), "main", cache)
    listed: list[str] = []
    entries = reader.entries
    monkeypatch.setattr(
        reader, "entries", lambda repo, tree: listed.append(tree) or entries(repo, tree)
    )
    files["apps/a.yaml"] = CLUSTER.format(name="app", region="us")  # clusters/ untouched
    commit_files(bare_repo, files)
    source.load_revision(str(bare_repo), "main", cache)
    assert len(listed) == 2  # the root and apps/
    listed.clear()
    files["clusters/eu/c1.yaml"] = CLUSTER.format(name="eu1", region="ap")
    commit_files(bare_repo, files)
    snap = source.load_revision(str(bare_repo), "main", cache)
    assert len(listed) == 3  # the root, clusters/ and clusters/eu/, not clusters/us/
    assert snap.find("ManagedCluster", "", "eu1") is not None
    assert len(snap.objects) == 7
