"""One ref per cluster: the controller publishes each cluster's folder on its own ref.

Each ref's commit holds only that cluster's folder (the very tree of
``ocm/hub``) and ``allowed_signers``, is signed by the controller (stock
``git verify-commit`` agrees), carries ``Source-Commit`` and ``Hub-Commit``, and
has the ref's previous commit as parent. A pass moves only the refs whose
cluster changed; a cluster that leaves loses its ref; a restarted controller
moves nothing; a forged or deleted ref is written again with T627.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import keykit
import pytest
from hubkit import commit, example_files, git, new_fleet

from gitops_ocm.gitstore import clusterrefs, reader, remote, repository, writer
from gitops_ocm.hub import controller, ownbranches, percluster

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
WORK = "works/us-dev-1/sandbox.yaml"


def _controller(repo: Path) -> controller.Controller:
    return controller.Controller(
        remote.open_store(str(repo)), clock=lambda: NOW, signer=keykit.signer()
    )


def _refs(repo: Path) -> dict[str, str]:
    return clusterrefs.targets(repository.open(repo))


def _clusters(repo: Path, rev: str = "ocm/hub") -> dict[str, str]:
    return {
        path.partition("/")[2]: tree
        for path, tree in reader.folder_ids(repository.open(repo), rev, "clusters").items()
    }


def _trailer(repo: Path, rev: str, key: str) -> str:
    fmt = f"--format=%(trailers:key={key},valueonly)"
    return git(repo, "log", "-1", fmt, rev).strip()


def _changed_work(version: int) -> dict[str, bytes]:
    files = example_files()
    files[WORK] = files[WORK].replace(b"mode: experimental", f"mode: v{version}".encode())
    return files


def test_each_cluster_gets_a_signed_ref_holding_only_its_folder(tmp_path: Path) -> None:
    """Every cluster of ocm/hub has a signed ref holding its folder, allowed_signers, trailers."""
    repo = new_fleet(tmp_path)
    result = _controller(repo).reconcile()
    folders = _clusters(repo)
    found = _refs(repo)
    assert len(folders) == 10 and set(found) == set(folders)
    assert result.refs_moved == 10
    hub_signers = git(repo, "rev-parse", "ocm/hub:allowed_signers").strip()
    allowed = git(repo, "show", "ocm/hub:allowed_signers")
    source = git(repo, "rev-parse", "main").strip()
    hub_commit = git(repo, "rev-parse", "ocm/hub").strip()
    for cluster, commit_id in found.items():
        listing = git(repo, "ls-tree", "-r", "--name-only", commit_id).split()
        assert "allowed_signers" in listing
        assert all(p == "allowed_signers" or p.startswith(f"clusters/{cluster}/") for p in listing)
        assert git(repo, "rev-parse", f"{commit_id}:clusters/{cluster}").strip() == folders[cluster]
        assert git(repo, "rev-parse", f"{commit_id}:allowed_signers").strip() == hub_signers
        verified = keykit.verify_commit(repo, commit_id, allowed)
        assert verified.returncode == 0, verified.stderr
        assert _trailer(repo, commit_id, "Source-Commit") == source
        assert _trailer(repo, commit_id, "Hub-Commit") == hub_commit
        assert git(repo, "rev-list", "--count", commit_id).strip() == "1"


def test_a_change_to_one_cluster_moves_only_its_ref(tmp_path: Path) -> None:
    """A new work for us-dev-1 moves refs/ocm/hub/us-dev-1 only, on top of its previous commit."""
    repo = new_fleet(tmp_path)
    ctl = _controller(repo)
    ctl.reconcile()
    before = _refs(repo)
    commit(repo, _changed_work(2), "change one work")
    result = ctl.reconcile()
    after = _refs(repo)
    assert result.refs_moved == 1
    assert {c for c in after if after[c] != before[c]} == {"us-dev-1"}
    moved = after["us-dev-1"]
    assert git(repo, "rev-parse", f"{moved}^").strip() == before["us-dev-1"]
    assert "mode: v2" in git(repo, "show", f"{moved}:clusters/us-dev-1/manifestworks/sandbox.yaml")
    assert _trailer(repo, moved, "Hub-Commit") == git(repo, "rev-parse", "ocm/hub").strip()


def test_an_unchanged_pass_and_a_restart_move_no_ref(tmp_path: Path) -> None:
    """A pass with nothing new, and a new controller process, leave every ref where it was."""
    repo = new_fleet(tmp_path)
    _controller(repo).reconcile()
    before = _refs(repo)
    state = tmp_path / "state"
    restarted = controller.Controller(
        remote.open_store(str(repo)), clock=lambda: NOW, signer=keykit.signer(), state_dir=state
    )
    result = restarted.reconcile()
    assert result.refs_moved == 0
    assert not [p for p in result.problems if p.code == ownbranches.RESTORED]
    assert _refs(repo) == before


def test_a_cluster_that_leaves_loses_its_ref(tmp_path: Path) -> None:
    """Removing us-dev-1 from main deletes refs/ocm/hub/us-dev-1 and nothing else."""
    repo = new_fleet(tmp_path)
    ctl = _controller(repo)
    ctl.reconcile()
    before = _refs(repo)
    files = {
        p: d for p, d in example_files().items() if "us-dev-1" not in p or p.startswith("policies")
    }
    commit(repo, files, "retire us-dev-1")
    result = ctl.reconcile()
    assert result.valid, result.problems
    after = _refs(repo)
    assert "us-dev-1" not in _clusters(repo)
    assert set(after) == set(before) - {"us-dev-1"}
    assert all(after[c] == before[c] for c in after)


def test_a_forged_ref_is_written_again_on_top_of_it(tmp_path: Path) -> None:
    """A ref moved by someone else gets a signed commit with the cluster's folder, and T627."""
    repo = new_fleet(tmp_path)
    ctl = _controller(repo)
    ctl.reconcile()
    ref = clusterrefs.ref_of("us-dev-1")
    own = _refs(repo)["us-dev-1"]
    folder = _clusters(repo)["us-dev-1"]
    raw = repository.open(repo)
    evil = {"clusters/us-dev-1/manifestworks/evil.yaml": b"kind: ClusterRoleBinding\n"}
    mallory = writer.Author(name="mallory", signer=keykit.signer(keykit.OTHER_SEED))
    tree = writer.publish_tree(raw, "scratch", evil, "forged", author=mallory).tree
    forged = writer.commit_tree(
        raw, writer.refs.read_tip(raw, ref), tree, "forged", author=mallory
    ).commit
    result = ctl.reconcile()
    assert any(
        p.code == ownbranches.RESTORED and p.file == ref and forged in p.got
        for p in result.problems
    )
    tip = _refs(repo)["us-dev-1"]
    assert tip != forged
    assert git(repo, "rev-parse", f"{tip}:clusters/us-dev-1").strip() == folder
    assert reader.descends_from(raw, tip, forged) and reader.descends_from(raw, tip, own)
    assert ownbranches.signed_by(ctl.hub_store, tip, keykit.signer().public_key)


def test_a_deleted_ref_is_written_again(tmp_path: Path) -> None:
    """A ref deleted by someone else while its cluster is published comes back, with T627."""
    repo = new_fleet(tmp_path)
    ctl = _controller(repo)
    ctl.reconcile()
    git(repo, "update-ref", "-d", clusterrefs.ref_of("us-dev-1"))
    result = ctl.reconcile()
    assert any(p.code == ownbranches.RESTORED for p in result.problems)
    assert "us-dev-1" in _refs(repo)
    assert result.refs_moved == 1


def test_a_restart_with_its_state_folder_verifies_no_tip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cluster-refs.json beside the key vouches for the refs it wrote: no signature is checked."""
    repo = new_fleet(tmp_path)
    state = tmp_path / "state"

    def make() -> controller.Controller:
        store = remote.open_store(str(repo))
        return controller.Controller(
            store, clock=lambda: NOW, signer=keykit.signer(), state_dir=state
        )

    make().reconcile()
    assert (state / percluster.MEMORY).is_file()
    before = _refs(repo)
    checked: list[str] = []
    real = percluster.gate.signed_by
    monkeypatch.setattr(
        percluster.gate, "signed_by", lambda repo, c, key: checked.append(c) or real(repo, c, key)
    )
    result = make().reconcile()
    assert result.refs_moved == 0 and _refs(repo) == before
    assert not [c for c in checked if c in before.values()]
