"""plan schedules base and head against one inventory, and says how fresh that inventory is."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pygit2
import pytest
import yaml
from repokit import commit_files
from test_plan_cli import UNAVAILABLE, example_files, plan

from gitops_ocm import source
from gitops_ocm.cli.main import main
from gitops_ocm.gitstore import message
from gitops_ocm.placement import inventory
from gitops_ocm.render import hub

T0 = datetime.datetime(2025, 12, 31, 22, 0, tzinfo=datetime.UTC)
BAD_PLACEMENT = """\
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata:
  name: broken
  namespace: platform
spec:
  numberOfClusters: -1
"""


def commit_branch(repo: Path, ref: str, files: dict[str, bytes], text: str, when: int) -> str:
    """Commit ``files`` as the whole tree of ``ref`` at time ``when``; return the commit."""
    git = pygit2.Repository(str(repo))
    index = pygit2.Index()
    for rel, data in files.items():
        index.add(pygit2.IndexEntry(rel, git.create_blob(data), pygit2.enums.FileMode.BLOB))
    sig = pygit2.Signature("controller", "c@example.com", when, 0)
    ref_name = f"refs/heads/{ref}"
    parents = [git.references[ref_name].target] if ref_name in git.references else []
    return str(git.create_commit(ref_name, sig, sig, text, index.write_tree(git), parents))


def lease(cluster: str, renewed: str) -> bytes:
    """A reported Lease of 60 s renewed at ``renewed``."""
    body = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "managed-cluster-lease", "namespace": cluster},
        "spec": {"leaseDurationSeconds": 60, "renewTime": renewed},
    }
    return yaml.safe_dump(body).encode()


def healthy_status(repo: Path, rev: str) -> dict[str, bytes]:
    """Every accepted cluster of ``rev`` reporting Available, as ocm/status holds it."""
    return hub.assume_available(source.load_revision(str(repo), rev), T0)


def good_main_and_hub(repo: Path, trailer: bool) -> tuple[dict[str, str], dict[str, bytes]]:
    """Commit the example fleet and its ocm/hub as rendered at T0 with every cluster healthy."""
    files = example_files()
    good = commit_files(repo, files, "good")
    healthy = healthy_status(repo, "main")
    snap = source.load_revision(str(repo), "main")
    tree = hub.render(snap, inventory.build(snap, healthy, T0, {}), {}, T0).files
    text = message.format_message("hub: reconcile", {"Source-Commit": good} if trailer else {})
    commit_branch(repo, "ocm/hub", dict(tree), text, int(T0.timestamp()))
    return files, healthy


@pytest.fixture
def drifted(bare_repo: Path) -> tuple[Path, dict[str, str]]:
    """ocm/hub rendered from a good main at T0; then eu-prod-2 went unavailable and main broke."""
    files, healthy = good_main_and_hub(bare_repo, trailer=True)
    status = {**healthy, "clusters/eu-prod-2/cluster.yaml": UNAVAILABLE.encode()}
    commit_branch(bare_repo, "ocm/status", status, "status", int(T0.timestamp()) + 600)
    commit_files(bare_repo, {**files, "placements/broken.yaml": BAD_PLACEMENT}, "broken")
    return bare_repo, files


def test_invalid_base_is_rendered_from_the_hub_source_against_the_same_status(
    drifted: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A fix of a broken main shows only its own change, not the status drift since ocm/hub."""
    repo, files = drifted
    app = files["apps/guestbook.yaml"].replace("Hello from the fleet", "Hello again")
    commit_files(repo, {**files, "apps/guestbook.yaml": app}, "fix and greet")
    assert main([*plan(repo, "main"), "--output", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    actions = {(c["kind"], c["action"]) for c in out["changes"]}
    assert actions == {("ManifestWork", "changed")}, out["changes"]
    assert out["totals"]["worksRemoved"] == 0 and out["totals"]["worksAdded"] == 0
    assert out["placements"] == []
    assert "eu-prod-2" not in [c["cluster"] for c in out["clusters"]]
    assert any("the commit ocm/hub was rendered from" in n for n in out["notes"])


def test_invalid_base_without_a_source_commit_falls_back_to_the_hub_tree(
    bare_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a readable Source-Commit the stored hub tree stands for the base, as a note says."""
    files, _ = good_main_and_hub(bare_repo, trailer=False)
    commit_files(bare_repo, {**files, "placements/broken.yaml": BAD_PLACEMENT}, "broken")
    commit_files(bare_repo, files, "fix")
    assert main([*plan(bare_repo, "main"), "--output", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any("compared with the ocm/hub tree" in n for n in out["notes"])


def test_status_age_and_expired_leases_in_every_form(
    bare_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text, markdown and JSON say when ocm/status was written and whose leases expired."""
    files = example_files()
    commit_files(bare_repo, files, "base")
    status = dict(healthy_status(bare_repo, "main"))
    status["clusters/eu-prod-1/lease.yaml"] = lease("eu-prod-1", "2025-12-31T21:00:00.000000Z")
    status["clusters/us-dev-1/lease.yaml"] = lease("us-dev-1", "2025-12-31T23:58:00.000000Z")
    written = int(datetime.datetime(2025, 12, 31, 22, 30, tzinfo=datetime.UTC).timestamp())
    commit = commit_branch(bare_repo, "ocm/status", status, "status", written)
    commit_files(bare_repo, files, "same")
    assert main(plan(bare_repo, "main")) == 0
    text = capsys.readouterr().out
    assert (
        f"status: heads/ocm/status at {commit[:12]}, written 2025-12-31T22:30:00Z "
        "(1h30m before now)" in text
    )
    assert "expired leases: eu-prod-1 (renewed 2025-12-31T21:00:00Z)" in text
    assert main([*plan(bare_repo, "main"), "--output", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "written 2025-12-31T22:30:00Z (1h30m before now)" in markdown
    assert "eu-prod-1 (renewed 2025-12-31T21:00:00Z)" in markdown
    assert main([*plan(bare_repo, "main"), "--output", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == {
        "source": "heads/ocm/status",
        "commit": commit,
        "written": "2025-12-31T22:30:00Z",
        "ageSeconds": 5400,
        "expiredLeases": [{"cluster": "eu-prod-1", "renewed": "2025-12-31T21:00:00Z"}],
    }


def test_without_status_the_forms_say_it_is_assumed(
    bare_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no ocm/status the JSON status object is empty and text says nothing is reported."""
    files = example_files()
    commit_files(bare_repo, files, "base")
    commit_files(bare_repo, files, "same")
    assert main([*plan(bare_repo, "main"), "--output", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == {
        "source": None,
        "commit": None,
        "written": None,
        "ageSeconds": None,
        "expiredLeases": [],
    }
    assert main(plan(bare_repo, "main")) == 0
    assert "status: none (every accepted cluster assumed available)" in capsys.readouterr().out
