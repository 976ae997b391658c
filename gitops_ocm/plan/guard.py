"""The rules of the server-side guard: which ref updates ``hook pre-receive`` refuses.

Pure. The hook (``cli/hook.py``) reads the facts of each pushed ref (who signed
the new tip, the key its ``registration.yaml`` presents, the keys the current
``ocm/hub:allowed_signers`` accepts, whether the new tip descends from the old
one, what the change removes) and asks these functions whether to refuse it.
A refusal is one line, ``<ref>: <code> <message>``, with these codes
(docs/problem-codes.md, docs/security.md "The server-side guard"):

====  ===================================================================
T641  a ref below ``refs/heads/ocm/`` or ``refs/ocm/`` outside the layout
T642  a report tip signed neither by its cluster's accepted key nor, as a
      registration request, by the key its ``registration.yaml`` presents
T643  the report branch of a cluster with an accepted key is deleted
T644  an ``ocm/hub``, ``ocm/status`` or ``refs/ocm/hub/<cluster>`` tip not
      signed by the ``hub`` key
T645  ``main``, ``ocm/hub`` or ``ocm/status`` deleted or force-pushed; a
      ``refs/ocm/hub/<cluster>`` force-pushed, or deleted while ``ocm/hub``
      publishes the cluster
T646  a push to ``main`` removing works from more than the allowed share of
      the fleet's clusters, without the trailer ``Fleet-Removal: approved``
====  ===================================================================

Report tips are judged by :func:`gitops_ocm.status.signedtips.classify`, the
controller's own rule, so what the hook lets through is what the controller
folds or records as a request (it alone still checks that a report descends
from the last one folded, T624, and refuses keys retired since).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable

from gitops_ocm.plan import compare
from gitops_ocm.problems import Problem
from gitops_ocm.status import intake, signedtips
from gitops_ocm.trust import keys
from gitops_ocm.validation import names

ZERO = "0" * 40
HEADS = "refs/heads/"
OCM = "refs/heads/ocm/"
CONTROLLER_BRANCHES = ("ocm/hub", "ocm/status")
OWN_REFS = "refs/ocm/"  # refs outside refs/heads that the layout uses
CLUSTER_REFS = "refs/ocm/hub/"  # one per cluster (gitops_ocm.gitstore.clusterrefs)
HUB_PRINCIPAL = "hub"
APPROVAL_TRAILER = "Fleet-Removal"
APPROVAL_VALUE = "approved"
DEFAULT_SHARE = 0.5


class Kind(enum.Enum):
    """What a pushed ref is to the guard."""

    MAIN = "main"  # the protected branch
    CONTROLLER = "controller"  # ocm/hub, ocm/status: written by the controller only
    CLUSTER_HUB = "cluster-hub"  # refs/ocm/hub/<cluster>: written by the controller only
    REPORT = "report"  # ocm/reports/<cluster>: written by that cluster's agent only
    OUTSIDE = "outside"  # below ocm/ but outside the layout
    OTHER = "other"  # anything else: not guarded


@dataclasses.dataclass(frozen=True)
class Target:
    """A pushed ref: its kind, and for a report branch the cluster it reports for."""

    kind: Kind
    cluster: str | None = None


@dataclasses.dataclass(frozen=True)
class Update:
    """One ``<old> <new> <ref>`` line of the push."""

    old: str
    new: str
    ref: str

    @property
    def deletes(self) -> bool:
        """Whether the push deletes the ref."""
        return self.new == ZERO

    @property
    def creates(self) -> bool:
        """Whether the push creates the ref."""
        return self.old == ZERO


def target(ref: str, main: str) -> Target:
    """What ``ref`` is, ``main`` being the protected branch's full name."""
    if ref == main:
        return Target(Kind.MAIN)
    if ref.startswith(OWN_REFS):
        name = ref.removeprefix(CLUSTER_REFS) if ref.startswith(CLUSTER_REFS) else ""
        if name and "/" not in name and names.dns_label_problem(name) is None:
            return Target(Kind.CLUSTER_HUB, name)
        return Target(Kind.OUTSIDE)
    if not ref.startswith(OCM):
        return Target(Kind.OTHER)
    branch = ref.removeprefix(HEADS)
    if branch in CONTROLLER_BRANCHES:
        return Target(Kind.CONTROLLER)
    if branch.startswith(intake.PREFIX):
        cluster = intake.cluster_of(branch)
        if cluster is not None:
            return Target(Kind.REPORT, cluster)
    return Target(Kind.OUTSIDE)


def refusal(ref: str, code: str, message: str) -> str:
    """The line that refuses ``ref`` (the hook prefixes it with ``gitops-ocm: push rejected:``)."""
    return f"{ref}: {code} {message}"


def outside(ref: str) -> str:
    """T641 for a ref below ``ocm/`` outside the layout."""
    return refusal(
        ref,
        "T641",
        "branches below ocm/ are ocm/hub, ocm/status and ocm/reports/<cluster name> "
        "(a DNS label); refs below refs/ocm/ are refs/ocm/hub/<cluster name>",
    )


def report(
    update: Update,
    cluster: str,
    signature: signedtips.Signature,
    presented: keys.PublicKey | Problem,
    accepted: keys.PublicKey | None,
) -> str | None:
    """T642 when the new report tip is neither a report nor a registration request."""
    verdict = signedtips.classify(cluster, update.new, signature, presented, accepted, True)
    if verdict.kind is not signedtips.Kind.REFUSED or verdict.problem is None:
        return None
    problem = verdict.problem
    got = f" (got {problem.got})" if problem.got else ""
    return refusal(update.ref, "T642", f"{problem.code} {problem.message}{got}")


def report_deleted(update: Update, accepted: keys.PublicKey) -> str:
    """T643: deleting the report branch of a cluster with an accepted key."""
    return refusal(
        update.ref,
        "T643",
        f"the report branch of a cluster with an accepted key ({accepted.fingerprint}) "
        "cannot be deleted",
    )


def controller(update: Update, signature: signedtips.Signature, hub: keys.PublicKey) -> str | None:
    """T644 when a new tip of a controller's ref is not signed by the ``hub`` key."""
    if signature.signer == hub:
        return None
    if signature.signer is not None:
        why = f"signed by {signature.signer.fingerprint}"
    else:
        why = "unsigned" if signature.error is None else f"not verified: {signature.error}"
    return refusal(
        update.ref,
        "T644",
        f"the new tip {update.new[:12]} is not signed by the hub key {hub.fingerprint} "
        f"of ocm/hub:allowed_signers ({why})",
    )


def cluster_ref_deleted(update: Update, cluster: str) -> str:
    """T645: deleting the ref of a cluster that ``ocm/hub`` still publishes."""
    return refusal(
        update.ref,
        "T645",
        f"deleting {update.ref} is not allowed while ocm/hub publishes clusters/{cluster}/",
    )


def rewound(update: Update, descends: bool) -> str | None:
    """T645 when a branch that only moves forward is deleted or force-pushed."""
    if update.deletes:
        return refusal(update.ref, "T645", f"deleting {update.ref} is not allowed")
    if update.creates or descends:
        return None
    return refusal(
        update.ref,
        "T645",
        f"force-push refused: {update.new[:12]} does not descend from the current tip "
        f"{update.old[:12]}",
    )


def losing(plan: compare.Plan) -> tuple[str, ...]:
    """The clusters from which the change removes at least one ManifestWork, sorted."""
    return tuple(sorted(c.cluster for c in plan.clusters if c.works.get("removed")))


def fleet(files: Iterable[str]) -> tuple[str, ...]:
    """The clusters of a hub tree (those with a ``clusters/<c>/cluster.yaml``), sorted."""
    found = (compare.classify(path) for path in files)
    return tuple(sorted({f[1] for f in found if f is not None and f[0] == "ManagedCluster"}))


def removal(
    update: Update, losers: tuple[str, ...], clusters: int, share: float, approved: bool
) -> str | None:
    """T646 when works leave more than ``share`` of ``clusters`` clusters, unapproved."""
    if approved or not losers or len(losers) <= share * clusters:
        return None
    shown = ", ".join(losers[:5]) + (f" and {len(losers) - 5} more" if len(losers) > 5 else "")
    return refusal(
        update.ref,
        "T646",
        f"{update.new[:12]} removes works from {len(losers)} of {clusters} clusters "
        f"(more than {share:g} of the fleet: {shown}); add the trailer "
        f"'{APPROVAL_TRAILER}: {APPROVAL_VALUE}' to its message if that is meant",
    )


def approved(trailers: dict[str, str]) -> bool:
    """Whether a commit's trailers approve a large removal."""
    return trailers.get(APPROVAL_TRAILER, "").strip().lower() == APPROVAL_VALUE
