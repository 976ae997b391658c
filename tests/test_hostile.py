"""Broken and hostile input: every case gets a stable code, exit 1, and never a traceback."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pygit2
import pytest
from repokit import CLUSTER, commit_files, write_files

from gitops_ocm.cli.main import main
from gitops_ocm.model import yamllimits, yamlout

CORPUS = Path(__file__).parent / "corpus" / "hostile"

EXPECTED = {
    "tab-indent.yaml": ("S104", 4),
    "duplicate-key.yaml": ("S105", 5),
    "alias-bomb.yaml": ("S106", None),
    "deep-nesting.yaml": ("S107", 1),
    "deep-block-nesting.yaml": ("S107", 1),
    "not-utf8.yaml": ("S102", 4),
    "binary.yaml": ("S102", 3),
    "list-document.yaml": ("S108", 1),
    "scalar-document.yaml": ("S108", 1),
    "syntax-error.yaml": ("S103", None),
    "recursive-anchor.yaml": ("S111", None),
    "undefined-alias.yaml": ("S103", 1),
    "complex-key.yaml": ("S111", 1),
    "bad-tagged-scalar.yaml": ("S103", 6),
}


def run_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    """Run validate with JSON output and return (exit code, parsed output)."""
    code = main(["validate", str(path), "--output", "json", *extra])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, json.loads(out.out)


def test_corpus_is_complete() -> None:
    """Every file of the corpus has an expected code, and every expectation has a file."""
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda n: n.removesuffix(".yaml"))
def test_corpus_file_gets_its_code(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A hostile file is reported with its stable code and line, and validate exits 1."""
    shutil.copy(CORPUS / name, tmp_path / name)
    code, report = run_json(tmp_path, capsys)
    assert code == 1
    expected_code, expected_line = EXPECTED[name]
    hits = [p for p in report["problems"] if p["code"] == expected_code]
    assert hits, report["problems"]
    assert hits[0]["file"] == name
    if expected_line is not None:
        assert hits[0]["line"] == expected_line


def test_file_over_size_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file larger than the limit is refused before parsing (S101)."""
    (tmp_path / "huge.yaml").write_bytes(b"data: '" + b"x" * (5 * 1024 * 1024) + b"'\n")
    code, report = run_json(tmp_path, capsys)
    assert code == 1
    assert [p["code"] for p in report["problems"]] == ["S101"]


def test_million_brackets_do_not_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nesting that would overflow libyaml's recursive composer is refused (S107)."""
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 1_000_000 + "]" * 1_000_000)
    code, report = run_json(tmp_path, capsys)
    assert code == 1
    assert [p["code"] for p in report["problems"]] == ["S107"]


def test_symlink_leaving_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A symlink to a file outside the repository is an error and is not read (S109)."""
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    fleet = write_files(tmp_path / "fleet", {"c.yaml": CLUSTER.format(name="c", region="eu")})
    os.symlink(secret, fleet / "leak.yaml")
    os.symlink(tmp_path, fleet / "outside")
    code, report = run_json(fleet, capsys)
    assert code == 1
    codes = {(p["file"], p["code"], p["severity"]) for p in report["problems"]}
    assert codes == {("leak.yaml", "S109", "error"), ("outside", "S109", "error")}
    assert "hunter2" not in json.dumps(report)


def test_symlink_inside_repository_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A symlink to a file inside the repository is skipped with a warning, not loaded twice."""
    fleet = write_files(tmp_path / "fleet", {"c.yaml": CLUSTER.format(name="c", region="eu")})
    os.symlink(fleet / "c.yaml", fleet / "alias.yaml")
    code, report = run_json(fleet, capsys)
    assert code == 0
    assert [(p["code"], p["severity"]) for p in report["problems"]] == [("S109", "warning")]


def test_symlink_in_commit_leaving_tree(
    bare_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A symlink blob in a commit that points out of the tree is an error (S109)."""
    commit_files(bare_repo, {"c.yaml": CLUSTER.format(name="c", region="eu")})
    repo = pygit2.Repository(str(bare_repo))
    tip = repo.head.peel(pygit2.Commit)
    builder = repo.TreeBuilder(tip.tree)
    builder.insert("evil.yaml", repo.create_blob(b"../../etc/passwd"), pygit2.enums.FileMode.LINK)
    sig = pygit2.Signature("t", "t@example.com", 1700000000, 0)
    repo.create_commit("refs/heads/main", sig, sig, "link", builder.write(), [tip.id])
    code, report = run_json(bare_repo, capsys, "--rev", "main")
    assert code == 1
    assert [(p["file"], p["code"]) for p in report["problems"]] == [("evil.yaml", "S109")]


@pytest.mark.parametrize(
    "name",
    ["new\nline.yaml", "back\\slash.yaml", "bell\x07.yaml"],
    ids=["newline", "backslash", "control-char"],
)
def test_path_tricks_in_commit(
    name: str, bare_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """File names with control characters or backslashes are refused (S110), never opened."""
    commit_files(bare_repo, {name: CLUSTER.format(name="c", region="eu")})
    code, report = run_json(bare_repo, capsys, "--rev", "main")
    assert code == 1
    assert [p["code"] for p in report["problems"]] == ["S110"]
    assert "\n" not in report["problems"][0]["file"]


def test_every_problem_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Problems in several files are all reported, not just the first."""
    for name in ("tab-indent.yaml", "duplicate-key.yaml", "binary.yaml"):
        shutil.copy(CORPUS / name, tmp_path / name)
    code, report = run_json(tmp_path, capsys)
    assert code == 1
    assert sorted(p["code"] for p in report["problems"]) == ["S102", "S104", "S105"]


# Small but expensive files: each is refused with its code by the limits of yamllimits.
EXPENSIVE = {
    "tiny-flow-lists": ("S114", "a: [" + ",".join(["[]"] * 1_300_000) + "]\n"),
    "tiny-flow-maps": ("S114", "a: [" + ",".join(["{}"] * 1_300_000) + "]\n"),
    "million-scalars": ("S114", "a:\n" + "- 1\n" * 1_000_000),
    "empty-documents": ("S113", "---\n" * 500_000),
    "libyaml-depth-limit": ("S107", "a: " + "[" * 1_200 + "]" * 1_200),
    "block-depth": ("S107", "a:\n" + "".join(" " * i + "- \n" for i in range(1_200))),
    "alias-expansion": (
        "S106",
        "a: &a [" + ",".join(["x"] * 1_000) + "]\nb: [" + "*a," * 300 + "]",
    ),
}


@pytest.mark.parametrize("name", sorted(EXPENSIVE))
def test_expensive_file_is_refused(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A small file that would cost seconds and gigabytes to build gets its limit's code."""
    code_expected, text = EXPENSIVE[name]
    (tmp_path / "x.yaml").write_text(text)
    code, report = run_json(tmp_path, capsys)
    assert code == 1
    assert [p["code"] for p in report["problems"]] == [code_expected]


def test_node_limit_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The node past the limit is named by its line, not the start of the file."""
    (tmp_path / "x.yaml").write_text("a:\n" + "- 1\n" * 300_000)
    code, report = run_json(tmp_path, capsys)
    assert code == 1
    [problem] = report["problems"]
    # The mapping, its key and the list are nodes 1-3; line n + 1 holds node n + 3.
    assert (problem["code"], problem["line"]) == ("S114", yamllimits.MAX_NODES + 1 - 2)


def test_document_limit_allows_the_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exactly MAX_DOCUMENTS document markers are read; one more is S113 on its line."""
    doc = CLUSTER.format(name="c{}", region="eu")
    body = "".join("---\n" + doc.replace("c{}", f"c{i}") for i in range(yamllimits.MAX_DOCUMENTS))
    (tmp_path / "many.yaml").write_text(body)
    code, report = run_json(tmp_path, capsys)
    assert code == 0, report["problems"]
    (tmp_path / "many.yaml").write_text(body + "---\n")
    code, report = run_json(tmp_path, capsys)
    assert [(p["code"], p["line"]) for p in report["problems"]] == [("S113", body.count("\n") + 1)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: " + "[" * 101 + "]" * 101, "S107"),
        ("a: " + "[" * 1_000_000 + "]" * 1_000_000, "S107"),
        ("a:\n" + "- 1\n" * 300_000, "S114"),
        ("---\n" * 2_000, "S113"),
        ("a: &a [" + ",".join(["x"] * 1_000) + "]\nb: [" + "*a," * 300 + "]", "S106"),
        ("a: '" + "x" * (5 * 1024 * 1024) + "'", "S101"),
    ],
    ids=["depth-101", "depth-million", "nodes", "documents", "aliases", "size"],
)
def test_every_other_branch_is_read_within_the_same_limits(text: str, expected: str) -> None:
    """``yamlout.load`` (reports, ocm/status, ocm/hub, disk copies) refuses what main refuses."""
    with pytest.raises(yamlout.Unreadable) as refused:
        yamlout.load(text.encode())
    assert refused.value.code == expected
