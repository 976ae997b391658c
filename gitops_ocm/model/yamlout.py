"""Deterministic YAML output for every file gitops-ocm publishes.

Pure. The same object always gives the same bytes: Kubernetes' usual top-level
order (apiVersion, kind, metadata, spec, status, then the rest sorted), sorted
keys below that, block style, no aliases, UTF-8. Byte-identical output is what
lets the hub store skip unchanged blobs and share one blob across clusters.
"""

from __future__ import annotations

from typing import Any

import yaml

_TOP = ("apiVersion", "kind", "metadata", "spec", "status")


class _Dumper(yaml.CSafeDumper):
    """A safe dumper that never writes anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_presenter(dumper: _Dumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and not value.startswith(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def ordered(body: dict[str, Any]) -> dict[str, Any]:
    """Return ``body`` with the top-level keys in Kubernetes order, the rest sorted."""
    out = {k: body[k] for k in _TOP if k in body}
    for key in sorted(k for k in body if k not in _TOP):
        out[key] = body[key]
    return out


def dump(body: dict[str, Any]) -> bytes:
    """Serialize one object to canonical YAML bytes."""
    top = ordered(body)
    text = yaml.dump(
        {k: _sorted(v) for k, v in top.items()},
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return text.encode("utf-8")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def load(data: bytes) -> Any:
    """Read back one document we wrote (trusted input: our own published trees)."""
    return yaml.load(data, Loader=yaml.CSafeLoader)
