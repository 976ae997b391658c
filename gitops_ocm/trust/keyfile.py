"""The private key file: loaded, or created once, and never written anywhere else.

I/O. An agent's key is created in its state folder on first start and a
controller's at ``--signing-key``; the key must never leave that file. It is an
unencrypted Ed25519 key in OpenSSH's format (what ``ssh-keygen -t ed25519 -N ''``
writes, so people can inspect it with their own tools), mode 0600. Creation is
atomic and never overwrites: the key is written to a temporary file in the same
folder (``tempfile.mkstemp``: ``O_EXCL``, mode 0600), synced, then hard-linked to its name;
when two processes race, the loser reads the winner's key. A key file that group
or others may read or write, or that is not such a key, is refused with the path
(T607, T608), as ssh refuses one.

The sealing key (docs/security.md, "Sealed secrets") is kept the same way
beside the signing key: an X25519 key in PKCS#8 PEM (what ``openssl genpkey
-algorithm x25519`` writes), loaded as its 32 raw bytes by :func:`sealing_key`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import stat
import tempfile
from collections.abc import Callable
from typing import TypeVar

from cryptography import exceptions as crypto_exceptions
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

from gitops_ocm import errors
from gitops_ocm.trust import failure, sshsig

T = TypeVar("T")
MAX_SIZE = 16 * 1024
HEADER = b"-----BEGIN OPENSSH PRIVATE KEY-----"
PKCS8_HEADER = b"-----BEGIN PRIVATE KEY-----"


def load_or_create(path: pathlib.Path) -> sshsig.Signer:
    """Return the signer of the key at ``path``, creating a new Ed25519 key there when absent.

    Missing folders on the way are created, readable by their owner only.
    """
    key = _load_or_create(path, _parse, lambda: encode(ed25519.Ed25519PrivateKey.generate()))
    return sshsig.Signer(key)


def sealing_key(path: pathlib.Path) -> bytes:
    """Return the 32 raw bytes of the X25519 sealing key at ``path``, created when absent."""
    return _load_or_create(
        path, _sealing, lambda: encode_sealing(x25519.X25519PrivateKey.generate())
    )


def _load_or_create(
    path: pathlib.Path,
    parse: Callable[[pathlib.Path, bytes], T],
    make: Callable[[], bytes],
) -> T:
    """Return ``parse`` of the key file at ``path``, writing ``make()`` there first when absent."""
    try:
        return parse(path, _read(path))
    except FileNotFoundError:
        pass
    with contextlib.suppress(FileExistsError):  # another process created it first: use that key
        _create(path, make())
    try:
        return parse(path, _read(path))
    except FileNotFoundError as exc:
        raise errors.NotFound(f"{path}: no such key file") from exc


def encode_sealing(private_key: x25519.X25519PrivateKey) -> bytes:
    """Return ``private_key`` as an unencrypted PKCS#8 PEM file."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _sealing(path: pathlib.Path, data: bytes) -> bytes:
    """Return the raw X25519 key of a PKCS#8 PEM file's bytes, or fail with T608."""
    key = _private_key(
        path, data, PKCS8_HEADER, ("a PKCS#8 PEM", "PKCS#8"), serialization.load_pem_private_key
    )
    if not isinstance(key, x25519.X25519PrivateKey):
        raise failure.TrustError(
            failure.KEY_FILE, f"an X25519 key is needed (got {type(key).__name__})", str(path)
        )
    return key.private_bytes_raw()


def load(path: pathlib.Path) -> sshsig.Signer:
    """Return the signer of the existing key at ``path`` (``errors.NotFound`` when absent)."""
    try:
        return _load(path)
    except FileNotFoundError as exc:
        raise errors.NotFound(f"{path}: no such key file") from exc


def _load(path: pathlib.Path) -> sshsig.Signer:
    """Return the signer of the key at ``path``; FileNotFoundError when there is none."""
    return sshsig.Signer(_parse(path, _read(path)))


def _read(path: pathlib.Path) -> bytes:
    """Return a key file's bytes after checking its mode; FileNotFoundError when absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise failure.TrustError(
                failure.KEY_FILE, "the key file is a symlink", str(path)
            ) from exc
        raise errors.GitopsOcmError(f"{path}: cannot open the key file: {exc.strerror}") from exc
    try:
        _check_mode(path, os.fstat(fd))
        data = os.read(fd, MAX_SIZE + 1)
    finally:
        os.close(fd)
    return data


def encode(private_key: ed25519.Ed25519PrivateKey) -> bytes:
    """Return ``private_key`` as an unencrypted OpenSSH private key file."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )


def _check_mode(path: pathlib.Path, info: os.stat_result) -> None:
    """Refuse a key that is not a regular file or that group or others may use."""
    if not stat.S_ISREG(info.st_mode):
        raise failure.TrustError(failure.KEY_FILE, "the key file is not a regular file", str(path))
    if info.st_mode & 0o077:
        mode = oct(stat.S_IMODE(info.st_mode))[2:]
        raise failure.TrustError(
            failure.KEY_FILE_MODE,
            f"the private key file may be read or written by group or others "
            f"(mode {mode}); chmod 600 it",
            str(path),
        )


def _parse(path: pathlib.Path, data: bytes) -> ed25519.Ed25519PrivateKey:
    """Return the Ed25519 key of an OpenSSH private key file's bytes, or fail with T608."""
    key = _private_key(
        path, data, HEADER, ("an OpenSSH", "OpenSSH"), serialization.load_ssh_private_key
    )
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise failure.TrustError(
            failure.KEY_FILE, f"an Ed25519 key is needed (got {type(key).__name__})", str(path)
        )
    return key


def _private_key(
    path: pathlib.Path,
    data: bytes,
    header: bytes,
    names: tuple[str, str],
    load: Callable[..., object],
) -> object:
    """Read an unencrypted private key file (bounded size, ``header`` first), or fail with T608.

    ``names``: how messages call the file ("an OpenSSH") and the key ("OpenSSH").
    """
    file_name, kind = names
    if len(data) > MAX_SIZE or not data.lstrip().startswith(header):
        raise failure.TrustError(failure.KEY_FILE, f"not {file_name} private key file", str(path))
    try:
        return load(data, password=None)
    except (ValueError, TypeError, crypto_exceptions.UnsupportedAlgorithm) as exc:
        # TypeError: the key is encrypted; UnsupportedAlgorithm: a key type cryptography lacks
        raise failure.TrustError(
            failure.KEY_FILE, f"not a readable unencrypted {kind} key ({exc})", str(path)
        ) from exc


def _create(path: pathlib.Path, data: bytes) -> None:
    """Write a new key to ``path`` atomically; FileExistsError when one appeared meanwhile."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise errors.GitopsOcmError(f"{path}: cannot create the key file: {exc.strerror}") from exc
    temporary = pathlib.Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise errors.GitopsOcmError(f"{path}: cannot create the key file: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _sync_folder(path.parent)


def _sync_folder(folder: pathlib.Path) -> None:
    """Make the new name durable (fsync of the folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise errors.GitopsOcmError(
            f"{folder}: cannot sync the key's folder: {exc.strerror}"
        ) from exc
