"""The validate command through the CLI runner: formats, exit codes, commits, caching."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from repokit import CLUSTER, commit_files, write_files

from gitops_ocm import source, validation
from gitops_ocm.cli.main import main

GOOD = {"clusters/c1.yaml": CLUSTER.format(name="c1", region="eu")}
TYPO = CLUSTER.format(name="c2", region="eu").replace("hubAcceptsClient", "hubAcceptClient")


def test_valid_tree_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid tree exits 0 and says how much it read."""
    write_files(tmp_path, GOOD)
    assert main(["validate", str(tmp_path)]) == 0
    assert "valid in 1 documents of 1 files" in capsys.readouterr().out


def test_text_output_names_file_line_code_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid tree exits 1 with path:line:col: CODE /pointer: message and a hint."""
    write_files(tmp_path, {**GOOD, "clusters/c2.yaml": TYPO})
    assert main(["validate", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "clusters/c2.yaml:8:3: S201 /spec/hubAcceptClient: unknown field" in out
    assert "did you mean 'hubAcceptsClient'?" in out
    assert out.strip().endswith("invalid in 2 documents of 2 files: 1 errors, 0 warnings")


def test_json_output_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON output has the documented stable keys."""
    write_files(tmp_path, {"clusters/c2.yaml": TYPO})
    assert main(["validate", str(tmp_path), "-o", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "valid",
        "revision",
        "files",
        "documents",
        "errors",
        "warnings",
        "problems",
    }
    assert report["valid"] is False
    assert set(report["problems"][0]) == {
        "file",
        "line",
        "column",
        "code",
        "pointer",
        "message",
        "got",
        "severity",
    }


def test_github_annotations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GitHub output is one workflow command per problem, with file, line and code."""
    write_files(tmp_path, {"clusters/c2.yaml": TYPO})
    assert main(["validate", str(tmp_path), "--output", "github"]) == 1
    line = capsys.readouterr().out.strip()
    assert line.startswith("::error file=clusters/c2.yaml,line=8,col=3,title=S201::")


def test_revision_of_bare_repository(bare_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--rev validates a commit of a bare repository and reports the revision."""
    sha = commit_files(bare_repo, GOOD)
    assert main(["validate", str(bare_repo), "--rev", "main", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["revision"] == sha


@pytest.mark.parametrize(
    "argv",
    [["validate", "--output", "yaml"], ["validate", "--bogus"], ["frobnicate"]],
    ids=["bad-format", "unknown-flag", "unknown-command"],
)
def test_usage_errors_exit_two(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Command-line mistakes exit 2 with a message and no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err


def test_unknown_revision_exits_two(bare_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown revision is a usage error (exit 2, as in every command), not a crash."""
    commit_files(bare_repo, GOOD)
    assert main(["validate", str(bare_repo), "--rev", "nope"]) == 2
    assert "unknown revision 'nope'" in capsys.readouterr().err


def test_missing_path_exits_two(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist is a usage error."""
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_validation_cache_checks_only_changed_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With shared caches, a second pass checks only the document whose file changed."""
    files = {f"c{i}.yaml": CLUSTER.format(name=f"c{i}", region="eu") for i in range(10)}
    write_files(tmp_path, files)
    parse_cache, findings = source.ParseCache(), validation.Cache()
    checked: list[str] = []
    original = validation.check_object

    def counting(obj: validation.Obj) -> list[validation.Finding]:
        checked.append(obj.name)
        return original(obj)

    monkeypatch.setattr(validation, "check_object", counting)
    validation.validate(source.load_directory(tmp_path, parse_cache), findings)
    assert len(checked) == 10
    write_files(tmp_path, {"c4.yaml": CLUSTER.format(name="c4", region="us")})
    checked.clear()
    validation.validate(source.load_directory(tmp_path, parse_cache), findings)
    assert checked == ["c4"]
    assert parse_cache.parses == 11
