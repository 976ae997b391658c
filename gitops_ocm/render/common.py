"""Shared pieces of the hub-store renderers: trimmed metadata and the decisions type.

Pure. Published objects carry only what identifies and labels them; server-set
metadata (uid, resourceVersion, managedFields...) never enters the hub tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Selected clusters per placement: (namespace, name) -> cluster names, sorted.
Decisions = Mapping[tuple[str, str], Sequence[str]]

_KEPT_METADATA = ("name", "namespace", "labels", "annotations")


def trimmed_metadata(metadata: Mapping[str, Any], *, namespace: bool = True) -> dict[str, Any]:
    """Return the user-owned part of ``metadata`` (namespace optional)."""
    out = {k: metadata[k] for k in _KEPT_METADATA if metadata.get(k)}
    if not namespace:
        out.pop("namespace", None)
    return out
