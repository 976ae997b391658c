"""The pre-receive hook, installed in a bare repository served by git daemon, pushed to by git."""

from __future__ import annotations

import io
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from repokit import CLUSTER, commit_files, git, write_files

from gitops_ocm.cli.main import main
from gitops_ocm.gitstore import servers

pytestmark = pytest.mark.slow

GOOD = CLUSTER.format(name="c1", region="eu")
TYPO = CLUSTER.format(name="c2", region="eu").replace("hubAcceptsClient", "hubAcceptClient")
IDENTITY = ("-c", "user.name=test", "-c", "user.email=test@example.com")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A bare repository with the hook installed, served by git daemon; yields (url, clone)."""
    root = tmp_path / "srv"
    root.mkdir()
    git("init", "-q", "--bare", "-b", "main", str(root / "fleet.git"), cwd=tmp_path)
    assert main(["hook", "install", "--repo", str(root / "fleet.git")]) == 0
    with servers.git_daemon(root) as base:
        url = f"{base}/fleet.git"
        git("clone", "-q", url, "work", cwd=tmp_path)
        yield url, tmp_path / "work"


def commit(work: Path, files: dict[str, str], message: str) -> None:
    """Write ``files`` into the clone and commit them."""
    write_files(work, files)
    git(*IDENTITY, "add", "-A", cwd=work)
    git(*IDENTITY, "commit", "-q", "-m", message, cwd=work)


def push(work: Path, *refspec: str) -> subprocess.CompletedProcess[str]:
    """Push over git:// and return the finished process."""
    return subprocess.run(
        ["git", "push", "origin", *refspec], cwd=work, capture_output=True, text=True, check=False
    )


def test_install_writes_an_executable_hook(tmp_path: Path) -> None:
    """install writes hooks/pre-receive, executable, running this interpreter's module."""
    git("init", "-q", "--bare", str(tmp_path / "r.git"), cwd=tmp_path)
    assert main(["hook", "install", "--repo", str(tmp_path / "r.git")]) == 0
    hook = tmp_path / "r.git" / "hooks" / "pre-receive"
    assert hook.stat().st_mode & stat.S_IXUSR
    assert "-m gitops_ocm hook pre-receive --branch main" in hook.read_text()


def test_install_refuses_a_folder_that_is_not_a_repository(tmp_path: Path) -> None:
    """install on a plain folder is a usage error."""
    assert main(["hook", "install", "--repo", str(tmp_path)]) == 2


def test_valid_push_to_main_is_accepted(served: tuple[str, Path]) -> None:
    """A valid commit pushed to main is accepted and main moves."""
    _, work = served
    commit(work, {"clusters/c1.yaml": GOOD}, "valid")
    done = push(work, "HEAD:main")
    assert done.returncode == 0, done.stderr
    assert git("ls-remote", "origin", "refs/heads/main", cwd=work).startswith(
        git("rev-parse", "HEAD", cwd=work).strip()
    )


def test_invalid_push_to_main_is_rejected_with_problems(served: tuple[str, Path]) -> None:
    """An invalid commit pushed to main is refused; the problems come back as remote: lines."""
    _, work = served
    commit(work, {"clusters/c1.yaml": GOOD}, "valid")
    assert push(work, "HEAD:main").returncode == 0
    good = git("rev-parse", "HEAD", cwd=work).strip()
    commit(work, {"clusters/c2.yaml": TYPO}, "typo")
    done = push(work, "HEAD:main")
    assert done.returncode != 0
    assert "remote: gitops-ocm: push rejected: 1 problems in" in done.stderr
    assert "remote: clusters/c2.yaml:8:3: S201 /spec/hubAcceptClient" in done.stderr
    assert "pre-receive hook declined" in done.stderr
    assert git("ls-remote", "origin", "refs/heads/main", cwd=work).startswith(good)


def test_push_to_another_branch_is_accepted(served: tuple[str, Path]) -> None:
    """The hook guards main only: an invalid commit on a feature branch is accepted."""
    _, work = served
    commit(work, {"clusters/c2.yaml": TYPO}, "typo")
    done = push(work, "HEAD:refs/heads/feature")
    assert done.returncode == 0, done.stderr


def test_deleting_main_is_rejected(served: tuple[str, Path]) -> None:
    """Deleting the protected branch is refused."""
    _, work = served
    commit(work, {"clusters/c1.yaml": GOOD}, "valid")
    assert push(work, "HEAD:main", "HEAD:refs/heads/other").returncode == 0
    done = push(work, "--delete", "main")
    assert done.returncode != 0
    assert "deleting refs/heads/main is not allowed" in done.stderr


def test_pre_receive_through_the_runner(
    bare_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """pre-receive in-process: the invalid main update fails, other refs are not checked."""
    sha = commit_files(bare_repo, {"clusters/c2.yaml": TYPO})
    monkeypatch.setenv("GIT_DIR", str(bare_repo))
    lines = f"{'0' * 40} {sha} refs/heads/feature\n{'0' * 40} {sha} refs/heads/main\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["hook", "pre-receive"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"gitops-ocm: push rejected: 1 problems in {sha[:12]} (refs/heads/main)")
    assert "S201" in err and "refs/heads/feature" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO(lines.splitlines()[0] + "\n"))
    assert main(["hook", "pre-receive"]) == 0
