"""Which ``ocm/hub`` commits an agent may apply: the pinned controller key, and its verdict.

Pure: the signature, the payload it covers, the tip's ``allowed_signers`` and
whether the tip descends from the last applied commit are read by the shell
(:mod:`.reconciler`) and passed in. An agent applies a hub commit only when its
SSH signature verifies with the pinned hub key and it descends from the last hub
commit it applied (docs/agent.md, "Trusting the hub"). The key is pinned from
``--hub-key FILE`` (that key), ``--hub-key SHA256:...`` (the ``hub`` key of the
tip's ``allowed_signers`` with that fingerprint), the state folder's ``hub.pub``,
or, on first contact, the tip's single ``hub`` key when the tip verifies with it
(trust on first use). A refusal carries a code, an OCM-style reason and the
commit: T631 ``Unsigned``, T632 ``WrongKey``, T633 ``NotDescendant``.
"""

from __future__ import annotations

import dataclasses

from gitops_ocm.model.body import Body
from gitops_ocm.trust import failure, keys, signers, sshsig

PRINCIPAL = "hub"
CONDITION = "HubVerified"
UNSIGNED = ("T631", "Unsigned")
WRONG_KEY = ("T632", "WrongKey")
NOT_DESCENDANT = ("T633", "NotDescendant")


@dataclasses.dataclass(frozen=True)
class Pin:
    """What the agent trusts: a key (``--hub-key FILE`` or ``hub.pub``) or only a fingerprint."""

    key: keys.PublicKey | None = None
    fingerprint: str | None = None


NO_PIN = Pin()


@dataclasses.dataclass(frozen=True)
class Tip:
    """What the shell read of a hub tip for the verdict (never its prescriptions)."""

    commit: str
    signature: str | None
    payload: bytes
    allowed_signers: str | None  # the tip's root file, read only when the pin has no key
    descends: bool  # from the last applied hub commit (True when there is none)


@dataclasses.dataclass(frozen=True)
class Refused:
    """The tip is not applied, and why."""

    code: str
    reason: str
    commit: str
    detail: str

    @property
    def message(self) -> str:
        """The condition's message: the commit id and why."""
        return f"{PRINCIPAL} commit {self.commit} refused: {self.detail}"


@dataclasses.dataclass(frozen=True)
class Verified:
    """The tip verified with ``key``."""

    commit: str
    key: keys.PublicKey


def judge(tip: Tip, pin: Pin) -> Verified | Refused:
    """Return whether ``tip`` may be applied under ``pin``."""
    if tip.signature is None:
        return _refuse(UNSIGNED, tip, "the commit is not signed")
    expected = expected_key(pin, tip.allowed_signers)
    if isinstance(expected, str):
        return _refuse(WRONG_KEY, tip, expected)
    try:
        signer = sshsig.verify(tip.signature, tip.payload)
    except failure.TrustError as exc:
        return _refuse(WRONG_KEY, tip, f"its signature does not verify ({exc})")
    if signer != expected:
        detail = f"signed by {signer.fingerprint}, not by the pinned hub key {expected.fingerprint}"
        return _refuse(WRONG_KEY, tip, detail)
    if not tip.descends:
        return _refuse(NOT_DESCENDANT, tip, "it does not descend from the last applied hub commit")
    return Verified(tip.commit, expected)


def expected_key(pin: Pin, allowed_signers: str | None) -> keys.PublicKey | str:
    """Return the key the tip must be signed with, or why there is none."""
    if pin.key is not None and (pin.fingerprint in (None, pin.key.fingerprint)):
        return pin.key
    try:
        listed = signers.keys_for(signers.parse(allowed_signers or ""), PRINCIPAL)
    except failure.TrustError as exc:
        return f"its allowed_signers cannot be read ({exc})"
    if pin.fingerprint is not None:
        matching = [key for key in listed if key.fingerprint == pin.fingerprint]
        if not matching:
            return f"its allowed_signers lists no hub key {pin.fingerprint} (--hub-key)"
        return matching[0]
    if len(set(listed)) != 1:
        return f"its allowed_signers lists {len(set(listed))} hub keys, not one to pin"
    return listed[0]


def condition(verdict: Verified | Refused) -> Body:
    """The ``HubVerified`` condition of the ManagedCluster report (no time: stamped later)."""
    if isinstance(verdict, Refused):
        return _condition("False", verdict.reason, verdict.message)
    message = f"{PRINCIPAL} commits are signed by the pinned hub key {verdict.key.fingerprint}"
    return _condition("True", "Verified", message)


def _condition(status: str, reason: str, message: str) -> Body:
    return {"type": CONDITION, "status": status, "reason": reason, "message": message}


def _refuse(code: tuple[str, str], tip: Tip, detail: str) -> Refused:
    return Refused(code[0], code[1], tip.commit, detail)
