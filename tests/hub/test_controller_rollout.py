"""The controller and rollouts: reports move them, time moves them, a restart continues them.

A bare repository holds main (four clusters, one Progressive set with
``maxConcurrency: 1``); "agents" are report branches written here, each naming
the blob of the work file its cluster holds on ``ocm/hub``, as a real agent's
report does.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pygit2
import rolloutkit
import yaml
from hubkit import commit
from rolloutkit import CLUSTERS, PROGRESSIVE

from gitops_ocm.gitstore import remote, repository, writer
from gitops_ocm.hub import controller
from gitops_ocm.work import rolloutstate

T0 = datetime.datetime(2026, 12, 8, 3, 0, tzinfo=datetime.UTC)
AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000)


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime.datetime:
        return self.now


def _files(tmp_path: Path, image: str, strategy: object = PROGRESSIVE) -> dict[str, bytes]:
    root = tmp_path / f"fleet-{image}"
    rolloutkit.write_fleet(root, image, strategy)  # type: ignore[arg-type]
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _hub_files(repo: Path, prefix: str) -> dict[str, bytes]:
    git = pygit2.Repository(str(repo))
    tree = git.revparse_single("ocm/hub").peel(pygit2.Tree)
    out: dict[str, bytes] = {}

    def walk(node: pygit2.Tree, at: str) -> None:
        for entry in node:
            path = f"{at}{entry.name}"
            obj = git[entry.id]
            if isinstance(obj, pygit2.Tree):
                walk(obj, path + "/")
            elif path.startswith(prefix):
                out[path] = obj.data

    walk(tree, "")
    return out


def _holders(repo: Path) -> list[str]:
    """The clusters that hold a work of the set on ocm/hub."""
    found = _hub_files(repo, "clusters/")
    return sorted({p.split("/")[1] for p in found if "/manifestworks/" in p})


def _state(repo: Path) -> rolloutstate.RolloutState:
    data = _hub_files(repo, "rollouts/")["rollouts/apps/web.yaml"]
    found = rolloutstate.RolloutState.from_body(yaml.safe_load(data))
    assert found is not None
    return found


def _report_all(repo: Path, now: datetime.datetime) -> None:
    """Each cluster holding a work reports it Applied and Available (once per prescription)."""
    hub = repository.open(repo)
    git = pygit2.Repository(str(repo))
    for path, data in _hub_files(repo, "clusters/").items():
        parts = path.split("/")
        if parts[2] != "manifestworks":
            continue
        cluster, name = parts[1], parts[3]
        branch = f"ocm/reports/{cluster}"
        ref = git.references.get(f"refs/heads/{branch}")
        if ref is not None:
            tree = ref.peel(pygit2.Tree)
            try:
                old = git[(tree / "manifestworks" / name).id].data
            except KeyError:
                old = b""
            if str(pygit2.hash(data)).encode() in old:
                continue  # already reported this prescription: keep its transition times
        report = rolloutkit.work_report(cluster, name[:-5], data, False, now)
        writer.publish_tree(hub, branch, {f"manifestworks/{name}": report}, "report", author=AUTHOR)


def _controller(repo: Path, clock: Clock) -> controller.Controller:
    return controller.Controller(remote.open_store(str(repo)), clock=clock, author=AUTHOR)


def test_reports_move_the_rollout_and_a_restart_continues(tmp_path: Path) -> None:
    """Each reported success gives the next cluster; a new controller picks up where it was."""
    repo = tmp_path / "fleet.git"
    pygit2.init_repository(str(repo), bare=True, initial_head="main")
    commit(repo, _files(tmp_path, "v1"), "v1")
    clock = Clock()
    ctl = _controller(repo, clock)
    ctl.reconcile()
    assert _holders(repo) == ["c1"]
    _report_all(repo, clock.now)
    ctl.reconcile()  # folds the report
    result = ctl.reconcile()  # the watched report moved: c2 is given the revision
    assert _holders(repo) == ["c1", "c2"]
    assert result.clusters_touched == 1  # only the cluster that moves
    fresh = _controller(repo, clock)  # a restart: nothing in memory
    fresh.reconcile()
    assert _holders(repo) == ["c1", "c2"]
    _report_all(repo, clock.now)
    for _ in range(6):
        fresh.reconcile()
        _report_all(repo, clock.now)
    assert _holders(repo) == list(CLUSTERS)
    assert _state(repo).phase == rolloutstate.SUCCEEDED


def test_a_soak_ending_runs_a_pass_by_itself(tmp_path: Path) -> None:
    """With minSuccessTime the pass asks to run at the soak's end, and then starts the next."""
    repo = tmp_path / "fleet.git"
    pygit2.init_repository(str(repo), bare=True, initial_head="main")
    soak = {"type": "Progressive", "progressive": {"maxConcurrency": 1, "minSuccessTime": "5m"}}
    commit(repo, _files(tmp_path, "v1", soak), "v1")
    clock = Clock()
    ctl = _controller(repo, clock)
    ctl.reconcile()
    _report_all(repo, clock.now)
    ctl.reconcile()
    result = ctl.reconcile()
    assert _holders(repo) == ["c1"]  # soaking
    assert result.requeue_at == T0 + datetime.timedelta(minutes=5)
    quiet = ctl.reconcile()
    assert quiet.skipped  # nothing moved: the pass is skipped
    clock.now = T0 + datetime.timedelta(minutes=5)
    ctl.reconcile()  # due by time alone: no push, no new report
    assert _holders(repo) == ["c1", "c2"]


def _dump(repo: Path, branch: str, out: Path) -> None:
    """Write a branch's tree to a folder (what ``git archive`` would), for ``render``."""
    git = pygit2.Repository(str(repo))
    tree = git.revparse_single(branch).peel(pygit2.Tree)

    def walk(node: pygit2.Tree, at: Path) -> None:
        for entry in node:
            obj = git[entry.id]
            if isinstance(obj, pygit2.Tree):
                walk(obj, at / entry.name)
            else:
                at.mkdir(parents=True, exist_ok=True)
                (at / entry.name).write_bytes(obj.data)

    walk(tree, out)


def test_render_reproduces_the_controllers_step(tmp_path: Path) -> None:
    """`render --previous HUB --status STATUS --now T` gives the tree the controller publishes."""
    from gitops_ocm.cli import main as cli

    repo = tmp_path / "fleet.git"
    pygit2.init_repository(str(repo), bare=True, initial_head="main")
    files = _files(tmp_path, "v1")
    commit(repo, files, "v1")
    clock = Clock()
    ctl = _controller(repo, clock)
    ctl.reconcile()
    _report_all(repo, clock.now)
    ctl.reconcile()  # folds the report: the next pass moves the rollout
    _dump(repo, "ocm/hub", tmp_path / "hub")
    _dump(repo, "ocm/status", tmp_path / "status")
    clock.now = T0 + datetime.timedelta(minutes=1)
    ctl.reconcile()
    assert _holders(repo) == ["c1", "c2"]
    checkout = tmp_path / "checkout"
    for rel, data in files.items():
        (checkout / rel).parent.mkdir(parents=True, exist_ok=True)
        (checkout / rel).write_bytes(data)
    out = tmp_path / "out"
    argv = ["render", str(checkout), "--out", str(out), "--previous", str(tmp_path / "hub")]
    argv += ["--status", str(tmp_path / "status"), "--now", "2026-12-08T03:01:00Z"]
    assert cli.main(argv) == 0
    rendered = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
    }
    assert rendered == _hub_files(repo, "")
