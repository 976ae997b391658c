"""The controller's own branches: a tip it did not sign is never read as its input.

An attacker with push access (an agent's stolen credentials) moves ocm/hub to a
commit adding a cluster-admin binding, or ocm/status to one saying a cluster is
unavailable. The next pass answers with a commit of the controller's on top,
holding the tree of its newest signed commit, and lists T627; nothing forged
survives in the tree, and the history is never force-updated.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import keykit
from hubkit import new_fleet

from gitops_ocm.gitstore import reader, refs, remote, repository, writer
from gitops_ocm.hub import controller, ownbranches
from gitops_ocm.model import yamlout

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
EVIL = b"kind: ClusterRoleBinding\nmetadata: {name: evil}\n"


def _controller(repo: Path) -> controller.Controller:
    return controller.Controller(
        remote.open_store(str(repo)), clock=lambda: NOW, signer=keykit.signer()
    )


def _forge(repo: Path, branch: str, path: str, data: bytes) -> str:
    """Commit ``path`` onto ``branch`` as an attacker would: unsigned, or with another key."""
    author = writer.Author(name="mallory", signer=keykit.signer(keykit.OTHER_SEED))
    return writer.publish_changes(
        repository.open(repo), branch, {path: data}, "forged", author=author
    ).commit


def _tip(repo: Path, branch: str) -> refs.Tip:
    return refs.read_tip(repository.open(repo), refs.branch_ref(branch))


def _files(repo: Path, rev: str) -> dict[str, bytes]:
    return reader.read_tree_files(repository.open(repo), rev)


def _controller_problems(repo: Path) -> list[str]:
    body = yamlout.load_mapping(_files(repo, "ocm/status").get("controller.yaml"))
    return [f"{p['code']} {p.get('got', '')}" for p in body["status"]["problems"]]


def test_a_forged_hub_tip_is_restored_and_listed(tmp_path: Path) -> None:
    """A forged ocm/hub tip gets a signed commit on top with the controller's tree, and T627."""
    repo = new_fleet(tmp_path)
    ctl = _controller(repo)
    ctl.reconcile()
    before = _files(repo, "ocm/hub")
    forged = _forge(repo, "ocm/hub", "clusters/cluster1/manifestworks/evil.yaml", EVIL)
    ctl.reconcile()
    tip = _tip(repo, "ocm/hub")
    assert tip.id != forged
    assert _files(repo, tip.id) == before
    assert ownbranches.signed_by(ctl.hub_store, tip.id, keykit.signer().public_key)
    assert reader.descends_from(repository.open(repo), tip.id, forged)  # never force-updated
    assert f"T627 commit {forged}" in _controller_problems(repo)


def test_a_forged_status_tip_is_not_read_by_a_restarted_controller(tmp_path: Path) -> None:
    """A new controller process walks back to the last signed ocm/status commit and restores it."""
    repo = new_fleet(tmp_path)
    _controller(repo).reconcile()
    signed = _tip(repo, "ocm/status")
    forged = _forge(repo, "ocm/status", "clusters/cluster1/cluster.yaml", b"kind: forged\n")
    _forge(repo, "ocm/status", "clusters/cluster2/cluster.yaml", b"kind: forged again\n")
    problem, tip = ownbranches.restore(
        _controller(repo).hub_store, "ocm/status", writer.Author(signer=keykit.signer())
    )
    assert problem is not None and problem.code == ownbranches.RESTORED
    assert tip is not None and _files(repo, tip) == _files(repo, str(signed.id))
    assert reader.descends_from(repository.open(repo), tip, forged)


def test_a_signed_tip_is_left_alone(tmp_path: Path) -> None:
    """The controller's own tip needs no commit: restore answers nothing."""
    repo = new_fleet(tmp_path)
    ctl = _controller(repo)
    ctl.reconcile()
    before = _tip(repo, "ocm/hub").id
    problem, tip = ownbranches.restore(ctl.hub_store, "ocm/hub", ctl.author)
    assert problem is None and tip == before == _tip(repo, "ocm/hub").id


def test_unsigned_history_is_read_once_with_a_warning(tmp_path: Path) -> None:
    """A hub written by an unsigned controller is read (T628), and the next commit is signed."""
    repo = new_fleet(tmp_path)
    controller.Controller(remote.open_store(str(repo)), clock=lambda: NOW).reconcile()
    unsigned = _tip(repo, "ocm/hub").id
    ctl = _controller(repo)
    result = ctl.reconcile()
    assert any(p.code == ownbranches.UNSIGNED_HISTORY for p in result.problems)
    status_tip = _tip(repo, "ocm/status").id
    assert status_tip is not None
    assert ownbranches.signed_by(ctl.hub_store, status_tip, keykit.signer().public_key)
    assert unsigned is not None


def test_a_restarted_controller_remembers_its_last_commits(tmp_path: Path) -> None:
    """With a state folder, a branch replaced wholesale by unsigned history is restored (T627)
    by a new controller process from the commit the last one wrote, not read (T628)."""
    repo = new_fleet(tmp_path)
    state = tmp_path / "state"

    def make() -> controller.Controller:
        store = remote.open_store(str(repo))
        return controller.Controller(
            store, clock=lambda: NOW, signer=keykit.signer(), state_dir=state
        )

    make().reconcile()
    ours = _tip(repo, "ocm/status")
    assert (state / ownbranches.MEMORY).is_file()
    raw = repository.open(repo)
    replaced = writer.publish_tree(
        raw, "elsewhere", {"clusters/cluster1/cluster.yaml": b"kind: forged\n"}, "forged",
        author=writer.Author(name="mallory"),
    )  # fmt: skip
    refs.swap(raw, _tip(repo, "ocm/status"), replaced.commit, "replaced wholesale")
    result = make().reconcile()
    codes = {p.code for p in result.problems}
    assert ownbranches.RESTORED in codes and ownbranches.UNSIGNED_HISTORY not in codes
    restored = _tip(repo, "ocm/status").id
    assert restored is not None and restored != ours.id
    assert _files(repo, restored).get("clusters/cluster1/cluster.yaml") != b"kind: forged\n"
