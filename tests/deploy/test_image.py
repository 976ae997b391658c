"""The image: its entry point, run with the environment the Dockerfile declares, works as non-root.

Without a container runtime in CI, the Dockerfile's ENV, USER and ENTRYPOINT are
read from the file and the same entry point is run in a subprocess with that
environment. Absolute paths of the image are moved under a temporary root, and
HOME points below a regular file, so any use of the home folder fails (as in a
pod whose root file system is read-only).
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import deploykit
import pygit2
import pytest
import repokit

DOCKERFILE = deploykit.ROOT / "Dockerfile"
ENTRY_POINTS = {"gitops-ocm": Path(sys.executable).parent / "gitops-ocm"}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def image() -> dict[str, Any]:
    """The Dockerfile's environment, user, entry point and RUN commands."""
    env: dict[str, str] = {}
    spec: dict[str, Any] = {"env": env, "run": []}
    for word, rest in instructions(DOCKERFILE.read_text()):
        if word == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))
        elif word == "USER":
            spec["user"] = rest
        elif word == "ENTRYPOINT":
            spec["entrypoint"] = json.loads(rest)
        elif word == "RUN":
            spec["run"].append(rest)
    return spec


def under(root: Path, env: dict[str, str]) -> dict[str, str]:
    """The image's environment with its absolute paths moved below ``root``."""
    return {k: str(root / v.lstrip("/")) if v.startswith("/") else v for k, v in env.items()}


@pytest.fixture
def hub(bare_repo: Path) -> Path:
    """A bare repository with a small valid fleet on main."""
    cluster = repokit.CLUSTER.format(name="c1", region="eu")
    repokit.commit_files(bare_repo, {"clusters/c1.yaml": cluster})
    return bare_repo


@pytest.fixture
def run_image(tmp_path: Path) -> Any:
    """Run the image's entry point with the image's environment; return (result, env)."""
    spec = image()
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = under(tmp_path / "image-root", spec["env"])
    env["HOME"] = str(blocker / "home")
    env["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    for folder in (env["GITOPS_OCM_STATE_DIR"], env["XDG_CACHE_HOME"] + "/gitops-ocm"):
        Path(folder).mkdir(parents=True, mode=0o700)  # made by the Dockerfile's RUN

    def run(*args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
        command = [str(ENTRY_POINTS[spec["entrypoint"][0]]), *spec["entrypoint"][1:], *args]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        return done, env

    return run


def test_dockerfile_declares_what_operators_expect() -> None:
    """Unbuffered output, a non-root numeric user, the CLI as entry point, state and cache set."""
    spec = image()
    assert spec["env"]["PYTHONUNBUFFERED"] == "1"
    assert int(spec["user"].split(":")[0]) != 0
    assert spec["entrypoint"] == ["gitops-ocm"]
    assert {"GITOPS_OCM_STATE_DIR", "XDG_STATE_HOME", "XDG_CACHE_HOME", "HOME"} <= set(spec["env"])


def test_dockerfile_installs_from_the_lock_with_hashes() -> None:
    """Dependencies come from runtime.lock with --require-hashes; the project adds none."""
    runs = image()["run"]
    locked = [r for r in runs if "--require-hashes" in r]
    assert len(locked) == 1 and "--no-deps -r requirements/runtime.lock" in locked[0]
    project = [r for r in runs if "pip install" in r and "--require-hashes" not in r]
    assert project and all("--no-deps" in r for r in project)


def test_controller_keeps_key_and_mirror_where_the_image_says(hub: Path, run_image: Any) -> None:
    """controller --once on a URL: key in GITOPS_OCM_STATE_DIR (0600), mirror in XDG_CACHE_HOME."""
    done, env = run_image("controller", "--repo", f"file://{hub}", "--once")
    assert done.returncode == 0, done.stderr
    key = Path(env["GITOPS_OCM_STATE_DIR"]) / "controller.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert f"signing with {key}" in done.stderr
    assert list((Path(env["XDG_CACHE_HOME"]) / "gitops-ocm").glob("*.git"))
    assert pygit2.Repository(str(hub)).references.get("refs/heads/ocm/hub") is not None


def test_agent_keeps_its_key_where_the_image_says(run_image: Any) -> None:
    """An agent without --state keeps its key in $XDG_STATE_HOME/gitops-ocm/<cluster>."""
    done, env = run_image("agent", "--cluster", "eu-prod-1", "--print-key")
    assert done.returncode == 0, done.stderr
    key = Path(env["XDG_STATE_HOME"]) / "gitops-ocm" / "eu-prod-1" / "agent.key"
    assert key.is_file() and done.stdout.startswith("ssh-ed25519 ")


def test_without_the_image_env_the_home_is_needed(hub: Path, run_image: Any) -> None:
    """The check can fail: without the image's XDG_CACHE_HOME the mirror needs HOME, exit 3."""
    _, env = run_image("--version")
    env = {k: v for k, v in env.items() if k != "XDG_CACHE_HOME"}
    command = [str(ENTRY_POINTS["gitops-ocm"]), "controller", "--repo", f"file://{hub}", "--once"]
    failed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 3 and "cannot keep a mirror" in failed.stderr
