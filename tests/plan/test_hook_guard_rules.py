"""The guard's pure rules (gitops_ocm.plan.guard), table-driven: ref kinds, descent, removals."""

from __future__ import annotations

import keykit
import pytest

from gitops_ocm.plan import compare, guard
from gitops_ocm.status import signedtips

MAIN = "refs/heads/main"
OLD, NEW = "a" * 40, "b" * 40


@pytest.mark.parametrize(
    ("ref", "kind", "cluster"),
    [
        (MAIN, guard.Kind.MAIN, None),
        ("refs/heads/feature", guard.Kind.OTHER, None),
        ("refs/tags/ocm/x", guard.Kind.OTHER, None),
        ("refs/heads/ocm/hub", guard.Kind.CONTROLLER, None),
        ("refs/heads/ocm/status", guard.Kind.CONTROLLER, None),
        ("refs/heads/ocm/reports/c1", guard.Kind.REPORT, "c1"),
        ("refs/heads/ocm/reports/c1/x", guard.Kind.OUTSIDE, None),
        ("refs/heads/ocm/reports/C1", guard.Kind.OUTSIDE, None),
        ("refs/heads/ocm/reports/", guard.Kind.OUTSIDE, None),
        ("refs/heads/ocm/hub/x", guard.Kind.OUTSIDE, None),
        ("refs/heads/ocm/other", guard.Kind.OUTSIDE, None),
    ],
    ids=lambda value: str(value),
)
def test_target(ref: str, kind: guard.Kind, cluster: str | None) -> None:
    """Each ref name gets its kind, and a report branch its cluster."""
    assert guard.target(ref, MAIN) == guard.Target(kind, cluster)


@pytest.mark.parametrize(
    ("old", "new", "descends", "code"),
    [
        (OLD, NEW, True, None),
        (guard.ZERO, NEW, False, None),
        (OLD, NEW, False, "T645 force-push refused"),
        (OLD, guard.ZERO, False, "T645 deleting"),
    ],
    ids=["forward", "created", "force-push", "deleted"],
)
def test_rewound(old: str, new: str, descends: bool, code: str | None) -> None:
    """A forward-only branch may be created or moved forward, not deleted or rewound."""
    found = guard.rewound(guard.Update(old, new, MAIN), descends)
    assert (found is None) == (code is None)
    if code is not None:
        assert found is not None and found.startswith(f"{MAIN}: {code}")


def _plan(losers: list[str]) -> compare.Plan:
    """A plan in which ``losers`` lose a work and c9 only gains one."""
    clusters = [compare.ClusterChange(c, {"removed": ("w",)}, {}, None) for c in losers]
    clusters.append(compare.ClusterChange("c9", {"added": ("w",)}, {}, None))
    return compare.Plan(compare.Totals(), (), (), tuple(clusters))


@pytest.mark.parametrize(
    ("losers", "share", "approved", "refused"),
    [
        (["c1", "c2"], 0.5, False, False),
        (["c1", "c2", "c3"], 0.5, False, True),
        (["c1", "c2", "c3"], 0.5, True, False),
        (["c1"], 0.0, False, True),
        (["c1", "c2", "c3", "c4"], 1.0, False, False),
        ([], 0.0, False, False),
    ],
    ids=["half", "more-than-half", "approved", "share-zero", "share-one", "nothing-removed"],
)
def test_removal(losers: list[str], share: float, approved: bool, refused: bool) -> None:
    """Works leaving more than share x fleet clusters are refused unless approved."""
    found = guard.losing(_plan(losers))
    assert found == tuple(losers)
    result = guard.removal(guard.Update(OLD, NEW, MAIN), found, 4, share, approved)
    assert (result is not None) == refused
    if result is not None:
        assert result.startswith(f"{MAIN}: T646 {NEW[:12]} removes works from {len(losers)} of 4")


def test_fleet_is_the_clusters_of_a_hub_tree() -> None:
    """Only clusters/<c>/cluster.yaml files name the fleet's clusters."""
    files = [
        "clusters/c2/cluster.yaml",
        "clusters/c1/cluster.yaml",
        "clusters/c3/manifestworks/w.yaml",
    ]
    assert guard.fleet(files) == ("c1", "c2")


@pytest.mark.parametrize(
    ("trailers", "approved"),
    [
        ({"Fleet-Removal": "approved"}, True),
        ({"Fleet-Removal": "Approved "}, True),
        ({"Fleet-Removal": "no"}, False),
        ({"Fleet-Removals": "approved"}, False),
        ({}, False),
    ],
    ids=["approved", "case-and-space", "other-value", "other-key", "none"],
)
def test_approved(trailers: dict[str, str], approved: bool) -> None:
    """Only the trailer Fleet-Removal: approved approves a large removal."""
    assert guard.approved(trailers) is approved


def test_controller_tip_signed_by_the_hub_key_passes() -> None:
    """The hub key's signature passes; another key's is T644 naming it."""
    update = guard.Update(OLD, NEW, "refs/heads/ocm/hub")
    hub, other = keykit.public(), keykit.public(keykit.OTHER_SEED)
    assert guard.controller(update, signedtips.Signature(hub), hub) is None
    found = guard.controller(update, signedtips.Signature(other), hub)
    assert found is not None and f"(signed by {other.fingerprint})" in found


def test_report_uses_the_controllers_rule() -> None:
    """A report by the accepted key and a request by the presented key pass; unsigned is T642."""
    update = guard.Update(OLD, NEW, "refs/heads/ocm/reports/c1")
    accepted, fresh = keykit.public(keykit.seed("c1")), keykit.public(keykit.seed("new"))
    signed = signedtips.Signature(accepted)
    assert guard.report(update, "c1", signed, accepted, accepted) is None
    assert guard.report(update, "c1", signedtips.Signature(fresh), fresh, accepted) is None
    found = guard.report(update, "c1", signedtips.Signature(None), accepted, accepted)
    assert found is not None and found.startswith("refs/heads/ocm/reports/c1: T642 T621")
