"""The private key file: created once with mode 0600, loaded, and refused when unsafe."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import trustkit
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gitops_ocm import errors
from gitops_ocm.trust import failure, keyfile, sshsig


def test_created_once_with_mode_0600_and_nothing_else(tmp_path: Path) -> None:
    """A missing key is created with mode 0600, no other file is left, and it is reused."""
    path = tmp_path / "agent.key"
    first = keyfile.load_or_create(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert sorted(os.listdir(tmp_path)) == ["agent.key"]
    assert path.read_bytes().startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    assert keyfile.load_or_create(path).public_key == first.public_key


def test_missing_folders_are_created_for_the_owner_only(tmp_path: Path) -> None:
    """A key path under folders that do not exist yet creates them, mode 0700."""
    path = tmp_path / "state" / "hub" / "controller.key"
    keyfile.load_or_create(path)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(path.parent).st_mode & 0o777 == 0o700


def test_creation_ignores_a_permissive_umask(tmp_path: Path) -> None:
    """The key is 0600 even when the process umask would allow more."""
    old = os.umask(0)
    try:
        keyfile.load_or_create(tmp_path / "k")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "k").st_mode & 0o777 == 0o600


def test_racing_creators_agree_on_one_key(tmp_path: Path) -> None:
    """Several threads creating the same key all end with the one key that won."""
    path = tmp_path / "k"
    found: list[str] = []

    def create() -> None:
        found.append(keyfile.load_or_create(path).fingerprint)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and found[0] == keyfile.load(path).fingerprint
    assert sorted(os.listdir(tmp_path)) == ["k"]


def test_existing_ssh_keygen_key_is_loaded(tmp_path: Path) -> None:
    """A key written by ssh-keygen is loaded as is and signs as that key."""
    path = tmp_path / "id"
    made = trustkit.ssh_keygen("-q", "-t", "ed25519", "-N", "", "-C", "c1", "-f", str(path))
    assert made.returncode == 0, made.stderr
    signer = keyfile.load(path)
    assert signer.public_key.to_line() == " ".join((tmp_path / "id.pub").read_text().split()[:2])
    assert sshsig.verify(signer.sign(b"x"), b"x") == signer.public_key


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o644])
def test_group_or_other_access_is_refused_with_the_path(tmp_path: Path, mode: int) -> None:
    """A key group or others may use is refused (T607) naming the file; it is not rewritten."""
    path = trustkit.write_key(tmp_path / "k")
    path.chmod(mode)
    before = path.read_bytes()
    with pytest.raises(failure.TrustError) as caught:
        keyfile.load_or_create(path)
    assert caught.value.code == failure.KEY_FILE_MODE and str(path) in str(caught.value)
    assert path.read_bytes() == before


def _ecdsa_key() -> bytes:
    """An ECDSA private key in OpenSSH format (not Ed25519)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )


def _pkcs8_key() -> bytes:
    """An Ed25519 key in PKCS#8 PEM, not OpenSSH's format."""
    return trustkit.private().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not a key\n", id="text"),
        pytest.param(b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n", id="truncated"),
        pytest.param(b"-----BEGIN OPENSSH PRIVATE KEY-----\n" + b"A" * 20000, id="too-large"),
        pytest.param(_ecdsa_key(), id="ecdsa"),
        pytest.param(_pkcs8_key(), id="pkcs8"),
    ],
)
def test_not_an_ed25519_openssh_key_is_refused(tmp_path: Path, content: bytes) -> None:
    """A file that is not an unencrypted Ed25519 OpenSSH key is refused (T608) naming the file."""
    path = tmp_path / "k"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(failure.TrustError) as caught:
        keyfile.load_or_create(path)
    assert caught.value.code == failure.KEY_FILE and str(path) in str(caught.value)
    assert path.read_bytes() == content


def test_symlink_and_folder_are_refused(tmp_path: Path) -> None:
    """A symlink or a folder in place of the key file is refused (T608), never followed."""
    target = trustkit.write_key(tmp_path / "real")
    (tmp_path / "link").symlink_to(target)
    (tmp_path / "dir").mkdir()
    for name in ("link", "dir"):
        with pytest.raises(failure.TrustError) as caught:
            keyfile.load(tmp_path / name)
        assert caught.value.code == failure.KEY_FILE


def test_a_folder_that_cannot_be_made_is_a_runtime_failure(tmp_path: Path) -> None:
    """A key whose folder cannot be created (a file is in the way): a runtime failure (exit 3)."""
    (tmp_path / "absent").write_text("a file, not a folder")
    path = tmp_path / "absent" / "k"
    with pytest.raises(errors.GitopsOcmError) as caught:
        keyfile.load_or_create(path)
    assert caught.value.exit_code == 3 and str(path) in str(caught.value)


def test_encrypted_key_is_refused(tmp_path: Path) -> None:
    """A key protected by a passphrase (ssh-keygen -N) is refused (T608): nobody can type it."""
    path = tmp_path / "k"
    made = trustkit.ssh_keygen("-q", "-t", "ed25519", "-N", "secret", "-f", str(path))
    assert made.returncode == 0, made.stderr
    with pytest.raises(failure.TrustError) as caught:
        keyfile.load(path)
    assert caught.value.code == failure.KEY_FILE and str(path) in str(caught.value)


def test_load_of_a_missing_key_names_it(tmp_path: Path) -> None:
    """Loading an absent key is NotFound (exit 2) naming the path; nothing is created."""
    with pytest.raises(errors.NotFound) as caught:
        keyfile.load(tmp_path / "k")
    assert str(tmp_path / "k") in str(caught.value) and not (tmp_path / "k").exists()


def test_sealing_key_created_once_0600_and_reused(tmp_path: Path) -> None:
    """The X25519 sealing key is created 0600 as PKCS#8 PEM, in a 0700 folder, and reused."""
    path = tmp_path / "state" / "sealing.key"
    first = keyfile.sealing_key(path)
    assert len(first) == 32
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(path.parent).st_mode & 0o777 == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert keyfile.sealing_key(path) == first


def test_sealing_key_refused_when_unsafe_or_not_x25519(tmp_path: Path) -> None:
    """A readable sealing key is T607; an Ed25519 OpenSSH key in its place is T608."""
    path = tmp_path / "sealing.key"
    keyfile.sealing_key(path)
    path.chmod(0o644)
    with pytest.raises(failure.TrustError) as caught:
        keyfile.sealing_key(path)
    assert caught.value.code == failure.KEY_FILE_MODE
    other = tmp_path / "agent.key"
    keyfile.load_or_create(other)
    with pytest.raises(failure.TrustError) as caught:
        keyfile.sealing_key(other)
    assert caught.value.code == failure.KEY_FILE
