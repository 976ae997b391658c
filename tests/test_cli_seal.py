"""``gitops-ocm seal``: a Secret in, a SealedSecret out, with the CLI's exit codes."""

from __future__ import annotations

import base64
import io
import subprocess
from pathlib import Path

import pytest

from gitops_ocm.cli import main
from gitops_ocm.model import yamlout
from gitops_ocm.trust import seal, sealedsecret

HUB = bytes(range(1, 33))
SECRET = b"""apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
type: Opaque
data:
  password: aHVudGVyMg==
stringData:
  user: admin
"""


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A file holding the controller's public sealing key line."""
    path = tmp_path / "sealing.pub"
    path.write_text(seal.public_of(HUB).to_line() + "\n")
    return path


def test_seal_file_to_stdout(
    key_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Secret file sealed with --key prints a SealedSecret that opens with the hub's key."""
    path = tmp_path / "secret.yaml"
    path.write_bytes(SECRET)
    assert main.main(["seal", str(path), "--key", str(key_file)]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and "aHVudGVyMg" not in out and "admin" not in out
    secret = sealedsecret.to_secret(yamlout.load(out), HUB)
    assert base64.b64decode(secret["data"]["password"]) == b"hunter2"
    assert base64.b64decode(secret["data"]["user"]) == b"admin"


def test_seal_stdin_to_out_file(
    key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no FILE the Secret is read from stdin; --out writes the document there."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SECRET)))
    out = tmp_path / "sealed.yaml"
    assert main.main(["seal", "--key", str(key_file), "--out", str(out)]) == 0
    assert yamlout.load(out.read_bytes())["kind"] == "SealedSecret"


def test_seal_reads_key_from_hub_branch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--repo reads ocm/hub:sealing.pub; a repository without it exits 1."""
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "ocm/hub", str(repo)], check=True)
    secret = tmp_path / "secret.yaml"
    secret.write_bytes(SECRET)
    assert main.main(["seal", str(secret), "--repo", str(repo)]) == 1
    assert "no sealing.pub" in capsys.readouterr().err
    (repo / "sealing.pub").write_text(seal.public_of(HUB).to_line() + "\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@x"]
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "hub"], check=True)
    assert main.main(["seal", str(secret), "--repo", str(repo)]) == 0
    assert yamlout.load(capsys.readouterr().out)["kind"] == "SealedSecret"


@pytest.mark.parametrize(
    ("argv", "data", "code", "message"),
    [
        pytest.param([], SECRET, 2, "exactly one of", id="no-key"),
        pytest.param(["--key", "KEY", "--repo", "."], SECRET, 2, "exactly one of", id="both"),
        pytest.param(["--key", "/nonexistent"], SECRET, 2, "cannot read --key", id="no-key-file"),
        pytest.param(["--key", "KEY"], b"kind: ConfigMap\n", 1, "one Secret", id="not-a-secret"),
        pytest.param(
            ["--key", "KEY"],
            SECRET.replace(b"  namespace: apps\n", b""),
            1,
            "metadata.namespace",
            id="no-namespace",
        ),
        pytest.param(
            ["--key", "KEY"], SECRET.replace(b"aHVudGVyMg==", b"abc$"), 1, "base64", id="bad-data"
        ),
        pytest.param(["--key", "KEY"], b"a: [\n", 1, "S1", id="not-yaml"),
    ],
)
def test_seal_refusals(
    argv: list[str],
    data: bytes,
    code: int,
    message: str,
    key_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Bad input exits 1 and a usage mistake 2, each with one clear line, never a traceback."""
    path = tmp_path / "secret.yaml"
    path.write_bytes(data)
    args = [str(key_file) if a == "KEY" else a for a in argv]
    assert main.main(["seal", str(path), *args]) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "internal error" not in err


def test_seal_refuses_a_key_file_without_a_sealing_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --key file holding an SSH key is T661 with the file's name, exit 1."""
    key = tmp_path / "wrong.pub"
    key.write_text("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA\n")
    path = tmp_path / "secret.yaml"
    path.write_bytes(SECRET)
    assert main.main(["seal", str(path), "--key", str(key)]) == 1
    assert f"{key}:1: T661" in capsys.readouterr().err
