"""The fold believes only what each cluster signed with its accepted key (issue 15, point 5).

Each case pushes real signed or unsigned commits to a report branch of a
temporary repository whose ``ocm/hub`` carries ``allowed_signers``, runs the
status fold, and checks the folded state of the cluster, the problem listed
with commit and fingerprint, and the registration records.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pygit2
import pytest
import signkit
import yaml
from hubkit import git
from signkit import NOW, key, push, report_files

from gitops_ocm.gitstore import remote, writer
from gitops_ocm.hub import folding

AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000)
C1, C2 = "c1", "c2"
LATER = NOW + datetime.timedelta(seconds=30)


def branch(cluster: str) -> str:
    """The report branch of a cluster."""
    return f"ocm/reports/{cluster}"


def status_file(repo: Path, path: str) -> str:
    """A file of ocm/status."""
    return git(repo, "show", f"ocm/status:{path}")


def folder(repo: Path, cluster: str) -> str | None:
    """The tree id of a cluster's folder in ocm/status (None: absent)."""
    listed = git(repo, "ls-tree", "ocm/status", f"clusters/{cluster}").split()
    return listed[2] if listed else None


def listed(repo: Path) -> list[dict[str, str]]:
    """The report problems of controller.yaml."""
    if "controller.yaml" not in git(repo, "ls-tree", "--name-only", "ocm/status").split():
        return []
    body = yaml.safe_load(status_file(repo, "controller.yaml"))
    return list(body["status"].get("reportProblems") or [])


def record(repo: Path, cluster: str) -> dict[str, Any]:
    """A cluster's registrations/<c>.yaml."""
    return dict(yaml.safe_load(status_file(repo, f"registrations/{cluster}.yaml")))


class Fleet:
    """A repository with c1 and c2 accepted with their keys, and a status folder over it."""

    def __init__(self, tmp_path: Path) -> None:
        self.repo = tmp_path / "fleet.git"
        pygit2.init_repository(str(self.repo), bare=True, initial_head="main")
        self.accepted = {C1: key(C1).public_key, C2: key(C2).public_key}
        signkit.hub(self.repo, self.accepted, [C1, C2])
        self.folder = self.new_folder()
        for cluster in (C1, C2):
            push(
                self.repo,
                branch(cluster),
                report_files(cluster, key(cluster).public_key),
                key(cluster),
            )
        self.fold(NOW)

    def new_folder(self) -> folding.StatusFolder:
        """A status folder as a (re)started controller has it."""
        return folding.StatusFolder(remote.open_store(str(self.repo)), AUTHOR)

    def fold(self, now: datetime.datetime) -> None:
        """One fold at ``now``."""
        self.folder.fold(folding.Pass(now=now))

    def good(self, cluster: str, when: datetime.datetime) -> str:
        """Push a good report of ``cluster`` renewed at ``when``."""
        files = report_files(cluster, key(cluster).public_key, when)
        return push(self.repo, branch(cluster), files, key(cluster))


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    """Two accepted clusters, each with a verified report folded once."""
    return Fleet(tmp_path)


def test_signed_reports_fold(fleet: Fleet) -> None:
    """Reports signed by the accepted keys fold, and their commits are recorded."""
    assert folder(fleet.repo, C1) is not None
    assert listed(fleet.repo) == []
    tip = git(fleet.repo, "rev-parse", branch(C1)).strip()
    found = record(fleet.repo, C1)
    assert found["state"] == "Accepted"
    assert found["lastReportCommit"] == tip
    assert found["fingerprint"] == key(C1).fingerprint


def test_a_newer_signed_report_folds(fleet: Fleet) -> None:
    """A later report signed by the accepted key replaces the folded one."""
    fleet.good(C1, LATER)
    fleet.fold(LATER)
    assert "2026-11-21T12:00:30" in status_file(fleet.repo, f"clusters/{C1}/lease.yaml")


ATTACKS = {
    # name: (code, files of the attacking tip, signer or None, parent)
    "unsigned": ("T621", report_files(C1, key(C1).public_key, LATER), None),
    "other-cluster-key": ("T622", report_files(C1, key(C1).public_key, LATER), key(C2)),
    "no-registration": ("T623", report_files(C1, None, LATER), key(C1)),
    "registration-of-other-cluster": (
        "T623",
        {
            **report_files(C1, None, LATER),
            "registration.yaml": signkit.registration_yaml(C2, key(C1).public_key),
        },
        key(C1),
    ),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_changes_nothing_and_is_listed(name: str, fleet: Fleet) -> None:
    """A refused tip leaves the cluster's folded state as it was; it is listed with commit, key."""
    code, files, signer = ATTACKS[name]
    before = folder(fleet.repo, C1)
    commit = push(fleet.repo, branch(C1), files, signer)
    fleet.good(C2, LATER)
    fleet.fold(LATER)
    assert folder(fleet.repo, C1) == before
    assert "2026-11-21T12:00:30" in status_file(fleet.repo, f"clusters/{C2}/lease.yaml")
    problems = [p for p in listed(fleet.repo) if p["code"] == code]
    assert problems and problems[0]["file"] == branch(C1)
    assert commit in problems[0]["got"]
    fingerprint = signer.fingerprint if signer is not None else "nobody"
    assert fingerprint in problems[0]["got"]
    assert f"({code}) (report refused, last good kept)" in status_file(fleet.repo, "README.md")
    # A restarted controller keeps the same state and lists the same problem.
    fleet.folder = fleet.new_folder()
    fleet.fold(LATER + datetime.timedelta(seconds=1))
    assert folder(fleet.repo, C1) == before
    assert code in {p["code"] for p in listed(fleet.repo)}


def test_future_lease_from_an_unaccepted_key_is_a_request(fleet: Fleet) -> None:
    """A self-signed tip with a new key is a Pending request; its lease dated 2099 folds nothing."""
    before = folder(fleet.repo, C1)
    attacker = key("attacker")
    far = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
    commit = push(fleet.repo, branch(C1), report_files(C1, attacker.public_key, far), attacker)
    fleet.fold(LATER)
    assert folder(fleet.repo, C1) == before
    found = record(fleet.repo, C1)
    assert found["fingerprint"] == attacker.fingerprint
    assert found["state"] == "Pending"
    assert found["commit"] == commit
    assert found["earlierRequests"][0]["state"] == "Accepted"
    readme = status_file(fleet.repo, "README.md")
    assert "## Registrations" in readme and attacker.fingerprint in readme


def test_rewound_branch_is_refused_after_a_restart(fleet: Fleet) -> None:
    """A tip not descending from the last folded report is T624, also for a restarted controller."""
    first = git(fleet.repo, "rev-parse", branch(C1)).strip()
    fleet.good(C1, LATER)
    fleet.fold(LATER)
    before = folder(fleet.repo, C1)
    parent = git(fleet.repo, "rev-parse", f"{first}~0").strip()
    files = report_files(C1, key(C1).public_key, LATER + datetime.timedelta(seconds=5))
    rewound = push(fleet.repo, branch(C1), files, key(C1), parent=None)
    fleet.folder = fleet.new_folder()
    fleet.fold(LATER + datetime.timedelta(seconds=10))
    assert folder(fleet.repo, C1) == before
    problem = next(p for p in listed(fleet.repo) if p["code"] == "T624")
    assert rewound in problem["got"] and key(C1).fingerprint in problem["got"]
    assert parent == first


def test_branch_rewound_to_an_older_commit_is_refused(fleet: Fleet) -> None:
    """Moving the branch back to an ancestor of the last folded report is T624."""
    first = git(fleet.repo, "rev-parse", branch(C1)).strip()
    fleet.good(C1, LATER)
    fleet.fold(LATER)
    before = folder(fleet.repo, C1)
    git(fleet.repo, "update-ref", f"refs/heads/{branch(C1)}", first)
    fleet.fold(LATER + datetime.timedelta(seconds=10))
    assert folder(fleet.repo, C1) == before
    assert "T624" in {p["code"] for p in listed(fleet.repo)}


def test_deleted_branch_keeps_the_last_verified_state(fleet: Fleet) -> None:
    """Deleting an accepted cluster's branch keeps its folder and lists T625."""
    before = folder(fleet.repo, C1)
    signkit.delete(fleet.repo, branch(C1))
    fleet.fold(LATER)
    assert folder(fleet.repo, C1) == before
    problem = next(p for p in listed(fleet.repo) if p["code"] == "T625")
    assert problem["file"] == branch(C1) and key(C1).fingerprint in problem["got"]


def test_deleted_branch_goes_unknown_when_its_lease_runs_out(fleet: Fleet) -> None:
    """The kept state of a deleted branch expires like any other lease."""
    signkit.delete(fleet.repo, branch(C1))
    fleet.fold(NOW + datetime.timedelta(minutes=10))
    cluster = yaml.safe_load(status_file(fleet.repo, f"clusters/{C1}/cluster.yaml"))
    available = [
        c
        for c in cluster["status"]["conditions"]
        if c["type"] == "ManagedClusterConditionAvailable"
    ]
    assert available[0]["status"] == "Unknown"


def test_registration_request_of_an_unknown_cluster_is_pending(fleet: Fleet) -> None:
    """A new cluster's self-signed request is recorded Pending; nothing of it is folded."""
    c3 = key("c3")
    commit = push(
        fleet.repo,
        branch("c3"),
        {"registration.yaml": signkit.registration_yaml("c3", c3.public_key)},
        c3,
    )
    fleet.fold(LATER)
    assert folder(fleet.repo, "c3") is None
    found = record(fleet.repo, "c3")
    assert found == {
        "apiVersion": "gitops-ocm.io/v1alpha1",
        "kind": "ClusterRegistration",
        "metadata": {"name": "c3"},
        "cluster": "c3",
        "fingerprint": c3.fingerprint,
        "publicKey": c3.public_key.to_line(),
        "state": "Pending",
        "requestedAt": "2026-11-21T12:00:30Z",
        "commit": commit,
    }
    readme = status_file(fleet.repo, "README.md")
    assert f"| c3 | `{c3.fingerprint}` | 2026-11-21T12:00:30Z | `{commit[:12]}` |" in readme


def test_revoked_cluster_stops_folding_at_once(fleet: Fleet) -> None:
    """With its key gone from allowed_signers, the cluster's newer report is refused."""
    before = folder(fleet.repo, C1)
    signkit.hub(fleet.repo, {C2: key(C2).public_key}, [C2])
    fleet.good(C1, LATER)
    fleet.fold(LATER)
    assert folder(fleet.repo, C1) == before
    assert record(fleet.repo, C1)["state"] == "Superseded"


def test_rotation(fleet: Fleet) -> None:
    """A new key is Pending while the old one counts; once accepted, the old key is refused."""
    new = key("c1-rotated")
    request = push(fleet.repo, branch(C1), report_files(C1, new.public_key, LATER), new)
    fleet.fold(LATER)
    assert record(fleet.repo, C1)["state"] == "Pending"
    old = fleet.good(C1, LATER + datetime.timedelta(seconds=5))
    fleet.fold(LATER + datetime.timedelta(seconds=5))
    assert "2026-11-21T12:00:35" in status_file(fleet.repo, f"clusters/{C1}/lease.yaml")
    signkit.hub(fleet.repo, {C1: new.public_key, C2: key(C2).public_key}, [C1, C2])
    push(
        fleet.repo,
        branch(C1),
        report_files(C1, key(C1).public_key, LATER + datetime.timedelta(seconds=9)),
        key(C1),
    )
    fleet.fold(LATER + datetime.timedelta(seconds=10))
    assert "2026-11-21T12:00:35" in status_file(fleet.repo, f"clusters/{C1}/lease.yaml")
    assert "T622" in {p["code"] for p in listed(fleet.repo)}
    found = record(fleet.repo, C1)
    assert found["fingerprint"] == new.fingerprint
    assert found["state"] == "Accepted"
    assert found["earlierRequests"][0]["state"] == "Superseded"
    push(
        fleet.repo,
        branch(C1),
        report_files(C1, new.public_key, LATER + datetime.timedelta(seconds=20)),
        new,
    )
    fleet.fold(LATER + datetime.timedelta(seconds=20))
    assert "2026-11-21T12:00:50" in status_file(fleet.repo, f"clusters/{C1}/lease.yaml")
    assert request and old


def test_open_mode_unkeyed_cluster_folds_unsigned(tmp_path: Path) -> None:
    """A cluster published on ocm/hub without a key (registration open) folds as before."""
    repo = tmp_path / "fleet.git"
    pygit2.init_repository(str(repo), bare=True, initial_head="main")
    signkit.hub(repo, {}, ["lab"])
    push(repo, branch("lab"), report_files("lab", None), None)
    folding.StatusFolder(remote.open_store(str(repo)), AUTHOR).fold(folding.Pass(now=NOW))
    assert folder(repo, "lab") is not None


def test_stock_git_judges_the_report_tips(fleet: Fleet) -> None:
    """Stock git verify-commit accepts the folded tip with the hub's allowed_signers."""
    import keykit

    allowed = git(fleet.repo, "show", "ocm/hub:allowed_signers")
    tip = git(fleet.repo, "rev-parse", branch(C1)).strip()
    assert keykit.verify_commit(fleet.repo, tip, allowed).returncode == 0
    forged = push(fleet.repo, branch(C1), report_files(C1, key(C1).public_key, LATER), key("x"))
    assert keykit.verify_commit(fleet.repo, forged, allowed).returncode != 0


def test_forged_hub_tip_grants_no_key(tmp_path: Path) -> None:
    """A hub tip the controller did not sign cannot make an attacker's key accepted."""
    repo = tmp_path / "fleet.git"
    pygit2.init_repository(str(repo), bare=True, initial_head="main")
    signkit.hub(repo, {C1: key(C1).public_key}, [C1])
    signed = writer.Author(name="hub", email="hub@example.com", signer=key("hub"))
    fold = folding.StatusFolder(remote.open_store(str(repo)), signed)
    push(repo, branch(C1), report_files(C1, key(C1).public_key), key(C1))
    fold.fold(folding.Pass(now=NOW))
    before = folder(repo, C1)
    attacker = key("attacker")
    forged = {"allowed_signers": f'{C1} namespaces="git" {attacker.public_key.to_line()}\n'}
    push(repo, "ocm/hub", {k: v.encode() for k, v in forged.items()}, attacker)
    push(repo, branch(C1), report_files(C1, attacker.public_key, LATER), attacker)
    fold.fold(folding.Pass(now=LATER))
    assert folder(repo, C1) == before
    restarted = folding.StatusFolder(remote.open_store(str(repo)), signed)
    restarted.fold(folding.Pass(now=LATER + datetime.timedelta(seconds=1)))
    assert folder(repo, C1) == before


def test_request_only_tip_of_an_accepted_key_folds_as_its_report(tmp_path: Path) -> None:
    """Right after acceptance the agent's tip holds only registration.yaml: folded, no crash."""
    repo = tmp_path / "fleet.git"
    pygit2.init_repository(str(repo), bare=True, initial_head="main")
    signkit.hub(repo, {C1: key(C1).public_key}, [C1])
    files = {"registration.yaml": signkit.registration_yaml(C1, key(C1).public_key)}
    commit = push(repo, branch(C1), files, key(C1))
    folding.StatusFolder(remote.open_store(str(repo)), AUTHOR).fold(folding.Pass(now=NOW))
    assert record(repo, C1)["lastReportCommit"] == commit
    assert listed(repo) == []


def test_requests_are_recorded_before_any_key_is_accepted(tmp_path: Path) -> None:
    """Without allowed_signers on ocm/hub (no key yet) requests are still recorded, to accept."""
    repo = tmp_path / "fleet.git"
    pygit2.init_repository(str(repo), bare=True, initial_head="main")
    push(repo, "ocm/hub", {"README.md": b"hub\n"}, None)
    push(repo, branch(C1), report_files(C1, key(C1).public_key), key(C1))
    folding.StatusFolder(remote.open_store(str(repo)), AUTHOR).fold(folding.Pass(now=NOW))
    found = record(repo, C1)
    assert (found["fingerprint"], found["state"]) == (key(C1).fingerprint, "Pending")
