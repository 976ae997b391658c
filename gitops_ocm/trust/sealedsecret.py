"""The ``SealedSecret`` kind: a Secret whose values are sealed (:mod:`.seal`), safe to commit.

Pure. ``gitops-ocm seal`` makes one from a Secret (:func:`from_secret`), the
hub seals each value again to every receiving cluster (:func:`resealed`), and
the agent turns it back into the Secret it applies (:func:`to_secret`).
The document (docs/security.md, "Sealed secrets"; ``schemas/sealedsecret.json``)::

    apiVersion: gitops-ocm.io/v1alpha1
    kind: SealedSecret
    metadata: {name: db, namespace: apps}      # the Secret's
    spec:
      encryptedData: {password: "v1:SHA256:..."}
      template: {type: Opaque, labels: {...}, annotations: {...}}

Each value is bound to (namespace, name, key), so it opens only where it was
sealed for. Malformed documents and values that do not open raise ``TrustError``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any

from gitops_ocm.trust import failure, seal

API_VERSION = "gitops-ocm.io/v1alpha1"
KIND = "SealedSecret"
_TEMPLATE = ("type", "labels", "annotations")

Draw = Callable[[int], bytes]


def is_sealed(manifest: Any) -> bool:
    """Return whether a manifest is one of our SealedSecrets."""
    return (
        isinstance(manifest, dict)
        and manifest.get("kind") == KIND
        and manifest.get("apiVersion") == API_VERSION
    )


def is_secret(manifest: Any) -> bool:
    """Return whether a manifest is a core ``v1`` Secret."""
    return (
        isinstance(manifest, dict)
        and manifest.get("kind") == "Secret"
        and manifest.get("apiVersion") == "v1"
    )


def from_secret(secret: Mapping[str, Any], key: seal.SealingKey, draw: Draw) -> dict[str, Any]:
    """Return the SealedSecret of a Secret, every value sealed to ``key``.

    ``draw(n)`` returns ``n`` random bytes (``os.urandom`` in the CLI).
    ``stringData`` wins over ``data`` for a key in both, as the API server does.
    """
    if not is_secret(secret):
        raise failure.TrustError(seal.FORMAT, "a Secret (apiVersion v1, kind Secret) is needed")
    meta = _mapping(secret.get("metadata"), "metadata")
    values = _values(secret)
    where = _where(meta)
    sealed = {
        name: seal.seal(key, value, where(name), draw(seal.KEY_SIZE), draw(seal.NONCE_SIZE))
        for name, value in sorted(values.items())
    }
    template = {"type": secret.get("type") or "Opaque"}
    for field in ("labels", "annotations"):
        if meta.get(field):
            template[field] = meta[field]
    return _document(meta, {k: v.to_text() for k, v in sealed.items()}, template)


def resealed(
    doc: Mapping[str, Any],
    opener: bytes,
    recipient: seal.SealingKey,
    secret: bytes,
) -> dict[str, Any]:
    """Return ``doc`` with each value opened with ``opener`` and sealed again to ``recipient``.

    The random bytes are :func:`seal.derived` from ``secret`` (the hub's own
    sealing key), so the same document and recipient give the same bytes.
    """
    meta, encrypted, template = _parts(doc)
    where = _where(meta)
    out = {}
    for name, text in sorted(encrypted.items()):
        value = seal.open_value(opener, _parse(text, name), where(name))
        ephemeral, nonce = seal.derived(secret, recipient, where(name), value)
        out[name] = seal.seal(recipient, value, where(name), ephemeral, nonce).to_text()
    return _document(meta, out, template)


def to_secret(doc: Mapping[str, Any], opener: bytes) -> dict[str, Any]:
    """Return the Secret a SealedSecret holds, each value opened with ``opener``."""
    meta, encrypted, template = _parts(doc)
    where = _where(meta)
    data = {
        name: base64.b64encode(seal.open_value(opener, _parse(text, name), where(name))).decode()
        for name, text in sorted(encrypted.items())
    }
    metadata = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    for field in ("labels", "annotations"):
        if template.get(field):
            metadata[field] = dict(template[field])
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": template.get("type") or "Opaque",
        "data": data,
    }


def _document(
    meta: Mapping[str, Any], encrypted: dict[str, str], template: Mapping[str, Any]
) -> dict[str, Any]:
    metadata = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "spec": {"encryptedData": encrypted, "template": dict(template)},
    }


def _parts(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """Return (metadata, encryptedData, template) of a SealedSecret, checking their types."""
    if not is_sealed(doc):
        raise failure.TrustError(seal.FORMAT, f"a {API_VERSION} {KIND} is needed")
    meta = _mapping(doc.get("metadata"), "metadata")
    spec = _mapping(doc.get("spec"), "spec")
    encrypted = _mapping(spec.get("encryptedData"), "spec.encryptedData")
    if not all(isinstance(v, str) for v in encrypted.values()):
        raise failure.TrustError(seal.FORMAT, "every spec.encryptedData value is a string")
    template = _mapping(spec.get("template") or {}, "spec.template")
    return meta, encrypted, {k: template[k] for k in _TEMPLATE if k in template}


def _values(secret: Mapping[str, Any]) -> dict[str, bytes]:
    """Return a Secret's values as bytes: ``data`` decoded, then ``stringData`` over it."""
    out: dict[str, bytes] = {}
    for name, text in _mapping(secret.get("data") or {}, "data").items():
        try:
            out[str(name)] = base64.b64decode(str(text).encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error) as exc:
            raise failure.TrustError(
                seal.FORMAT, f"data.{name} is not valid base64 (a Secret's data is base64)"
            ) from exc
    for name, text in _mapping(secret.get("stringData") or {}, "stringData").items():
        out[str(name)] = str(text).encode("utf-8")
    return out


def _where(meta: Mapping[str, Any]) -> Callable[[str], seal.Where]:
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise failure.TrustError(seal.FORMAT, "metadata.name is needed")
    namespace = str(meta.get("namespace") or "")
    return lambda key: seal.Where(namespace, name, key)


def _parse(text: str, name: str) -> seal.Sealed:
    try:
        return seal.parse(text)
    except failure.TrustError as exc:
        raise failure.TrustError(exc.code, f"spec.encryptedData.{name}: {exc.detail}") from exc


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise failure.TrustError(seal.FORMAT, f"{what} is a mapping")
    return value
