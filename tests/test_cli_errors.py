"""Every command with broken arguments and broken surroundings: one line, a documented code.

The codes are those of docs/cli.md: 0 ok, 1 problems, 2 usage (a path that is no
repository, an unknown revision), 3 runtime failure, 141 output closed early.
Where stdout, stderr and the exit status themselves matter (a closed pipe, the
environment) the command runs as a subprocess; elsewhere through ``main``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gitops_ocm import demo
from gitops_ocm.cli import main as cli
from gitops_ocm.cli import validate as validate_cli

CLUSTER = "eu-prod-1"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare repository with the example fleet on main, ocm/hub and ocm/status published."""
    root = tmp_path_factory.mktemp("hub")
    repo = demo.seed(root)
    # These tests are about an agent's errors, not its registration: the fleet is open.
    checkout = root / "checkout"
    (checkout / ".gitops-ocm.yaml").write_text("registration: open\n")
    for args in (["add", "-A"], ["commit", "-q", "-m", "open"], ["push", "-q", str(repo), "main"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=checkout, check=True
        )
    assert cli.main(["controller", "--repo", str(repo), "--once"]) == 0
    return repo


@pytest.fixture
def not_repo(tmp_path: Path) -> Path:
    """A folder that exists and is no Git repository."""
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a fleet\n")
    return folder


def one_line(err: str) -> str:
    """Assert ``err`` is a single ``gitops-ocm: ...`` line without a traceback; return it."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("gitops-ocm: ")
    return lines[0]


def run(
    *args: str, env: dict[str, str] | None = None, **kw: Any
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gitops_ocm ARGS`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "gitops_ocm", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else dict(os.environ),
        timeout=120,
        **kw,
    )


def refs(repo: Path) -> str:
    """The branches of a bare repository."""
    return subprocess.run(
        ["git", "--git-dir", str(repo), "for-each-ref", "--format=%(refname)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def show(repo: Path, spec: str) -> str:
    """``git show`` of one blob."""
    return subprocess.run(
        ["git", "--git-dir", str(repo), "show", spec], capture_output=True, text=True, check=True
    ).stdout


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


NOT_A_REPO = {
    "validate": ["validate", "{p}", "--rev", "HEAD"],
    "render": ["render", "{p}", "--rev", "HEAD", "--out", "{t}/out"],
    "explain": ["explain", "placement", "a/b", "{p}", "--rev", "HEAD"],
    "plan": ["plan", "{p}", "--base", "HEAD"],
    "status": ["status", "--repo", "{p}"],
    "controller": ["controller", "--repo", "{p}", "--once"],
    "agent": ["agent", "--repo", "{p}", "--cluster", "c1", "--local", "{t}/k", "--once"],
    "hook-install": ["hook", "install", "--repo", "{p}"],
}


@pytest.mark.parametrize("argv", list(NOT_A_REPO.values()), ids=list(NOT_A_REPO))
def test_not_a_repository_exits_two_everywhere(
    argv: list[str], not_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path that is no repository is a usage error (2) in every command, in one line."""
    filled = [a.format(p=not_repo, t=tmp_path) for a in argv]
    assert cli.main(filled) == 2
    assert "not a" in one_line(capsys.readouterr().err)


UNKNOWN_BRANCH = {
    "validate": (["validate", "{r}", "--rev", "nosuch"], 2),
    "render": (["render", "{r}", "--rev", "nosuch", "--out", "{t}/out"], 2),
    "plan-base": (["plan", "{r}", "--base", "nosuch"], 2),
    "plan-head": (["plan", "{r}", "--base", "main", "--head", "nosuch"], 2),
    "controller": (["controller", "--repo", "{r}", "--branch", "nosuch", "--once"], 3),
}


@pytest.mark.parametrize(("argv", "code"), list(UNKNOWN_BRANCH.values()), ids=list(UNKNOWN_BRANCH))
def test_unknown_branch_is_not_success(
    argv: list[str], code: int, hub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A branch or revision that does not exist never exits 0, and says which."""
    assert cli.main([a.format(r=hub, t=tmp_path) for a in argv]) == code
    assert "nosuch" in one_line(capsys.readouterr().err)


def test_agent_unknown_hub_branch_waits_and_pushes_nothing(
    hub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An agent on a hub branch that does not exist waits (--once: 3) and pushes no report."""
    argv = ["agent", "--repo", str(hub), "--cluster", CLUSTER, "--local", str(tmp_path / "k"),
            "--state", str(tmp_path / "s"), "--hub-branch", "nosuch", "--once"]  # fmt: skip
    assert cli.main(argv) == 3
    assert "waiting: nosuch is not published yet" in capsys.readouterr().err
    assert f"ocm/reports/{CLUSTER}" not in refs(hub)


@pytest.mark.parametrize("command", ["validate", "render", "explain"])
def test_folder_without_documents_is_s112(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder with no OCM document is problem S112 (exit 1), not an empty valid fleet."""
    empty = tmp_path / "fleet"
    empty.mkdir()
    (empty / "README.md").write_text("# nothing here\n")
    argv = {
        "validate": ["validate", str(empty)],
        "render": ["render", str(empty), "--out", str(tmp_path / "out")],
        "explain": ["explain", "placement", "a/b", str(empty)],
    }[command]
    assert cli.main(argv) == 1
    out = capsys.readouterr()
    assert ".:1:1: S112 /: no OCM documents found" in out.out + out.err
    assert not (tmp_path / "out").exists()


def test_s112_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """S112 is a problem like any other in the JSON output."""
    assert cli.main(["validate", str(tmp_path), "-o", "json"]) == 1
    assert '"code": "S112"' in capsys.readouterr().out


def test_status_of_a_repository_without_status_branch(
    bare_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status` on a repository the controller never ran on exits 1 with one line."""
    assert cli.main(["status", "--repo", str(bare_repo)]) == 1
    assert "no ocm/status branch" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "option",
    [["--work", "nosuch"], ["--placement", "ns/nosuch"], ["--policy", "ns/nosuch"],
     ["--cluster", "nosuch"]],
    ids=["work", "placement", "policy", "cluster"],
)  # fmt: skip
def test_status_naming_nothing_exits_one(
    option: list[str], hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`status --work/--placement/--policy/--cluster` naming nothing exits 1, not an empty 0."""
    assert cli.main(["status", "--repo", str(hub), *option]) == 1
    assert "nosuch" in one_line(capsys.readouterr().err)


def test_status_naming_something_still_works(hub: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The checks above do not refuse what exists."""
    assert cli.main(["status", "--repo", str(hub), "--placement", "platform/nonprod-all"]) == 0
    assert "kind: Placement" in capsys.readouterr().out


def agent_argv(hub: Path, tmp_path: Path, *extra: str, cluster: str = CLUSTER) -> list[str]:
    """An agent command for one pass with its own state folder."""
    state = tmp_path / "state"
    return ["agent", "--repo", str(hub), "--cluster", cluster, "--state", str(state), *extra,
            "--once"]  # fmt: skip


@pytest.mark.parametrize(
    ("kubeconfig", "code", "says"),
    [("missing", 2, "cannot read kubeconfig"), ("folder", 2, "cannot read kubeconfig"),
     ("garbage", 1, "is not YAML"), ("empty", 1, "has no clusters"),
     ("bomb", 1, "alias bomb"), ("deep", 1, "nesting deeper")],
    ids=["missing", "unreadable", "not-yaml", "empty", "alias-bomb", "deep"],
)  # fmt: skip
def test_broken_kubeconfig(
    kubeconfig: str,
    code: int,
    says: str,
    hub: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A kubeconfig that cannot be read (2) or is not one (1) is one line, before any pass."""
    path = tmp_path / "kubeconfig"
    if kubeconfig == "folder":
        path.mkdir()
    elif kubeconfig == "garbage":
        path.write_text("clusters: [\n")
    elif kubeconfig == "empty":
        path.write_text("")
    elif kubeconfig == "bomb":
        levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 9))
        path.write_text("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + levels)
    elif kubeconfig == "deep":
        path.write_text("clusters: " + "[" * 50_000 + "]" * 50_000)
    assert cli.main(agent_argv(hub, tmp_path, "--kubeconfig", str(path))) == code
    assert says in one_line(capsys.readouterr().err)


def test_api_server_down_at_start_reports_unavailable(
    hub: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No API server: the pass reports Available=False KubeAPIServerUnavailable and exits 3."""
    from gitops_ocm.localkube import kubeconfig

    config = kubeconfig.write(tmp_path / "down.kubeconfig", f"http://127.0.0.1:{free_port()}")
    assert cli.main(agent_argv(hub, tmp_path, "--kubeconfig", str(config))) == 3
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "cannot reach the API server" in out.out
    report = show(hub, f"ocm/reports/{CLUSTER}:cluster.yaml")
    assert "reason: ManagedClusterKubeAPIServerUnavailable" in report
    assert "status: 'False'" in report or 'status: "False"' in report


def test_agent_of_an_undeclared_cluster_only_asks_to_register(hub: Path, tmp_path: Path) -> None:
    """A cluster the hub does not know pushes only its registration request and waits (3)."""
    argv = agent_argv(hub, tmp_path, "--local", str(tmp_path / "k"), cluster="ghost-1")
    done = run(*argv)
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert "registering: not accepted yet" in done.stdout
    tree = subprocess.run(
        ["git", "--git-dir", str(hub), "ls-tree", "--name-only", "ocm/reports/ghost-1"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert tree == "registration.yaml\n"


def test_unexpected_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug is one line naming the exception (exit 3); GITOPS_OCM_TRACEBACK=1 re-raises it."""

    def broken(args: Any) -> int:
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(validate_cli, "run", broken)
    assert cli.main(["validate", str(tmp_path)]) == 3
    line = one_line(capsys.readouterr().err)
    assert "internal error: ValueError: boom" in line and cli.TRACEBACK in line
    monkeypatch.setenv(cli.TRACEBACK, "1")
    with pytest.raises(ValueError, match="boom"):
        cli.main(["validate", str(tmp_path)])


def test_output_piped_into_head(tmp_path: Path) -> None:
    """Output closed early (`| head -1`): exit 141, nothing on stderr, no traceback."""
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    for i in range(3000):  # M302 per file: far more output than a pipe buffer holds
        (fleet / f"thing-{i}.yaml").write_text(
            f"apiVersion: v1\nkind: Thing\nmetadata:\n  name: t{i}\n"
        )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitops_ocm", "validate", str(fleet)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert b"M302" in proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(60) == cli.BROKEN_PIPE
    assert err == ""


def test_head_through_a_shell_pipeline(hub: Path) -> None:
    """`gitops-ocm status | head -1` prints one line and the shell sees no error text."""
    command = f"{sys.executable} -m gitops_ocm status --repo {hub} | head -1"
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("source ") and done.stderr == ""


def env_without(*names: str, **values: str) -> dict[str, str]:
    """The test's environment without ``names``, with ``values``."""
    env = {k: v for k, v in os.environ.items() if k not in names}
    return {**env, **values}


def test_cache_folder_that_cannot_be_written(hub: Path, tmp_path: Path) -> None:
    """XDG_CACHE_HOME under a file: `status` of a URL exits 3 with one line and a hint."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = env_without("XDG_CACHE_HOME", XDG_CACHE_HOME=str(blocker / "cache"))
    done = run("status", "--repo", f"file://{hub}", env=env)
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert "cannot keep a mirror in" in line and "--cache-dir" in line


def test_home_that_cannot_be_written(hub: Path, tmp_path: Path) -> None:
    """HOME is a file: the controller (mirror) and the agent (state) exit 3 in one line each."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = env_without("XDG_CACHE_HOME", "XDG_STATE_HOME", HOME=str(blocker))
    done = run("controller", "--repo", f"file://{hub}", "--once", env=env)
    assert done.returncode == 3 and "cannot keep a mirror in" in one_line(done.stderr)
    done = run("agent", "--repo", str(hub), "--cluster", CLUSTER, "--local",
               str(tmp_path / "k"), "--once", env=env)  # fmt: skip
    assert done.returncode == 3 and "cannot create the state folder" in one_line(done.stderr)


def test_home_unset(hub: Path, tmp_path: Path) -> None:
    """Without HOME, commands that need no home folder work, and a mirror falls back cleanly."""
    env = env_without("HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
    done = run("validate", str(tmp_path), env=env)
    assert done.returncode == 1 and "S112" in done.stdout and "Traceback" not in done.stderr
    done = run("status", "--repo", f"file://{hub}", "--cache-dir", str(tmp_path / "c"), env=env)
    assert done.returncode == 0, done.stderr


def wait_until(check: Any, timeout: float = 30.0) -> None:
    """Poll ``check`` until it is true; fail after ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def start_localkube(config: Path, port: int) -> subprocess.Popen[bytes]:
    """A `gitops-ocm localkube` process on ``port``, once its kubeconfig is written."""
    config.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitops_ocm", "localkube", "--kubeconfig", str(config),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_until(config.exists)
    return proc


def test_api_server_going_away_under_a_running_agent(hub: Path, tmp_path: Path) -> None:
    """The API server stops mid-run: the agent reports it unavailable, keeps looping, recovers."""
    cluster, config, port = "us-dev-1", tmp_path / "kubeconfig", free_port()
    report = f"ocm/reports/{cluster}:cluster.yaml"

    def reported(reason: str) -> bool:
        done = subprocess.run(["git", "--git-dir", str(hub), "show", report], capture_output=True)
        return f"reason: {reason}".encode() in done.stdout

    server = start_localkube(config, port)
    agent = subprocess.Popen(
        [sys.executable, "-m", "gitops_ocm", "agent", "--repo", str(hub), "--cluster", cluster,
         "--kubeconfig", str(config), "--interval", "0.3", "--state", str(tmp_path / "state")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_until(lambda: reported("ManagedClusterAvailable"))
        server.terminate()
        server.wait(10)
        wait_until(lambda: reported("ManagedClusterKubeAPIServerUnavailable"))
        assert agent.poll() is None
        server = start_localkube(config, port)
        wait_until(lambda: reported("ManagedClusterAvailable"))
        assert agent.poll() is None
    finally:
        agent.terminate()
        server.terminate()
        server.wait(10)
    out, err = agent.communicate(timeout=10)
    assert agent.returncode == 0 and b"Traceback" not in err
    assert b"cluster: cannot reach the API server" in out
