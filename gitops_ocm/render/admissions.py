"""Which accepted clusters the hub publishes to, and the ``allowed_signers`` file of ``ocm/hub``.

Pure. A cluster accepted on main (``spec.hubAcceptsClient: true``) names its
agent's key by fingerprint in the annotation ``gitops-ocm.io/agent-key``. The
hub knows that key when the previous hub tree's ``allowed_signers`` lists it for
the cluster (accepted on an earlier pass) or when the status tree holds the
cluster's registration request (``registrations/<c>.yaml``, its ``publicKey``)
with that fingerprint. A known key is *admitted*: it goes to ``allowed_signers``
under the cluster's name and the cluster's folder is published. Otherwise the
cluster is *awaiting its agent*: nothing is published for it and the controller
lists it.

A cluster without the annotation is awaiting in ``registration: keys`` (the
default) and published as before in ``registration: open``, which every pass
flags with warning T626. Revocation needs no state: a cluster no longer accepted,
or whose annotation is removed or changed, has no line in the next file.

An admitted cluster's *sealing key* (docs/security.md, "Sealed secrets") is the
``sealingKey`` its registration record holds beside the admitted key: offered
in a request signed by that key, or in a report signed by it.

``allowed_signers`` also lists the controller's key under ``hub`` (when given),
so ``git verify-commit`` with that file checks any tip of ``ocm/hub``,
``ocm/status`` or a report branch. A file that would list no key at all (an
unsigned controller, open registration, no keyed cluster) is left out, so such
a hub tree is what it was before signing existed. The same inputs give the same
bytes.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping

from gitops_ocm.model import repoconfig, yamlout
from gitops_ocm.model.snapshot import Snapshot
from gitops_ocm.problems import Problem, Severity
from gitops_ocm.trust import failure, keys, seal, signers

PATH = "allowed_signers"
HUB = "hub"
AGENT_KEY = "gitops-ocm.io/agent-key"
REGISTRATIONS = "registrations"
OPEN_MODE = "T626"


@dataclasses.dataclass(frozen=True)
class Admission:
    """The outcome for one desired state: the keys the hub trusts and who is still waiting.

    ``cluster_keys`` maps each admitted cluster with a key to it; ``awaiting``
    names the accepted clusters that receive nothing yet.
    """

    cluster_keys: Mapping[str, keys.PublicKey]
    awaiting: frozenset[str]
    hub_key: keys.PublicKey | None
    problems: tuple[Problem, ...] = ()
    sealing_keys: Mapping[str, seal.SealingKey] = dataclasses.field(default_factory=dict)

    def signers_file(self) -> bytes | None:
        """Return ``allowed_signers``: ``hub`` and every admitted cluster's key, sorted.

        None when there is no key to list (the file is then left out of the tree).
        """
        listed: dict[str, tuple[keys.PublicKey, ...]] = {
            name: (key,) for name, key in self.cluster_keys.items()
        }
        if self.hub_key is not None:
            listed[HUB] = (self.hub_key,)
        return signers.render(listed).encode("ascii") if listed else None


def admit(
    snapshot: Snapshot,
    previous: Mapping[str, bytes],
    status: Mapping[str, bytes],
    hub_key: keys.PublicKey | None,
) -> Admission:
    """Return who is admitted and awaiting for ``snapshot`` (assumed valid)."""
    mode = snapshot.config.registration
    known = previous_keys(previous.get(PATH))
    admitted: dict[str, keys.PublicKey] = {}
    sealing: dict[str, seal.SealingKey] = {}
    awaiting: set[str] = set()
    seen: set[str] = set()
    for obj in snapshot.of_kind("ManagedCluster"):
        if obj.name in seen or obj.spec.get("hubAcceptsClient") is not True:
            continue
        seen.add(obj.name)
        annotations = obj.metadata.get("annotations")
        wanted = annotations.get(AGENT_KEY) if isinstance(annotations, dict) else None
        if not isinstance(wanted, str) or not wanted:
            if mode != repoconfig.OPEN:
                awaiting.add(obj.name)
            continue
        offered = _requested_keys(status.get(_request_path(obj.name)))
        key = _find(wanted, known.get(obj.name, ()), [k for k, _ in offered])
        if key is None or not signers.PRINCIPAL.fullmatch(obj.name):
            awaiting.add(obj.name)
            continue
        admitted[obj.name] = key
        sealing_key = _sealing_key(offered, key)
        if sealing_key is not None:
            sealing[obj.name] = sealing_key
    found = (_open_warning(),) if mode == repoconfig.OPEN else ()
    return Admission(
        dict(sorted(admitted.items())),
        frozenset(awaiting),
        hub_key,
        found,
        dict(sorted(sealing.items())),
    )


def _sealing_key(
    offered: list[tuple[keys.PublicKey, str]], key: keys.PublicKey
) -> seal.SealingKey | None:
    """Return the sealing key offered with ``key`` (None: none, or a damaged line)."""
    for candidate, line in offered:
        if candidate == key and line:
            with contextlib.suppress(failure.TrustError):
                return seal.parse_line(line)
    return None


def previous_keys(data: bytes | None) -> dict[str, tuple[keys.PublicKey, ...]]:
    """Return the keys of an earlier ``allowed_signers`` by principal (unreadable: none)."""
    if data is None:
        return {}
    try:
        entries = signers.parse(data.decode("utf-8"), PATH)
    except (UnicodeDecodeError, failure.TrustError):
        return {}  # written by us; a damaged file only means keys must be offered again
    out: dict[str, tuple[keys.PublicKey, ...]] = {}
    for entry in entries:
        for principal in entry.principals:
            out[principal] = (*out.get(principal, ()), entry.key)
    return out


def hub_key_of(data: bytes | None) -> keys.PublicKey | None:
    """Return the ``hub`` key an earlier ``allowed_signers`` lists (None: none)."""
    found = previous_keys(data).get(HUB, ())
    return found[0] if found else None


def _find(
    fingerprint: str, known: tuple[keys.PublicKey, ...], offered: list[keys.PublicKey]
) -> keys.PublicKey | None:
    """Return the key with ``fingerprint``: already listed, else offered in a request."""
    for key in (*known, *offered):
        if key.fingerprint == fingerprint:
            return key
    return None


def _requested_keys(data: bytes | None) -> list[tuple[keys.PublicKey, str]]:
    """The keys a ``registrations/<c>.yaml`` offers: its ``publicKey``, then its
    ``earlierRequests`` (a person may accept an earlier request with ``accept
    --fingerprint``), each with the sealing key line offered with it ("" none).
    Unreadable entries offer nothing."""
    if data is None:
        return []
    try:
        body = yamlout.load(data)
    except yamlout.Unreadable:
        return []
    if not isinstance(body, dict):
        return []
    earlier = body.get("earlierRequests")
    items = [body, *(earlier if isinstance(earlier, list) else [])]
    found: list[tuple[keys.PublicKey, str]] = []
    for item in items:
        line = item.get("publicKey") if isinstance(item, dict) else None
        if isinstance(line, str):
            sealing = item.get("sealingKey")
            with contextlib.suppress(failure.TrustError):
                found.append((keys.parse_line(line), sealing if isinstance(sealing, str) else ""))
    return found


def _request_path(cluster: str) -> str:
    return f"{REGISTRATIONS}/{cluster}.yaml"


def _open_warning() -> Problem:
    return Problem(
        repoconfig.CONFIG_FILE,
        1,
        1,
        OPEN_MODE,
        "/registration",
        "registration is open: accepted clusters that name no agent key get their "
        "prescriptions and their unsigned reports count; set 'registration: keys' once "
        "every cluster has registered",
        severity=Severity.WARNING,
    )
