"""Kubeconfig files for the local API server.

``render`` is pure; ``write`` does the file I/O (atomically, mode 0600). The token
is a fixed placeholder: the local server accepts any client on loopback.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml


def render(
    server_url: str, *, name: str = "localkube", namespace: str = "default"
) -> dict[str, Any]:
    """Return a kubeconfig with one cluster, user and current context named ``name``."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server_url}}],
        "users": [{"name": name, "user": {"token": "localkube"}}],
        "contexts": [
            {"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}
        ],
        "current-context": name,
        "preferences": {},
    }


def write(path: Path, server_url: str, *, name: str = "localkube") -> Path:
    """Write a kubeconfig for ``server_url`` to ``path`` and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(render(server_url, name=name), sort_keys=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kubeconfig-")
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
