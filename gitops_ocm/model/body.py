"""The raw body of a Kubernetes object, or of a part of one, as parsed from YAML or JSON.

Pure; a type only. ``Body`` is the one name for a plain JSON-like mapping with
string keys (what the API server sends, what a manifest holds). An object of
the desired state with its identity and position is :class:`snapshot.Obj`.
"""

from __future__ import annotations

from typing import Any

Body = dict[str, Any]
