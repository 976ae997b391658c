"""Which key a report tip is signed with, and what that makes it: report, request or refused.

Pure. The gate (``hub.gate``) reads a report tip's signature, the key its
``registration.yaml`` presents and the key ``ocm/hub``'s ``allowed_signers``
accepts for the cluster; :func:`classify` decides (docs/status.md, "Signed
reports and registrations"):

- signed by the accepted key, and presenting it: a **report**, folded when it
  descends from the last report folded for the cluster (else T624);
- signed by the key it presents, which is not the accepted one: a
  **registration request** (recorded by :mod:`gitops_ocm.status.registrations`,
  nothing folded);
- anything else is **refused**, with these codes (docs/problem-codes.md):

====  ==============================================================
T621  the report tip is unsigned
T622  its signature does not verify, or it is signed by a key that is neither
      the accepted one nor the one its registration.yaml presents
T623  registration.yaml missing or damaged, naming another cluster, or its
      fingerprint annotation not that of its key
T624  the tip does not descend from the last report folded (rewound or replaced)
T625  the report branch of a cluster with an accepted key is deleted
====  ==============================================================
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from gitops_ocm.model import yamlout
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.trust import failure, keys, seal

PATH = "registration.yaml"
KEY_ANNOTATION = "gitops-ocm.io/agent-key"
PUBLIC_KEY_ANNOTATION = "gitops-ocm.io/agent-public-key"
SEALING_KEY_ANNOTATION = "gitops-ocm.io/agent-sealing-key"
API_VERSION = "cluster.open-cluster-management.io/v1"
KIND = "ManagedCluster"
PREFIX = "ocm/reports/"


class Kind(enum.Enum):
    """What a report tip is, by the key that signed it."""

    REPORT = "report"
    REQUEST = "request"
    REFUSED = "refused"


@dataclasses.dataclass(frozen=True)
class Signature:
    """What a tip's signature says, whoever accepts what: its signer, or why there is none.

    ``signer`` is the key the signature verifies with (None: unsigned, or
    ``error`` says why it does not verify).
    """

    signer: keys.PublicKey | None
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A tip's kind, the problem that refuses it, and the key it presents (for a request)."""

    kind: Kind
    problem: Problem | None = None
    key: keys.PublicKey | None = None


def presented_key(cluster: str, data: bytes | None) -> keys.PublicKey | Problem:
    """The key a tip's ``registration.yaml`` presents, or T623 saying what is wrong with it."""
    if data is None:
        return _problem(cluster, "T623", f"the report holds no {PATH}")
    try:
        body = yamlout.load(data)
    except yamlout.Unreadable as exc:
        return _problem(cluster, "T623", f"{PATH} is not readable: {exc.code} {exc.message}")
    if not isinstance(body, dict) or (body.get("apiVersion"), body.get("kind")) != (
        API_VERSION,
        KIND,
    ):
        return _problem(cluster, "T623", f"{PATH} holds one {API_VERSION} {KIND}")
    meta = _mapping(body.get("metadata"))
    if meta.get("name") != cluster:
        return _problem(
            cluster, "T623", f"{PATH} must name the branch's cluster", repr(meta.get("name"))
        )
    notes = _mapping(meta.get("annotations"))
    try:
        key = keys.parse_line(str(notes.get(PUBLIC_KEY_ANNOTATION) or ""))
    except failure.TrustError as exc:
        return _problem(cluster, "T623", f"{PUBLIC_KEY_ANNOTATION}: {exc.code} {exc.detail}")
    if notes.get(KEY_ANNOTATION) != key.fingerprint:
        got = str(notes.get(KEY_ANNOTATION))[:80]
        return _problem(
            cluster,
            "T623",
            f"{KEY_ANNOTATION} must be its key's fingerprint {key.fingerprint}",
            got,
        )
    return key


def sealing_line(data: bytes | None) -> str:
    """The ``x25519`` sealing key line a ``registration.yaml`` offers ("" when none or damaged).

    Read only from a tip the gate trusts (a request signed by the key it
    presents, or a report signed by the accepted key), so the signature vouches for it.
    """
    try:
        body = yamlout.load(data) if data is not None else None
    except yamlout.Unreadable:
        return ""
    notes = _mapping(_mapping(body).get("metadata")).get("annotations")
    line = _mapping(notes).get(SEALING_KEY_ANNOTATION)
    try:
        return seal.parse_line(line).to_line() if isinstance(line, str) else ""
    except failure.TrustError:
        return ""


def classify(
    cluster: str,
    commit: str,
    signature: Signature,
    presented: keys.PublicKey | Problem,
    accepted: keys.PublicKey | None,
    descends: bool,
    retired: AbstractSet[str] = frozenset(),
) -> Verdict:
    """What a report tip is (module docstring).

    ``descends``: from the last report folded; ``retired``: fingerprints once
    accepted for the cluster and no longer (their tips are refused, T622, not
    taken as new requests).
    """
    signer = signature.signer
    if signer is None:
        if signature.error is None:
            return _refused(cluster, "T621", "the report tip is unsigned", commit)
        return _refused(
            cluster, "T622", f"the signature does not verify: {signature.error}", commit
        )
    if isinstance(presented, Problem):
        got = _got(commit, signer) + (f" ({presented.got})" if presented.got else "")
        return Verdict(Kind.REFUSED, dataclasses.replace(presented, got=got))
    if signer == accepted:
        if presented != signer:
            return _refused(
                cluster, "T623", f"{PATH} presents {presented.fingerprint}", commit, signer
            )
        if not descends:
            return _refused(
                cluster,
                "T624",
                "the branch was rewound or replaced: its tip does not descend from the last "
                "report folded",
                commit,
                signer,
            )
        return Verdict(Kind.REPORT)
    if signer.fingerprint in retired:
        return _refused(
            cluster, "T622", "signed by a key main no longer accepts (revoked or rotated)", commit,
            signer,
        )  # fmt: skip
    if signer == presented:
        return Verdict(Kind.REQUEST, key=signer)
    accepted_text = accepted.fingerprint if accepted is not None else "none"
    return _refused(
        cluster,
        "T622",
        f"signed by a key that is neither the accepted one ({accepted_text}) nor the one "
        f"{PATH} presents ({presented.fingerprint})",
        commit,
        signer,
    )


def deleted(cluster: str, fingerprint: str) -> Problem:
    """T625: the report branch of a cluster with an accepted key is gone; its state is kept."""
    return Problem(
        f"{PREFIX}{cluster}",
        1,
        1,
        "T625",
        "",
        "the report branch was deleted; the last verified report is kept",
        f"accepted key {fingerprint}",
        Severity.ERROR,
    )


def _refused(
    cluster: str, code: str, message: str, commit: str, signer: keys.PublicKey | None = None
) -> Verdict:
    return Verdict(Kind.REFUSED, _problem(cluster, code, message, _got(commit, signer)))


def _got(commit: str, signer: keys.PublicKey | None) -> str:
    return f"commit {commit} signed by {signer.fingerprint if signer else 'nobody'}"


def _problem(cluster: str, code: str, message: str, got: str | None = None) -> Problem:
    return Problem(f"{PREFIX}{cluster}", 1, 1, code, "", message, got, Severity.ERROR)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
