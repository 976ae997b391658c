"""Classifying a report tip by its signature, and the registration records (pure)."""

from __future__ import annotations

import keykit
import pytest

from gitops_ocm.model import yamlout
from gitops_ocm.problems import Problem
from gitops_ocm.status import registrations, signedtips
from gitops_ocm.trust import keys

A, B = keykit.public(keykit.seed("a")), keykit.public(keykit.seed("b"))
COMMIT = "0" * 40
Sig = signedtips.Signature


def presented(cluster: str, key: keys.PublicKey, **changes: object) -> bytes:
    """A registration.yaml presenting ``key`` (with ``changes`` to its annotations/name)."""
    notes = {
        signedtips.KEY_ANNOTATION: key.fingerprint,
        signedtips.PUBLIC_KEY_ANNOTATION: key.to_line(),
    }
    notes.update({k.replace("_", "/"): v for k, v in changes.items() if k != "name"})
    meta = {"name": changes.get("name", cluster), "annotations": notes}
    body = {"apiVersion": signedtips.API_VERSION, "kind": "ManagedCluster", "metadata": meta}
    return yamlout.dump(body)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (None, "holds no registration.yaml"),
        (b"a: [\n", "not readable"),
        (b"kind: Lease\n", "holds one"),
        (presented("c1", A, name="c2"), "must name the branch's cluster"),
        (presented("c1", A, **{"gitops-ocm.io/agent-key": "SHA256:x"}), "fingerprint"),
        (presented("c1", A, **{"gitops-ocm.io/agent-public-key": "ssh-rsa AAAA"}), "T606"),
    ],
    ids=["missing", "not-yaml", "wrong-kind", "other-cluster", "fingerprint", "bad-key"],
)
def test_damaged_registration_is_t623(data: bytes | None, fragment: str) -> None:
    """Every way registration.yaml can be wrong is T623, saying how."""
    found = signedtips.presented_key("c1", data)
    assert isinstance(found, Problem) and found.code == "T623"
    assert fragment in found.message + (found.got or "")


def test_registration_presents_its_key() -> None:
    """A well-formed registration.yaml gives its key."""
    assert signedtips.presented_key("c1", presented("c1", A)) == A


CASES = {
    # name: (signature, presented, accepted, descends, retired, kind, code)
    "report": (Sig(A), A, A, True, (), "report", None),
    "unsigned": (Sig(None), A, A, True, (), "refused", "T621"),
    "bad-signature": (Sig(None, "T605 no"), A, A, True, (), "refused", "T622"),
    "other-key": (Sig(B), A, A, True, (), "refused", "T622"),
    "rewound": (Sig(A), A, A, False, (), "refused", "T624"),
    "presents-another": (Sig(A), B, A, True, (), "refused", "T623"),
    "request": (Sig(B), B, None, True, (), "request", None),
    "rotation-request": (Sig(B), B, A, True, (), "request", None),
    "retired-key": (Sig(A), A, B, True, (A.fingerprint,), "refused", "T622"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_classify(name: str) -> None:
    """Each tip is a report, a request or refused with its code, commit and fingerprint."""
    signature, shown, accepted, descends, retired, kind, code = CASES[name]
    verdict = signedtips.classify(
        "c1", COMMIT, signature, shown, accepted, descends, frozenset(retired)
    )
    assert verdict.kind.value == kind
    if code is None:
        assert verdict.problem is None
    else:
        assert verdict.problem is not None and verdict.problem.code == code
        assert COMMIT in (verdict.problem.got or "")
        signer = signature.signer.fingerprint if signature.signer else "nobody"
        assert signer in (verdict.problem.got or "")


def test_record_states_follow_the_accepted_key() -> None:
    """Pending until accepted; a rotation keeps the old one listed, Superseded once replaced."""
    record = registrations.requested(None, "c1", A, "1" * 40, "2026-01-01T00:00:00Z")
    assert registrations.settled(record, None).request.state == "Pending"
    record = registrations.settled(record, A.fingerprint)
    assert record.request.state == "Accepted"
    record = registrations.requested(record, "c1", B, "2" * 40, "2026-01-02T00:00:00Z")
    record = registrations.settled(record, A.fingerprint)
    assert (record.request.state, record.earlier[0].state) == ("Pending", "Accepted")
    record = registrations.settled(record, B.fingerprint)
    assert (record.request.state, record.earlier[0].state) == ("Accepted", "Superseded")
    assert registrations.retired(record, B.fingerprint) == {A.fingerprint}


def test_record_round_trips() -> None:
    """A record reads back equal from its file, and the file is deterministic."""
    record = registrations.requested(None, "c1", A, "1" * 40, "2026-01-01T00:00:00Z")
    record = registrations.reported(record, "c1", A, "3" * 40, "2026-01-01T00:00:00Z")
    data = registrations.to_yaml(record)
    assert registrations.from_yaml("c1", data) == record
    assert registrations.to_yaml(registrations.from_yaml("c1", data) or record) == data
    assert registrations.from_yaml("c2", data) is None


def test_readme_sections() -> None:
    """Pending requests are a table; clusters awaiting their agent are listed."""
    record = registrations.requested(None, "c1", A, "1" * 40, "2026-01-01T00:00:00Z")
    text = registrations.readme_section([record], ["c9"])
    assert f"| c1 | `{A.fingerprint}` | 2026-01-01T00:00:00Z | `111111111111` |" in text
    assert "## Awaiting agent" in text and "- c9" in text
    empty = registrations.readme_section([], [])
    assert "No pending registration request." in empty and "Awaiting" not in empty
