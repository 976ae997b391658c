"""Helpers of the trust tests: keys, and the independent judges ssh-keygen and git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import keykit
from cryptography.hazmat.primitives.asymmetric import ed25519

from gitops_ocm.trust import keyfile, keys

# Fixed keys, so failures are reproducible (Ed25519 signatures are deterministic).
SEED_A = keykit.HUB_SEED
SEED_B = keykit.OTHER_SEED
tool = keykit.tool  # the judges' commands: fails (never skips) when one is missing


def private(seed: bytes = SEED_A) -> ed25519.Ed25519PrivateKey:
    """The Ed25519 private key of a 32-byte seed."""
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed)


def public(seed: bytes = SEED_A) -> keys.PublicKey:
    """The public key of a seed."""
    return keykit.public(seed)


def write_key(path: Path, seed: bytes = SEED_A) -> Path:
    """Write the seed's private key as an OpenSSH file with mode 0600; return its path."""
    path.write_bytes(keyfile.encode(private(seed)))
    path.chmod(0o600)
    return path


def ssh_keygen(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run ssh-keygen with ``data`` on its standard input."""
    return subprocess.run(
        [tool("ssh-keygen"), *args], input=data, capture_output=True, check=False, timeout=30
    )
