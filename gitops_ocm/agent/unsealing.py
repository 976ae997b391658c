"""Opening the SealedSecrets of a work with the cluster's sealing key, before it is applied.

Pure. The hub seals each value of a ``SealedSecret`` manifest again to this
cluster's key (``render.sealing``); :func:`opened` replaces each such manifest
by the ``v1`` Secret it holds, at the same place in the list, so the Secret is
applied in a Secret's kind order and the work's status names a Secret. A
manifest that does not open (sealed to another key, moved to another Secret,
altered, malformed) becomes that Secret without values and is *refused*: the
applier writes nothing for it (the Secret on the cluster, if any, stays as it
was, and stays in the inventory) and its Applied condition is False with the
reason. The opened values exist only in memory and on the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gitops_ocm.model.body import Body
from gitops_ocm.trust import failure, sealedsecret


def opened(body: Body, opener: bytes) -> tuple[Body, dict[int, str]]:
    """Return the work ``body`` with its SealedSecrets opened, and why each refused one was.

    ``opener`` is the cluster's X25519 private key; the second value maps the
    ordinal of each manifest that did not open to its message.
    """
    spec = body.get("spec")
    workload = spec.get("workload") if isinstance(spec, dict) else None
    manifests = workload.get("manifests") if isinstance(workload, dict) else None
    if not isinstance(manifests, list) or not any(map(sealedsecret.is_sealed, manifests)):
        return body, {}
    assert isinstance(spec, dict) and isinstance(workload, dict)
    out: list[Any] = []
    refused: dict[int, str] = {}
    for ordinal, manifest in enumerate(manifests):
        if not sealedsecret.is_sealed(manifest):
            out.append(manifest)
            continue
        try:
            out.append(sealedsecret.to_secret(manifest, opener))
        except failure.TrustError as exc:
            out.append(_empty(manifest))
            refused[ordinal] = f"{_named(manifest)} does not open here: {exc.code} {exc.detail}"
    return {**body, "spec": {**spec, "workload": {**workload, "manifests": out}}}, refused


def _empty(manifest: Mapping[str, Any]) -> Body:
    """The Secret a refused SealedSecret stands for, without values (never written)."""
    meta = manifest.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    names = {k: meta[k] for k in ("name", "namespace") if isinstance(meta.get(k), str)}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": names}


def _named(manifest: Mapping[str, Any]) -> str:
    meta = manifest.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    return f"SealedSecret {meta.get('namespace') or ''}/{meta.get('name') or ''}"
