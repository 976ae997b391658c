"""Re-sealing on the hub: each cluster's works carry Secrets only that cluster can open.

Pure: a :class:`Resealer` is a long-lived object (one per controller, holding
its X25519 sealing key and a memo), like :class:`engine.Engine`; it reads and
writes nothing. A ``SealedSecret`` on main is sealed to the controller's key
(``gitops-ocm seal``, docs/security.md). :meth:`Resealer.apply` takes a
render and, in every work file of a cluster folder that holds SealedSecret
manifests, opens each value with the controller's key and seals it again to
that cluster's sealing key (:attr:`admissions.Admission.sealing_keys`). Its
random bytes are derived (:func:`trust.seal.derived`), so the same commit and
keys give byte-identical files, and ``ocm/hub`` holds no plaintext.

- A cluster without a sealing key gets no plaintext: the work is left out of
  its folder, with warning F405 at the work's source (file, line).
- A value that does not open with the controller's key (sealed to another key,
  moved to another Secret, altered) is error F406: the commit is refused like
  any invalid one.

The tree's root gets ``sealing.pub``, the controller's public sealing key (what
``gitops-ocm seal --repo`` reads). Every cluster holding a sealed work is
marked changed in an incremental render, so a new cluster key is applied
without any other change; the publisher writes only folders whose bytes moved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.model.snapshot import Obj
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.render import admissions, engine
from gitops_ocm.trust import failure, seal, sealedsecret

PUBLIC_FILE = "sealing.pub"
NO_KEY = "F405"
NOT_OPEN = "F406"
_MARK = b"kind: SealedSecret"
_WORKS = "manifestworks/"


@dataclasses.dataclass(frozen=True)
class _Refused:
    """Why a work file could not be sealed for a cluster: its code and message."""

    code: str
    message: str


class Resealer:
    """The controller's sealing key, and the files it sealed last pass (a memo)."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self.public = seal.public_of(secret)
        self._memo: dict[tuple[bytes, bytes], bytes | _Refused] = {}
        self._holding: set[str] = set()  # clusters that held sealed works after the last pass

    def public_file(self) -> bytes:
        """Return ``sealing.pub``: the public key's line."""
        return (self.public.to_line() + "\n").encode("ascii")

    def apply(
        self, rendered: engine.Rendered, admission: admissions.Admission | None
    ) -> engine.Rendered:
        """Return ``rendered`` with every sealed work re-sealed per cluster (see the module)."""
        tree = rendered.tree
        keys = admission.sealing_keys if admission is not None else {}
        memo, self._memo = self._memo, {}
        clusters = dict(tree.clusters)
        holding: set[str] = set()
        found: dict[Problem, None] = {}
        sources: dict[tuple[str, str], Any] = {}
        # A full render is scanned whole; an incremental one only where a sealed work can be:
        # its changed clusters and those that held one (only a change gives a cluster one).
        scan: set[str] | frozenset[str] = set(tree.clusters)
        if rendered.dirty is not None:
            scan = (rendered.dirty | self._holding) & tree.clusters.keys()
        for cluster in scan:
            files = tree.clusters[cluster]
            sealed = [p for p, data in files.items() if p.startswith(_WORKS) and _MARK in data]
            if not sealed:
                continue
            holding.add(cluster)
            folder = dict(files)
            for path in sealed:
                outcome = self._sealed(memo, folder[path], keys.get(cluster))
                if isinstance(outcome, bytes):
                    folder[path] = outcome
                    continue
                del folder[path]
                if not sources:
                    sources = {(w.cluster, f"{_WORKS}{w.name}.yaml"): w.source for w in tree.works}
                source = sources.get((cluster, path))
                found[_problem(outcome, cluster, path, source)] = None
            clusters[cluster] = folder
        self._holding = holding
        top = {**tree.top, PUBLIC_FILE: self.public_file()}
        problems = tuple(sorted([*tree.problems, *found]))
        new_tree = dataclasses.replace(tree, top=top, clusters=clusters, problems=problems)
        if rendered.dirty is None or rendered.top_changes is None:
            return dataclasses.replace(rendered, tree=new_tree)
        top_changes = {**rendered.top_changes, PUBLIC_FILE: top[PUBLIC_FILE]}
        dirty = rendered.dirty | holding
        return dataclasses.replace(rendered, tree=new_tree, dirty=dirty, top_changes=top_changes)

    def _sealed(
        self,
        memo: Mapping[tuple[bytes, bytes], bytes | _Refused],
        data: bytes,
        key: seal.SealingKey | None,
    ) -> bytes | _Refused:
        """Return the work file ``data`` sealed to ``key``, or why it cannot be."""
        memo_key = (data, key.raw if key is not None else b"")
        outcome = memo.get(memo_key) or self._memo.get(memo_key)
        if outcome is None:
            outcome = resealed(data, self.secret, key)
        self._memo[memo_key] = outcome
        return outcome


def resealed(data: bytes, secret: bytes, key: seal.SealingKey | None) -> bytes | _Refused:
    """Return a work file with each SealedSecret sealed to ``key`` (``secret`` opens them)."""
    body = yamlout.load_mapping(data)
    workload = _mapping(_mapping(body.get("spec")).get("workload"))
    manifests = workload.get("manifests")
    if not isinstance(manifests, list) or not any(map(sealedsecret.is_sealed, manifests)):
        return data
    if key is None:
        return _Refused(NO_KEY, "")
    out: list[Any] = []
    for manifest in manifests:
        if not sealedsecret.is_sealed(manifest):
            out.append(manifest)
            continue
        try:
            out.append(sealedsecret.resealed(manifest, secret, key, secret))
        except failure.TrustError as exc:
            meta = _mapping(manifest.get("metadata"))
            name = f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"
            return _Refused(NOT_OPEN, f"SealedSecret {name}: {exc.code} {exc.detail}")
    workload = {**workload, "manifests": out}
    spec = {**_mapping(body.get("spec")), "workload": workload}
    return yamlout.dump({**body, "spec": spec})


def _problem(refused: _Refused, cluster: str, path: str, source: Obj | None) -> Problem:
    """The problem at the work's source (its file and line; the hub path when unknown)."""
    work = path[len(_WORKS) : -len(".yaml")]
    if source is not None:
        where, line, column = source.doc.path, source.doc.line, source.doc.column
        pointer = "/spec" + ("/manifestWorkTemplate" if source.kind != "ManifestWork" else "")
    else:
        where, line, column, pointer = f"clusters/{cluster}/{path}", 1, 1, "/spec"
    pointer += "/workload/manifests"
    if refused.code == NO_KEY:
        message = (
            f"cluster {cluster} has offered no sealing key yet: work '{work}' holds "
            "SealedSecrets and is not published to it (its agent offers one on its next report)"
        )
        return Problem(where, line, column, NO_KEY, pointer, message, severity=Severity.WARNING)
    message = (
        f"{refused.message}; it does not open with the controller's sealing key "
        "(seal the Secret again with 'gitops-ocm seal --repo')"
    )
    return Problem(where, line, column, NOT_OPEN, pointer, message)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
