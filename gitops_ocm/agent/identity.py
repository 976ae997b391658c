"""The agent's keys in its state folder: ``agent.key``, ``sealing.key`` and the pinned ``hub.pub``.

I/O. ``agent.key`` is the agent's Ed25519 private key, created on first start
by :func:`gitops_ocm.trust.keyfile.load_or_create` (mode 0600) and never
written anywhere else; only its public half leaves the spoke, in
``registration.yaml``. ``hub.pub`` is the controller key the agent pinned (one
``ssh-ed25519`` line), written atomically when a hub commit first verifies with
a key not pinned before. ``--hub-key`` is read by :func:`pin_argument`: a
``SHA256:...`` fingerprint, or a file holding the key's line. ``sealing.key``
is the agent's X25519 key (:func:`gitops_ocm.trust.keyfile.sealing_key`, 0600),
which opens the Secrets the hub seals to this cluster; its public half is
offered in ``registration.yaml`` too.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from gitops_ocm import errors
from gitops_ocm.agent import hubtrust
from gitops_ocm.trust import failure, keyfile, keys, sshsig

AGENT_KEY = "agent.key"
SEALING_KEY = "sealing.key"
HUB_KEY = "hub.pub"
FINGERPRINT_PREFIX = "SHA256:"
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def agent_signer(state: Path) -> sshsig.Signer:
    """The agent's signer, its key created in ``state`` on first use."""
    state.mkdir(parents=True, exist_ok=True)
    return keyfile.load_or_create(state / AGENT_KEY)


def sealing_key(state: Path) -> bytes:
    """The agent's X25519 sealing key (32 bytes), created in ``state`` on first use."""
    state.mkdir(parents=True, exist_ok=True)
    return keyfile.sealing_key(state / SEALING_KEY)


def pin_argument(value: str | None) -> hubtrust.Pin:
    """The pin ``--hub-key`` gives: a fingerprint, or the key in a file (none: empty)."""
    if not value:
        return hubtrust.Pin()
    if value.startswith(FINGERPRINT_PREFIX):
        if not FINGERPRINT.fullmatch(value):
            raise errors.UsageError(
                f"'--hub-key' fingerprint must be SHA256: and 43 base64 characters (got {value!r})"
            )
        return hubtrust.Pin(fingerprint=value)
    path = Path(value)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise errors.UsageError(
            f"'--hub-key' is neither a SHA256: fingerprint nor a readable key file "
            f"({path}: {exc.strerror})"
        ) from exc
    return hubtrust.Pin(key=_key_line(path, text))


def load_pin(state: Path) -> keys.PublicKey | None:
    """The key pinned in ``hub.pub`` (None before the first verified hub commit)."""
    path = state / HUB_KEY
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise errors.GitopsOcmError(f"{path}: cannot read the pinned hub key: {exc}") from exc
    return _key_line(path, text)


def pin(given: hubtrust.Pin, saved: keys.PublicKey | None) -> hubtrust.Pin:
    """The pin to judge with: ``--hub-key`` (``given``), completed by ``hub.pub``'s key."""
    if given.key is not None or saved is None:
        return given
    return hubtrust.Pin(key=saved, fingerprint=given.fingerprint)


def save_pin(state: Path, key: keys.PublicKey) -> None:
    """Write ``hub.pub`` atomically (a failure is an error of the tree: nothing is applied)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=state, prefix=".hub.pub-")
        with os.fdopen(fd, "w") as handle:
            handle.write(keys.PublicKey(key.blob).to_line() + "\n")
        os.replace(tmp, state / HUB_KEY)
    except OSError as exc:
        raise errors.GitopsOcmError(f"{state / HUB_KEY}: cannot pin the hub key: {exc}") from exc


def _key_line(path: Path, text: str) -> keys.PublicKey:
    """The key of a ``.pub`` file's first line, or a T606 naming the file."""
    lines = text.strip().splitlines()
    try:
        return keys.parse_line(lines[0] if lines else "")
    except failure.TrustError as exc:
        raise failure.TrustError(exc.code, exc.detail, f"{path}:1") from exc
