"""The server-side guard: real pushes over git daemon to a bare repository with the hook installed.

Each refusal (T641-T646) is pushed by ``git push`` and must come back as a
``remote:`` line with the ref left where it was; the legitimate pushes (a
report signed by its cluster's key, a registration request, the controller's
signed ``ocm/hub`` and ``ocm/status`` commits, a normal main push, a large
removal carrying ``Fleet-Removal: approved``) must still go through.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keykit
import pygit2
import pytest
from repokit import CLUSTER

from gitops_ocm.cli.main import main
from gitops_ocm.gitstore import repository, servers, writer
from gitops_ocm.trust import signers, sshsig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub"))
import signkit

pytestmark = pytest.mark.slow

HUB = keykit.signer()
CLUSTERS = ("c1", "c2", "c3", "c4")


def key(name: str) -> sshsig.Signer:
    """The fixed key of a cluster's agent (or an attacker's)."""
    return keykit.signer(keykit.seed(name))


def work(cluster: str, name: str = "hello") -> str:
    """A ManifestWork of main, published to ``cluster``."""
    return (
        "apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\n"
        f"metadata: {{name: {name}, namespace: {cluster}}}\nspec:\n  workload:\n"
        "    manifests:\n    - apiVersion: v1\n      kind: ConfigMap\n"
        f"      metadata: {{name: {name}, namespace: default}}\n      data: {{v: '1'}}\n"
    )


def fleet(with_works: tuple[str, ...] = CLUSTERS) -> dict[str, bytes]:
    """Main's tree: every cluster, and a work for each of ``with_works``."""
    files = {f"clusters/{c}.yaml": CLUSTER.format(name=c, region="eu").encode() for c in CLUSTERS}
    files.update((f"works/{c}.yaml", work(c).encode()) for c in with_works)
    return files


def hub_tree(accepted: tuple[str, ...] = ("c1", "c2")) -> dict[str, bytes]:
    """An ``ocm/hub`` tree: allowed_signers (hub key, accepted clusters) and published folders."""
    principals = {c: [key(c).public_key] for c in accepted}
    principals["hub"] = [HUB.public_key]
    files = {"allowed_signers": signers.render(principals).encode()}
    files.update((f"clusters/{c}/cluster.yaml", signkit.cluster_yaml(c)) for c in accepted)
    return files


class Server:
    """The served bare repository, and a local repository where commits are made before a push."""

    def __init__(self, url: str, bare: Path, local: Path) -> None:
        self.url, self.bare = url, bare
        self.local = repository.init(local)
        self.local_path = local

    def commit(
        self,
        branch: str,
        files: dict[str, bytes],
        signer: sshsig.Signer | None,
        message: str = "change",
        fresh: bool = False,
    ) -> str:
        """Commit ``files`` as the whole tree on the local ``branch`` (``fresh``: a new root)."""
        raw = pygit2.Repository(str(self.local_path))
        ref = f"refs/heads/{branch}"
        if fresh and ref in raw.references:
            raw.references.delete(ref)
        author = writer.Author(name="t", when=1_700_000_000, signer=signer)
        done = writer.publish_tree(self.local, branch, files, message, author=author)
        assert done.created, "a test commit must change the tree"
        return done.commit

    def push(self, *refspecs: str) -> subprocess.CompletedProcess[str]:
        """Push (forced on the client side: the server's hook is the judge)."""
        return subprocess.run(
            ["git", "--git-dir", str(self.local_path), "push", self.url, *refspecs],
            capture_output=True,
            text=True,
            check=False,
        )

    def send(self, branch: str, *args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """:meth:`commit` on ``branch`` locally, then push it to the same branch."""
        commit = self.commit(branch, *args, **kwargs)
        return self.push(f"+{commit}:refs/heads/{branch}")

    def tip(self, branch: str) -> str | None:
        """The served branch's commit (None: absent)."""
        ref = pygit2.Repository(str(self.bare)).references.get(f"refs/heads/{branch}")
        return None if ref is None else str(ref.target)


def serve(tmp_path: Path, *install: str) -> Iterator[Server]:
    """A bare repository with the hook installed (``install``: more flags), served by git daemon."""
    root = tmp_path / "srv"
    root.mkdir()
    bare = root / "fleet.git"
    pygit2.init_repository(str(bare), bare=True, initial_head="main")
    assert main(["hook", "install", "--repo", str(bare), *install]) == 0
    with servers.git_daemon(root) as base:
        yield Server(f"{base}/fleet.git", bare, tmp_path / "local.git")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The served repository with main (four clusters, a work each), ocm/hub and c1's report."""
    for it in serve(tmp_path):
        assert it.send("main", fleet(), None).returncode == 0
        first = it.send("ocm/hub", hub_tree(), HUB)
        assert first.returncode == 0, first.stderr
        assert "not guarded yet" in first.stderr  # no allowed_signers before this push
        report = signkit.report_files("c1", key("c1").public_key)
        assert it.send("ocm/reports/c1", report, key("c1")).returncode == 0
        yield it


def refused(done: subprocess.CompletedProcess[str], line: str) -> None:
    """The push was declined, with ``line`` among the remote's lines."""
    assert done.returncode != 0
    assert f"remote: gitops-ocm: push rejected: {line}" in done.stderr, done.stderr
    assert "pre-receive hook declined" in done.stderr


def test_report_signed_by_its_accepted_key_is_accepted(server: Server) -> None:
    """A report of c1 signed by c1's accepted key moves the branch."""
    report = signkit.report_files("c1", key("c1").public_key)
    report["lease.yaml"] += b"\n"
    commit = server.commit("ocm/reports/c1", report, key("c1"))
    done = server.push(f"{commit}:refs/heads/ocm/reports/c1")
    assert done.returncode == 0, done.stderr
    assert server.tip("ocm/reports/c1") == commit


def test_registration_request_signed_by_its_presented_key_is_accepted(server: Server) -> None:
    """A cluster without an accepted key may push a request signed by the key it presents."""
    done = server.send(
        "ocm/reports/c3", signkit.report_files("c3", key("c3").public_key), key("c3")
    )
    assert done.returncode == 0, done.stderr
    assert server.tip("ocm/reports/c3") is not None


def test_key_rotation_request_is_accepted(server: Server) -> None:
    """c1 presenting and signing with a new key is a request (rotation), not refused."""
    report = signkit.report_files("c1", key("c1-new").public_key)
    done = server.send("ocm/reports/c1", report, key("c1-new"))
    assert done.returncode == 0, done.stderr


def test_unsigned_report_is_refused(server: Server) -> None:
    """An unsigned report tip is refused with T642 naming the controller's reason T621."""
    before = server.tip("ocm/reports/c1")
    files = signkit.report_files("c1", key("c1").public_key)
    files["lease.yaml"] += b"\n"
    done = server.send("ocm/reports/c1", files, None)
    refused(done, "refs/heads/ocm/reports/c1: T642 T621 the report tip is unsigned")
    assert server.tip("ocm/reports/c1") == before


def test_report_signed_by_another_clusters_key_is_refused(server: Server) -> None:
    """c2's report signed by c1's key (presenting c2's) is refused: T642 T622."""
    files = signkit.report_files("c2", key("c2").public_key)
    done = server.send("ocm/reports/c2", files, key("c1"))
    refused(done, "refs/heads/ocm/reports/c2: T642 T622 signed by a key that is neither")
    assert server.tip("ocm/reports/c2") is None


def test_request_naming_another_cluster_is_refused(server: Server) -> None:
    """A request on c3's branch whose registration.yaml names c4 is refused: T642 T623."""
    files = {"registration.yaml": signkit.registration_yaml("c4", key("c3").public_key)}
    done = server.send("ocm/reports/c3", files, key("c3"))
    refused(done, "refs/heads/ocm/reports/c3: T642 T623")


def test_deleting_an_accepted_clusters_report_branch_is_refused(server: Server) -> None:
    """Deleting c1's report branch (c1 has an accepted key) is refused with T643."""
    done = server.push(":refs/heads/ocm/reports/c1")
    refused(done, "refs/heads/ocm/reports/c1: T643")
    assert server.tip("ocm/reports/c1") is not None


def test_deleting_a_pending_clusters_report_branch_is_accepted(server: Server) -> None:
    """A cluster without an accepted key may lose its request branch."""
    files = signkit.report_files("c3", key("c3").public_key)
    assert server.send("ocm/reports/c3", files, key("c3")).returncode == 0
    done = server.push(":refs/heads/ocm/reports/c3")
    assert done.returncode == 0, done.stderr
    assert server.tip("ocm/reports/c3") is None


@pytest.mark.parametrize("branch", ["ocm/hub", "ocm/status"])
def test_controller_signed_commits_are_accepted(server: Server, branch: str) -> None:
    """The controller's signed commits on ocm/hub and ocm/status go through."""
    files = {**hub_tree(), "README.md": b"signed\n"}
    done = server.send(branch, files, HUB)
    assert done.returncode == 0, done.stderr
    assert "not guarded" not in done.stderr


@pytest.mark.parametrize(
    ("branch", "signer", "why"),
    [
        ("ocm/hub", None, "(unsigned)"),
        ("ocm/status", None, "(unsigned)"),
        ("ocm/hub", key("c1"), "(signed by SHA256:"),
    ],
    ids=["unsigned-hub", "unsigned-status", "hub-signed-by-a-cluster"],
)
def test_controller_branch_not_signed_by_the_hub_key_is_refused(
    server: Server, branch: str, signer: sshsig.Signer | None, why: str
) -> None:
    """A tip of ocm/hub or ocm/status not signed by the hub key is refused with T644."""
    assert server.send("ocm/status", {"README.md": b"s\n"}, HUB).returncode == 0
    before = server.tip(branch)
    done = server.send(branch, {**hub_tree(), "clusters/c9/x.yaml": b"evil\n"}, signer)
    refused(done, f"refs/heads/{branch}: T644 the new tip")
    assert why in done.stderr
    assert server.tip(branch) == before


def test_hub_force_push_and_deletion_are_refused(server: Server) -> None:
    """ocm/hub only moves forward: a signed new root (force-push) and a deletion are T645."""
    before = server.tip("ocm/hub")
    done = server.send("ocm/hub", hub_tree(), HUB, message="rewritten", fresh=True)
    refused(done, "refs/heads/ocm/hub: T645 force-push refused")
    refused(server.push(":refs/heads/ocm/hub"), "refs/heads/ocm/hub: T645 deleting")
    assert server.tip("ocm/hub") == before


def test_without_allowed_signers_controller_branches_are_not_guarded(tmp_path: Path) -> None:
    """Before ocm/hub carries allowed_signers, an unsigned ocm/status passes with a note."""
    for it in serve(tmp_path):
        done = it.send("ocm/status", {"README.md": b"x\n"}, None)
        assert done.returncode == 0, done.stderr
        assert "gitops-ocm: note: refs/heads/ocm/status: not guarded yet" in done.stderr


@pytest.mark.parametrize("branch", ["ocm/reports/c1/x", "ocm/other", "ocm/reports/C1"])
def test_refs_outside_the_layout_are_refused(server: Server, branch: str) -> None:
    """A ref below ocm/ outside the layout is refused with T641 (no D/F lock-out)."""
    commit = server.commit("scratch", {"x": b"y\n"}, key("c1"))
    done = server.push(f"{commit}:refs/heads/{branch}")
    refused(done, f"refs/heads/{branch}: T641")
    assert server.tip(branch) is None


def test_a_stray_ref_outside_the_layout_may_be_deleted(server: Server) -> None:
    """A bogus ref made before the guard can be deleted through it."""
    raw = pygit2.Repository(str(server.bare))
    raw.references.create("refs/heads/ocm/bogus", raw.references["refs/heads/main"].target)
    done = server.push(":refs/heads/ocm/bogus")
    assert done.returncode == 0, done.stderr


def test_main_force_push_is_refused(server: Server) -> None:
    """A main commit that does not descend from the current one is refused with T645."""
    before = server.tip("main")
    done = server.send("main", fleet(), None, message="rewritten", fresh=True)
    refused(done, "refs/heads/main: T645 force-push refused")
    assert server.tip("main") == before


def test_normal_main_push_is_accepted(server: Server) -> None:
    """Removing the works of one cluster in four (not more than half) goes through."""
    done = server.send("main", fleet(("c2", "c3", "c4")), None)
    assert done.returncode == 0, done.stderr


def test_large_removal_from_main_is_refused(server: Server) -> None:
    """Removing works from three clusters in four, without approval, is refused with T646."""
    before = server.tip("main")
    done = server.send("main", fleet(("c4",)), None, message="drop works")
    refused(done, "refs/heads/main: T646")
    assert "removes works from 3 of 4 clusters (more than 0.5 of the fleet: c1, c2, c3)" in (
        done.stderr
    )
    assert server.tip("main") == before


def test_large_removal_with_the_trailer_is_accepted(server: Server) -> None:
    """The same removal goes through when the commit carries Fleet-Removal: approved."""
    message = "drop works\n\nFleet-Removal: approved\n"
    done = server.send("main", fleet(("c4",)), None, message=message)
    assert done.returncode == 0, done.stderr


def test_removing_clusters_counts_as_removing_their_works(server: Server) -> None:
    """Deleting three clusters from main withdraws their works: refused with T646."""
    files = {p: d for p, d in fleet().items() if "c4" in p}
    refused(server.send("main", files, None), "refs/heads/main: T646")


def test_max_removal_share_is_configurable(tmp_path: Path) -> None:
    """Installed with --max-removal-share 0.2, removing one cluster's works in four is refused."""
    for it in serve(tmp_path, "--max-removal-share", "0.2"):
        assert it.send("main", fleet(), None).returncode == 0
        done = it.send("main", fleet(("c2", "c3", "c4")), None)
        refused(done, "refs/heads/main: T646")
        assert "removes works from 1 of 4 clusters (more than 0.2 of the fleet: c1)" in done.stderr


@pytest.mark.parametrize("action", ["pre-receive", "install"])
def test_a_share_outside_zero_to_one_is_a_usage_error(tmp_path: Path, action: str) -> None:
    """--max-removal-share 1.5 is refused with exit 2."""
    pygit2.init_repository(str(tmp_path / "r.git"), bare=True)
    extra = ["--repo", str(tmp_path / "r.git")] if action == "install" else []
    assert main(["hook", action, *extra, "--max-removal-share", "1.5"]) == 2
