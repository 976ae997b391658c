"""The independent judges: ssh-keygen and stock git accept what this package signs, and only that.

These tests need ssh-keygen (openssh-client) and git; they fail, never skip, without them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pygit2
import pytest
import trustkit

from gitops_ocm.trust import commits, keyfile, keys, signers, sshsig

DATA = b"a report commit, or any bytes\n"


def _allowed(tmp_path: Path, principal: str, key: keys.PublicKey) -> Path:
    """An allowed-signers file rendered for one principal and key."""
    path = tmp_path / "allowed_signers"
    path.write_text(signers.render({principal: [key]}))
    return path


def _ssh_verify(tmp_path: Path, allowed: Path, principal: str, armored: str, data: bytes) -> bool:
    """Whether ``ssh-keygen -Y verify`` accepts the signature for the principal."""
    signature = tmp_path / "data.sig"
    signature.write_text(armored)
    args = ("-Y", "verify", "-f", str(allowed), "-I", principal, "-n", "git", "-s", str(signature))
    return trustkit.ssh_keygen(*args, data=data).returncode == 0


def test_ssh_keygen_verifies_our_signatures(tmp_path: Path) -> None:
    """ssh-keygen -Y verify accepts sshsig.sign's signature, and refuses other data or signer."""
    armored = sshsig.sign(trustkit.private(), DATA)
    allowed = _allowed(tmp_path, "hub", trustkit.public())
    assert _ssh_verify(tmp_path, allowed, "hub", armored, DATA)
    assert not _ssh_verify(tmp_path, allowed, "hub", armored, DATA + b"x")
    other = _allowed(tmp_path, "hub", trustkit.public(trustkit.SEED_B))
    assert not _ssh_verify(tmp_path, other, "hub", armored, DATA)


@pytest.mark.parametrize("options", [(), ("-O", "hashalg=sha256")], ids=["sha512", "sha256"])
def test_we_verify_ssh_keygen_signatures(tmp_path: Path, options: tuple[str, ...]) -> None:
    """A signature by ssh-keygen -Y sign verifies to its key; ours is byte-identical for SHA-512."""
    key = trustkit.write_key(tmp_path / "id")
    made = trustkit.ssh_keygen("-Y", "sign", "-f", str(key), "-n", "git", *options, data=DATA)
    assert made.returncode == 0, made.stderr
    assert sshsig.verify(made.stdout, DATA) == trustkit.public()
    if not options:
        assert made.stdout.decode("ascii") == sshsig.sign(trustkit.private(), DATA)


def test_fingerprint_matches_ssh_keygen(tmp_path: Path) -> None:
    """Our fingerprint is what ssh-keygen -lf prints for the key's .pub line."""
    signer = keyfile.load_or_create(tmp_path / "k")
    pub = tmp_path / "k.pub"
    pub.write_text(keys.from_raw(signer.public_key.raw, "c1").to_line() + "\n")
    listed = trustkit.ssh_keygen("-lf", str(pub), "-E", "sha256")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.decode().split()[1] == signer.fingerprint


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run stock git in ``repo`` with no user or system configuration."""
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo), "LC_ALL": "C"}
    env.pop("GIT_CONFIG_GLOBAL", None)
    return subprocess.run(
        [trustkit.tool("git"), "-C", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def _signed_commit(repo: pygit2.Repository, message: str, armored_for: bytes | None = None) -> str:
    """A commit signed with the test key (or carrying the signature made over ``armored_for``)."""
    signature = pygit2.Signature("Hub", "hub@example.com", 1700000000, 0)
    tree = repo.TreeBuilder().write()
    content = repo.create_commit_string(signature, signature, message, tree, [])
    data = content.encode("utf-8") if armored_for is None else armored_for
    armored = sshsig.sign(trustkit.private(), data)
    oid = repo.create_commit_with_signature(content, armored, "gpgsig")
    return str(oid)


def _verify_commit(tmp_path: Path, allowed: Path, commit: str) -> subprocess.CompletedProcess[str]:
    """Stock git verify-commit of ``commit`` against the allowed-signers file."""
    return _git(
        tmp_path / "repo",
        "-c",
        "gpg.format=ssh",
        "-c",
        f"gpg.ssh.allowedSignersFile={allowed}",
        "verify-commit",
        "-v",
        commit,
    )


def test_git_verify_commit_accepts_a_signed_commit(tmp_path: Path) -> None:
    """git verify-commit accepts a commit signed by sshsig and names principal and fingerprint."""
    repo = pygit2.init_repository(str(tmp_path / "repo"), bare=True)
    commit = _signed_commit(repo, "status: fold 1 report\n")
    allowed = _allowed(tmp_path, "hub", trustkit.public())
    verified = _verify_commit(tmp_path, allowed, commit)
    assert verified.returncode == 0, verified.stderr
    assert f'Good "git" signature for hub with ED25519 key {trustkit.public().fingerprint}' in (
        verified.stderr
    )


def test_git_verify_commit_refuses_another_key(tmp_path: Path) -> None:
    """A commit signed by a key the allowed-signers file does not list is refused by git."""
    repo = pygit2.init_repository(str(tmp_path / "repo"), bare=True)
    commit = _signed_commit(repo, "status: fold 1 report\n")
    allowed = _allowed(tmp_path, "hub", trustkit.public(trustkit.SEED_B))
    assert _verify_commit(tmp_path, allowed, commit).returncode != 0


def test_git_verify_commit_refuses_an_altered_commit(tmp_path: Path) -> None:
    """A signature moved onto another commit (content altered) is refused by git."""
    repo = pygit2.init_repository(str(tmp_path / "repo"), bare=True)
    signature = pygit2.Signature("Hub", "hub@example.com", 1700000000, 0)
    original = repo.create_commit_string(
        signature, signature, "honest\n", repo.TreeBuilder().write(), []
    )
    forged = _signed_commit(repo, "forged\n", armored_for=original.encode("utf-8"))
    allowed = _allowed(tmp_path, "hub", trustkit.public())
    verified = _verify_commit(tmp_path, allowed, forged)
    assert verified.returncode != 0 and "Good" not in verified.stderr


def _raw_signed(tmp_path: Path, trailing_newline: bool) -> tuple[bytes, str, bytes]:
    """A commit signed through libgit2 as git cat-file prints it, its signature and payload."""
    repo = pygit2.init_repository(str(tmp_path / "repo"), bare=True)
    signature = pygit2.Signature("Hub", "hub@example.com", 1700000000, 0)
    content = repo.create_commit_string(
        signature, signature, "hub: publish\n", repo.TreeBuilder().write(), []
    )
    armored = sshsig.sign(trustkit.private(), content.encode("utf-8"))
    given = armored if trailing_newline else armored.rstrip("\n")
    commit = str(repo.create_commit_with_signature(content, given, "gpgsig"))
    raw = _git(tmp_path / "repo", "cat-file", "commit", commit).stdout.encode("utf-8")
    return raw, armored, content.encode("utf-8")


def test_split_and_insert_agree_with_git_and_libgit2(tmp_path: Path) -> None:
    """The raw object git prints splits into signature and payload; insert rebuilds it exactly."""
    raw, armored, payload = _raw_signed(tmp_path, trailing_newline=False)
    assert commits.split(raw) == commits.Parts(armored, payload)
    assert commits.insert(payload, armored) == raw


def test_libgit2_trailing_space_line_still_splits(tmp_path: Path) -> None:
    """libgit2 adds a line of one space after a signature ending in a newline; it still verifies."""
    raw, armored, payload = _raw_signed(tmp_path, trailing_newline=True)
    parts = commits.split(raw)
    assert parts == commits.Parts(armored + "\n", payload)
    assert sshsig.verify(parts.signature or "", parts.payload) == trustkit.public()


def test_a_missing_judge_fails_loudly() -> None:
    """Without ssh-keygen or git these tests fail with the package to install; they never skip."""
    with pytest.raises(AssertionError, match="openssh-client"):
        trustkit.tool("ssh-keygen-that-does-not-exist")
