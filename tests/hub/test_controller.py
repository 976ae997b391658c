"""The hub controller: publishing ocm/hub from main, keeping the last good state, robustness."""

from __future__ import annotations

import datetime
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from hubkit import NOW, commit, example_files, git, hub_files, new_fleet, trailer

from gitops_ocm import errors, source
from gitops_ocm.cli.main import main
from gitops_ocm.gitstore import remote, repository, servers, writer
from gitops_ocm.hub import controller
from gitops_ocm.placement import inventory
from gitops_ocm.render import hub

AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000)


def make(repo: Path | str, **kwargs: object) -> controller.Controller:
    """A controller with a fixed clock and author."""
    return controller.Controller(
        remote.open_store(str(repo)),
        clock=lambda: NOW,
        author=AUTHOR,
        **kwargs,  # type: ignore[arg-type]
    )


def expected_tree(repo: Path, rev: str = "main") -> dict[str, bytes]:
    """What render computes for ``rev`` with an empty status and previous tree.

    With a status tree (empty: no agent reported), as the controller renders, so a
    set that rolls out in steps takes its first step (the example's guestbook).
    """
    snap = source.load_revision(str(repo), rev)
    return hub.render(snap, inventory.build(snap, {}, NOW, {}), {}, NOW, status={}).files


def controller_status(repo: Path) -> dict:
    """Return controller.yaml of ocm/status."""
    return yaml.safe_load(git(repo, "show", "ocm/status:controller.yaml"))


def test_valid_commit_is_published_with_trailer(tmp_path: Path) -> None:
    """A valid head becomes one ocm/hub commit whose tree is exactly the rendered tree."""
    repo = new_fleet(tmp_path)
    result = make(repo).reconcile()
    head = git(repo, "rev-parse", "main").strip()
    assert result.valid and result.files_written == len(expected_tree(repo))
    assert trailer(repo, "ocm/hub") == head
    assert hub_files(repo) == expected_tree(repo)
    assert controller_status(repo)["status"]["conditions"][0]["status"] == "True"


def test_nothing_changed_means_no_commit(tmp_path: Path) -> None:
    """A second pass over the same inputs writes nothing, even from a new controller."""
    repo = new_fleet(tmp_path)
    make(repo).reconcile()
    before = git(repo, "rev-parse", "ocm/hub", "ocm/status")
    again = make(repo).reconcile()
    assert again.files_written == 0
    assert git(repo, "rev-parse", "ocm/hub", "ocm/status") == before


def test_one_status_commit_per_pass(tmp_path: Path) -> None:
    """controller.yaml is committed with the fold: each pass makes at most one ocm/status commit."""
    repo = new_fleet(tmp_path)
    ctl = make(repo)
    ctl.reconcile()
    assert git(repo, "rev-list", "--count", "ocm/status").strip() == "1"
    files = example_files()
    files["placements/broken.yaml"] = b"apiVersion: v1\nkind: [\n"
    bad = commit(repo, files, "broken")
    ctl.reconcile()
    assert git(repo, "rev-list", "--count", "ocm/status").strip() == "2"
    assert controller_status(repo)["status"]["conditions"][0]["status"] == "False"
    assert trailer(repo, "ocm/status") == bad
    ctl.reconcile()
    assert git(repo, "rev-list", "--count", "ocm/status").strip() == "2"


def test_change_writes_only_the_difference(tmp_path: Path) -> None:
    """Changing one work rewrites only that work's file, with a new trailer."""
    repo = new_fleet(tmp_path)
    ctl = make(repo)
    ctl.reconcile()
    files = example_files()
    path = "works/us-dev-1/sandbox.yaml"
    files[path] = files[path].replace(b"mode: experimental", b"mode: stable")
    head = commit(repo, files, "scale sandbox")
    result = ctl.reconcile()
    assert result.files_written == 1 and result.clusters_touched == 1
    assert trailer(repo, "ocm/hub") == head
    assert git(repo, "diff", "--name-only", "ocm/hub~1", "ocm/hub").split() == [
        "clusters/us-dev-1/manifestworks/sandbox.yaml"
    ]


def test_invalid_commit_keeps_last_good_state(tmp_path: Path) -> None:
    """An invalid head publishes nothing; its problems land in controller.yaml until fixed."""
    repo = new_fleet(tmp_path)
    ctl = make(repo)
    ctl.reconcile()
    good = git(repo, "rev-parse", "main").strip()
    hub_before = git(repo, "rev-parse", "ocm/hub")
    files = example_files()
    files["placements/broken.yaml"] = b"apiVersion: v1\nkind: [\n"
    bad = commit(repo, files, "broken")
    result = ctl.reconcile()
    assert not result.valid
    assert git(repo, "rev-parse", "ocm/hub") == hub_before
    status = controller_status(repo)["status"]
    assert status["conditions"][0]["status"] == "False"
    assert status["lastReconciledCommit"] == good
    problem = status["problems"][0]
    assert (problem["commit"], problem["file"], problem["code"]) == (
        bad,
        "placements/broken.yaml",
        "S103",
    )
    del files["placements/broken.yaml"]
    fixed = commit(repo, files, "fix")
    assert ctl.reconcile().valid
    status = controller_status(repo)["status"]
    assert status["conditions"][0]["status"] == "True"
    assert status["problemCount"]["errors"] == 0
    assert status["lastReconciledCommit"] == fixed


def test_hub_branch_in_another_repository(tmp_path: Path) -> None:
    """With a separate hub repository, ocm/hub and ocm/status are written there only."""
    repo = new_fleet(tmp_path)
    other = tmp_path / "hub.git"
    git(tmp_path, "init", "-q", "--bare", str(other))
    ctl = controller.Controller(
        remote.open_store(str(repo)),
        hub_store=remote.open_store(str(other)),
        clock=lambda: NOW,
        author=AUTHOR,
    )
    ctl.reconcile()
    assert hub_files(other) == expected_tree(repo)
    assert "ocm/hub" not in git(repo, "branch", "--list")


def test_over_git_daemon(tmp_path: Path) -> None:
    """A controller on a git:// URL fetches main and pushes ocm/hub back to the server."""
    repo = new_fleet(tmp_path / "srv")
    with servers.git_daemon(tmp_path / "srv") as base:
        code = main(["controller", "--repo", f"{base}/fleet.git", "--once",
                     "--cache-dir", str(tmp_path / "cache")])  # fmt: skip
    assert code == 0
    assert trailer(repo, "ocm/hub") == git(repo, "rev-parse", "main").strip()


def test_two_controllers_never_lose_a_commit(tmp_path: Path) -> None:
    """Two controllers racing over a stream of commits leave a consistent, linear ocm/hub."""
    repo = new_fleet(tmp_path)
    stop = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        ctl = make(repo)
        while not stop.is_set():
            try:
                controller.reconcile_with_retry(ctl)
            except BaseException as exc:
                failures.append(exc)
                return

    workers = [threading.Thread(target=run) for _ in range(2)]
    for w in workers:
        w.start()
    files = example_files()
    path = "works/us-dev-1/sandbox.yaml"
    for i in range(6):
        files[path] = example_files()[path].replace(b"mode: experimental", f"mode: m{i}".encode())
        commit(repo, files, f"scale {i}")
        time.sleep(0.05)
    time.sleep(0.5)
    stop.set()
    for w in workers:
        w.join(30)
    assert failures == []
    controller.reconcile_with_retry(make(repo))
    assert hub_files(repo) == expected_tree(repo)
    assert trailer(repo, "ocm/hub") == git(repo, "rev-parse", "main").strip()
    assert git(repo, "rev-list", "--merges", "ocm/hub") == ""
    subprocess.run(["git", "-C", str(repo), "fsck", "--no-dangling"], check=True)


def test_sigkill_at_random_points_leaves_a_complete_commit(tmp_path: Path) -> None:
    """A controller killed with SIGKILL at random moments always leaves ocm/hub complete."""
    repo = new_fleet(tmp_path)
    rng = random.Random(7)
    files = example_files()
    path = "works/us-dev-1/sandbox.yaml"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    version = 0
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "gitops_ocm", "controller", "--repo", str(repo),
             "--interval", "0.05"],
            env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + rng.uniform(1.0, 3.0)
        while time.monotonic() < deadline:
            version += 1
            mode = f"mode: v{version}".encode()
            files[path] = example_files()[path].replace(b"mode: experimental", mode)
            commit(repo, files, f"version {version}")
            time.sleep(rng.uniform(0.02, 0.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        subprocess.run(["git", "-C", str(repo), "fsck", "--no-dangling"], check=True,
                       capture_output=True)  # fmt: skip
        if git(repo, "branch", "--list", "ocm/hub").strip():
            source_commit = trailer(repo, "ocm/hub")
            signed = set(hub_files(repo)) - {"allowed_signers", "sealing.pub"}  # the CLI's keys
            assert signed == set(expected_tree(repo, source_commit))
    assert version > 6
    for lock in (repo / "refs" / "heads" / "ocm").glob("*.lock"):
        lock.unlink()  # left by a writer we know is dead; a live controller clears it after 10 s
    final = controller.reconcile_with_retry(make(repo))
    assert final.valid, final.log_line()
    assert trailer(repo, "ocm/hub") == git(repo, "rev-parse", "main").strip()
    published = hub_files(repo)
    assert published["clusters/us-dev-1/manifestworks/sandbox.yaml"].count(f"v{version}".encode())
    assert set(published) == set(expected_tree(repo))


def test_unreachable_remote_is_transient_and_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unreachable remote exits 3 with a redacted message, never a traceback."""
    url = f"http://alice:s3cret@127.0.0.1:{servers.free_port()}/fleet.git"
    code = main(["controller", "--repo", url, "--once", "--cache-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 3
    assert "s3cret" not in err and "Traceback" not in err
    assert "cannot fetch" in err


def test_loop_backs_off_on_transient_failures(tmp_path: Path) -> None:
    """The loop survives transient failures, waiting longer each time, until stopped."""
    from gitops_ocm.hub import loop

    class Flaky:
        calls = 0

        def reconcile(self) -> controller.PassResult:
            Flaky.calls += 1
            raise errors.Transient("remote down")

    stop = threading.Event()
    waits: list[float] = []
    original = stop.wait

    def recording_wait(timeout: float | None = None) -> bool:
        waits.append(float(timeout or 0))
        if len(waits) >= 4:
            stop.set()
        return original(0)

    stop.wait = recording_wait  # type: ignore[method-assign]
    loop.run(Flaky(), 30.0, stop, None, lambda line: None)  # type: ignore[arg-type]
    assert Flaky.calls == 4
    assert waits[0] < waits[2] <= 60


@pytest.mark.parametrize(
    ("requeue", "expected"),
    [(None, 30.0), (5.0, 5.0), (100.0, 30.0), (-1.0, 30.0), (0.001, 0.05)],
    ids=["none", "sooner", "later", "past", "floor"],
)
def test_loop_waits_until_the_pass_asks(requeue: float | None, expected: float) -> None:
    """The loop runs the next pass at the pass's requeue time when that comes first."""
    from gitops_ocm.hub import loop

    at = None if requeue is None else NOW + datetime.timedelta(seconds=requeue)
    assert loop.until(at, NOW, 30.0) == pytest.approx(expected)


def test_pass_result_says_when_a_lease_runs_out(tmp_path: Path) -> None:
    """A pass over a reported cluster asks to run again when its lease would expire."""
    repo = new_fleet(tmp_path)
    hub = repository.open(repo)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "status"))
    from statuskit import cluster_yaml, lease_yaml

    files = {"cluster.yaml": cluster_yaml("eu-prod-1"), "lease.yaml": lease_yaml(NOW)}
    writer.publish_tree(hub, "ocm/reports/eu-prod-1", files, "report", author=AUTHOR)
    result = make(repo).reconcile()
    assert result.requeue_at == NOW + datetime.timedelta(seconds=300)
