"""Reports are untrusted: a hostile report branch is refused, quarantined and listed, never fatal.

Each case pushes one report branch as an attacker holding a cluster's
credentials could (raw Git objects, so names Git's own tools refuse are
possible), runs a real controller pass over the example fleet, and checks:
the pass completes, the other clusters are folded, the refused cluster keeps
the state the last good fold gave it, and the problem is listed with its code
in ``controller.yaml`` and the README.
"""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable
from pathlib import Path

import pygit2
import pytest
import yaml
from hubkit import NOW, git, new_fleet

from gitops_ocm.gitstore import remote, repository, writer
from gitops_ocm.hub import controller
from gitops_ocm.status import intake

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "status"))
from statuskit import cluster_yaml, lease_yaml

AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000)
GOOD, OTHER = "eu-prod-1", "us-prod-1"
BLOB, TREE = pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.TREE
LINK, COMMIT = pygit2.enums.FileMode.LINK, pygit2.enums.FileMode.COMMIT
Entry = tuple[bytes, int, bytes]  # (name, mode, raw object id)


class Clock:
    """A settable clock for the controller."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime.datetime:
        return self.now


def raw_tree(repo: pygit2.Repository, entries: list[Entry]) -> pygit2.Oid:
    """Write a tree object byte by byte (no name checks, unlike TreeBuilder)."""
    body = b"".join(
        b"%o %s\x00%s" % (mode, name, oid)
        for name, mode, oid in sorted(entries, key=lambda e: e[0] + (b"/" if e[1] == TREE else b""))
    )
    return repo.odb.write(pygit2.enums.ObjectType.TREE, body)


def blob(repo: pygit2.Repository, data: bytes) -> bytes:
    """Store a blob; return its raw id."""
    return repo.create_blob(data).raw


def report_tree(repo: pygit2.Repository, cluster: str, when: datetime.datetime) -> list[Entry]:
    """The entries of a healthy report renewed at ``when``."""
    return [
        (b"cluster.yaml", BLOB, blob(repo, cluster_yaml(cluster))),
        (b"lease.yaml", BLOB, blob(repo, lease_yaml(when))),
    ]


def push(repo_path: Path, branch: str, entries: list[Entry], when: int = 1_700_000_000) -> str:
    """Point ``refs/heads/<branch>`` at a new commit of a raw tree."""
    repo = pygit2.Repository(str(repo_path))
    tree = raw_tree(repo, entries)
    sig = pygit2.Signature("agent", "agent@example.com", when, 0)
    ref = f"refs/heads/{branch}"
    parents = [repo.references[ref].target] if ref in repo.references else []
    commit = repo.create_commit(None, sig, sig, "report", tree, parents)
    repo.references.create(ref, commit, force=True)
    return str(commit)


def with_file(name: bytes, data: bytes) -> Callable[[pygit2.Repository], list[Entry]]:
    """A hostile case: the good report plus (or with a replaced) file ``name``."""

    def build(repo: pygit2.Repository) -> list[Entry]:
        kept = [e for e in report_tree(repo, GOOD, NOW) if e[0] != name]
        return [*kept, (name, BLOB, blob(repo, data))]

    return build


def with_entry(name: bytes, mode: int, target: bytes) -> Callable[[pygit2.Repository], list[Entry]]:
    """A hostile case: the good report plus an entry of any mode and name."""

    def build(repo: pygit2.Repository) -> list[Entry]:
        oid = target if mode == COMMIT else blob(repo, target)
        if mode == TREE:
            inner = raw_tree(repo, [(b"x.yaml", BLOB, blob(repo, target))])
            oid = inner.raw
        return [*report_tree(repo, GOOD, NOW), (name, mode, oid)]

    return build


def claims(count: int) -> bytes:
    """A ManagedCluster report with ``count`` cluster claims, written compactly."""
    head = cluster_yaml(GOOD).decode().rstrip("\n")
    rows = ",".join(f"{{name: c{i}, value: v}}" for i in range(count))
    return f"{head}\n  clusterClaims: [{rows}]\n".encode()  # status is the last key


CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "hostile"
BOMB = (CORPUS / "alias-bomb.yaml").read_bytes()  # a billion laughs
CASES: dict[str, tuple[str, Callable[[pygit2.Repository], list[Entry]]]] = {
    "alias-bomb": ("R506", with_file(b"lease.yaml", BOMB)),
    "nesting-1200": ("R506", with_file(b"lease.yaml", b"a: " + b"[" * 1200 + b"]" * 1200)),
    "nesting-5000": ("R506", with_file(b"lease.yaml", b"a: " + b"[" * 5000 + b"]" * 5000)),
    "nesting-million": ("R504", with_file(b"lease.yaml", b"a: " + b"[" * 10**6 + b"]" * 10**6)),
    "100-megabytes": ("R504", with_file(b"cluster.yaml", b"# " + b"x" * (100 * 1024 * 1024))),
    "300000-claims": ("R504", with_file(b"cluster.yaml", claims(300_000))),
    "dot-dot": ("R502", with_entry(b"..", TREE, b"x: 1\n")),
    "dot-git": ("R502", with_entry(b".git", TREE, b"x: 1\n")),
    "dot-git-upper": ("R502", with_entry(b".GIT", TREE, b"x: 1\n")),
    "symlink": ("R502", with_entry(b"policies", LINK, b"/etc")),
    "symlinked-file": ("R502", with_entry(b"extra.yaml", LINK, b"../../hub")),
    "submodule": ("R502", with_entry(b"manifestworks", COMMIT, b"\x01" * 20)),
    "outside-layout": ("R503", with_file(b"README.md", b"hello\n")),
    "folder-outside-layout": ("R503", with_entry(b"secrets", TREE, b"x: 1\n")),
    "work-not-a-work": ("R507", with_entry(b"manifestworks", TREE, b"x: 1\n")),
    "other-cluster": ("R508", with_file(b"cluster.yaml", cluster_yaml(OTHER))),
    "wrong-kind": ("R507", with_file(b"lease.yaml", cluster_yaml(GOOD))),
    "not-yaml": ("R506", with_file(b"lease.yaml", b"a: [\n")),
}


def make(repo: Path, clock: Clock) -> controller.Controller:
    """A controller over ``repo`` with ``clock``."""
    return controller.Controller(remote.open_store(str(repo)), clock=clock, author=AUTHOR)


def status_file(repo: Path, path: str) -> str:
    """A file of ocm/status."""
    return git(repo, "show", f"ocm/status:{path}")


def cluster_tree(repo: Path, cluster: str) -> str:
    """The tree id of a cluster's folder in ocm/status."""
    return git(repo, "rev-parse", f"ocm/status:clusters/{cluster}").strip()


@pytest.fixture
def fleet(tmp_path: Path) -> tuple[Path, Clock, controller.Controller]:
    """The example fleet with good reports from two clusters, folded once."""
    repo = new_fleet(tmp_path)
    clock = Clock()
    raw = pygit2.Repository(str(repo))
    for cluster in (GOOD, OTHER):
        push(repo, f"ocm/reports/{cluster}", report_tree(raw, cluster, NOW))
    ctl = make(repo, clock)
    ctl.reconcile()
    return repo, clock, ctl


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_report_is_quarantined(
    name: str, fleet: tuple[Path, Clock, controller.Controller]
) -> None:
    """The pass completes, the cluster keeps its last good state, the problem is listed."""
    repo, clock, ctl = fleet
    before = cluster_tree(repo, GOOD)
    raw = pygit2.Repository(str(repo))
    code, build = CASES[name]
    push(repo, f"ocm/reports/{GOOD}", build(raw))
    clock.now = NOW + datetime.timedelta(seconds=30)
    push(repo, f"ocm/reports/{OTHER}", report_tree(raw, OTHER, clock.now))
    ctl.reconcile()
    assert cluster_tree(repo, GOOD) == before
    assert "2026-11-21T12:00:30" in status_file(repo, f"clusters/{OTHER}/lease.yaml")
    listed = yaml.safe_load(status_file(repo, "controller.yaml"))["status"]["reportProblems"]
    assert code in {p["code"] for p in listed}
    assert {p["file"].split(":")[0] for p in listed} == {f"ocm/reports/{GOOD}"}
    readme = status_file(repo, "README.md")
    assert f"({code}) (report refused, last good kept)" in readme
    # A restarted controller keeps the same state and lists the same problem.
    make(repo, clock).reconcile()
    assert cluster_tree(repo, GOOD) == before


def test_quarantined_cluster_goes_unknown_when_its_lease_runs_out(
    fleet: tuple[Path, Clock, controller.Controller],
) -> None:
    """A refused report keeps the last good lease, which expires as any other."""
    repo, clock, ctl = fleet
    raw = pygit2.Repository(str(repo))
    push(repo, f"ocm/reports/{GOOD}", with_file(b"lease.yaml", BOMB)(raw))
    clock.now = NOW + datetime.timedelta(seconds=5 * 60 + 1)
    ctl.reconcile()
    cluster = yaml.safe_load(status_file(repo, f"clusters/{GOOD}/cluster.yaml"))
    available = [
        c
        for c in cluster["status"]["conditions"]
        if c["type"] == "ManagedClusterConditionAvailable"
    ]
    assert [(c["status"], c["reason"]) for c in available] == [
        ("Unknown", "ManagedClusterLeaseUpdateStopped")
    ]


def test_future_condition_times_are_clamped_in_status(
    fleet: tuple[Path, Clock, controller.Controller],
) -> None:
    """A condition dated 2099 (a taint's timeAdded for the scheduler) is clamped in ocm/status."""
    repo, clock, ctl = fleet
    raw = pygit2.Repository(str(repo))
    forged = cluster_yaml(GOOD, "False").replace(b"2024-05-01T10:00:00Z", b"2099-01-01T00:00:00Z")
    push(repo, f"ocm/reports/{GOOD}", with_file(b"cluster.yaml", forged)(raw))
    clock.now = NOW + datetime.timedelta(seconds=10)
    ctl.reconcile()
    status = yaml.safe_load(status_file(repo, f"clusters/{GOOD}/cluster.yaml"))["status"]
    times = {c["type"]: c["lastTransitionTime"] for c in status["conditions"]}
    assert times["ManagedClusterConditionAvailable"] == "2026-11-21T12:00:10Z"
    assert "2099" not in status_file(repo, f"clusters/{GOOD}/cluster.yaml")


def test_future_lease_is_clamped_and_expires(
    fleet: tuple[Path, Clock, controller.Controller],
) -> None:
    """A lease dated 2099 counts as renewed when first seen, so it still runs out."""
    repo, clock, ctl = fleet
    raw = pygit2.Repository(str(repo))
    future = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
    push(repo, f"ocm/reports/{GOOD}", report_tree(raw, GOOD, future), when=4_070_908_800)
    clock.now = NOW + datetime.timedelta(seconds=10)
    ctl.reconcile()
    listed = yaml.safe_load(status_file(repo, "controller.yaml"))["status"]["reportProblems"]
    assert {(p["code"], p["severity"]) for p in listed} == {("R509", "warning")}
    assert "Unknown" not in status_file(repo, f"clusters/{GOOD}/cluster.yaml")
    # ocm/status, which the scheduler reads, holds the clamped times, not 2099's.
    lease = yaml.safe_load(status_file(repo, f"clusters/{GOOD}/lease.yaml"))
    assert lease["spec"]["renewTime"] == "2026-11-21T12:00:10.000000Z"
    clock.now = NOW + datetime.timedelta(seconds=10 + 5 * 60 + 1)
    ctl.reconcile()
    assert "ManagedClusterLeaseUpdateStopped" in status_file(repo, f"clusters/{GOOD}/cluster.yaml")


def test_nested_branch_is_not_read(fleet: tuple[Path, Clock, controller.Controller]) -> None:
    """``ocm/reports/x/y`` is no cluster's report: listed as R501, never folded as "x/y"."""
    repo, clock, ctl = fleet
    raw = pygit2.Repository(str(repo))
    push(repo, "ocm/reports/us-dev-1/x", report_tree(raw, "us-dev-1", NOW))
    clock.now = NOW + datetime.timedelta(seconds=30)
    push(repo, f"ocm/reports/{GOOD}", report_tree(raw, GOOD, clock.now))
    ctl.reconcile()
    listed = yaml.safe_load(status_file(repo, "controller.yaml"))["status"]["reportProblems"]
    assert [(p["code"], p["file"]) for p in listed] == [("R501", "ocm/reports/us-dev-1/x")]
    assert "2026-11-21T12:00:30" in status_file(repo, f"clusters/{GOOD}/lease.yaml")
    assert "us-dev-1" not in git(repo, "ls-tree", "--name-only", "ocm/status:clusters")


def test_listing_is_bounded() -> None:
    """More entries than the cap is R505 from the listing alone, and so is too many bytes."""
    entries = [intake.Entry(f"manifestworks/w{i}.yaml", "blob", 10) for i in range(3)]
    assert [p.code for p in intake.check_listing("c", entries, truncated=True)] == ["R505"]
    big = [intake.Entry(f"manifestworks/w{i}.yaml", "blob", 1024 * 1024) for i in range(17)]
    assert [p.code for p in intake.check_listing("c", big, truncated=False)] == ["R505"]


@pytest.mark.parametrize(
    ("branch", "cluster"),
    [
        ("ocm/reports/eu-1", "eu-1"),
        ("ocm/reports/x/y", None),
        ("ocm/reports/..", None),
        ("ocm/reports/Upper", None),
        ("ocm/reports/" + "a" * 64, None),
        ("ocm/reports/", None),
    ],
)
def test_branch_names(branch: str, cluster: str | None) -> None:
    """Only ``ocm/reports/<DNS label>`` names a cluster."""
    assert intake.cluster_of(branch) == cluster


def test_tampered_status_is_not_a_last_good_report(
    fleet: tuple[Path, Clock, controller.Controller],
) -> None:
    """With the report refused and ocm/status's folder tampered, a restarted controller folds on."""
    repo, clock, _ = fleet
    raw = pygit2.Repository(str(repo))
    writer.publish_changes(
        repository.open(repo),
        "ocm/status",
        {f"clusters/{GOOD}/lease.yaml": BOMB},
        "tamper",
        author=AUTHOR,
    )
    push(repo, f"ocm/reports/{GOOD}", with_file(b"lease.yaml", BOMB)(raw))
    clock.now = NOW + datetime.timedelta(seconds=30)
    push(repo, f"ocm/reports/{OTHER}", report_tree(raw, OTHER, clock.now))
    make(repo, clock).reconcile()
    assert GOOD not in git(repo, "ls-tree", "--name-only", "ocm/status:clusters")
    assert "2026-11-21T12:00:30" in status_file(repo, f"clusters/{OTHER}/lease.yaml")
    assert "no report yet" in status_file(repo, "README.md")


def test_future_lease_kept_through_quarantine_still_expires(
    fleet: tuple[Path, Clock, controller.Controller],
) -> None:
    """A lease dated 2099, then a refused report: the kept folder's lease still runs out."""
    repo, clock, ctl = fleet
    raw = pygit2.Repository(str(repo))
    future = datetime.datetime(2099, 1, 1, tzinfo=datetime.UTC)
    push(repo, f"ocm/reports/{GOOD}", report_tree(raw, GOOD, future))
    clock.now = NOW + datetime.timedelta(seconds=10)
    ctl.reconcile()
    push(repo, f"ocm/reports/{GOOD}", with_file(b"lease.yaml", BOMB)(raw))
    for seconds in (100, 200, 320):  # other clusters' reports keep ocm/status moving
        clock.now = NOW + datetime.timedelta(seconds=seconds)
        push(repo, f"ocm/reports/{OTHER}", report_tree(raw, OTHER, clock.now))
        ctl.reconcile()
    assert "ManagedClusterLeaseUpdateStopped" in status_file(repo, f"clusters/{GOOD}/cluster.yaml")
