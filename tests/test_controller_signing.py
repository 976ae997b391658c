"""The controller's key: signed ocm/hub and ocm/status, allowed_signers, and render's equal tree."""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import keykit
import pygit2
import pytest
from repokit import commit_files

from gitops_ocm import treeio
from gitops_ocm.cli import controller as controller_cli
from gitops_ocm.cli import main
from gitops_ocm.gitstore import reader, remote, repository, writer
from gitops_ocm.hub import controller
from gitops_ocm.model import yamlout
from gitops_ocm.render import admissions
from gitops_ocm.trust import keyfile, keys, seal, signers

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
KEY_A = keykit.public(keykit.seed("a"))
KEY_B = keykit.public(keykit.seed("b"))
SIG = pygit2.Signature("t", "t@example.com", 1_700_000_000, 0)


def cluster(name: str, key: keys.PublicKey) -> str:
    """An accepted ManagedCluster naming its agent's key."""
    annotation = f"{{{admissions.AGENT_KEY}: '{key.fingerprint}'}}"
    return (
        "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        f"metadata:\n  name: {name}\n  annotations: {annotation}\n"
        "spec: {hubAcceptsClient: true}\n"
    )


def work(name: str, data: str = "1") -> str:
    """A ManifestWork for cluster ``name``."""
    return (
        "apiVersion: work.open-cluster-management.io/v1\nkind: ManifestWork\n"
        f"metadata: {{name: hello, namespace: {name}}}\nspec:\n  workload:\n    manifests:\n"
        "    - apiVersion: v1\n      kind: ConfigMap\n"
        f"      metadata: {{name: hello, namespace: default}}\n      data: {{v: '{data}'}}\n"
    )


PLACEMENT = """\
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata: {name: default, namespace: apps}
spec: {clusterSet: default}
---
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata: {name: all, namespace: apps}
spec:
  tolerations:
  - {key: cluster.open-cluster-management.io/unreachable, operator: Exists}
"""
FLEET = {
    "placements.yaml": PLACEMENT,
    "clusters/a.yaml": cluster("a", KEY_A),
    "clusters/b.yaml": cluster("b", KEY_B),
    "works/a.yaml": work("a"),
    "works/b.yaml": work("b"),
}


def request(name: str, key: keys.PublicKey) -> bytes:
    """A registration request as ``ocm/status`` records it."""
    return yamlout.dump(
        {"cluster": name, "fingerprint": key.fingerprint, "publicKey": key.to_line()}
    )


def add_to_status(repo_path: Path, files: dict[str, bytes]) -> None:
    """Commit ``files`` onto ocm/status, signed by the controller's key, as the fold records a
    verified request (an unsigned commit there would be restored away as forged)."""
    author = writer.Author(signer=keykit.signer())
    writer.publish_changes(
        repository.open(repo_path), "ocm/status", files, "request", author=author
    )


def files_at(repo_path: Path, rev: str) -> dict[str, bytes]:
    """Every file of ``rev``."""
    return reader.read_tree_files(repository.open(repo_path), rev)


def tip(repo_path: Path, branch: str) -> str:
    """The commit id ``branch`` points at."""
    return str(pygit2.Repository(str(repo_path)).references[f"refs/heads/{branch}"].target)


def render_cli(tmp_path: Path, repo: Path, name: str, *options: str) -> dict[str, bytes]:
    """Run ``gitops-ocm render --rev main`` and return the tree it wrote."""
    out = tmp_path / name
    args = [str(repo), "--rev", "main", "--now", "2026-11-21T12:00:00Z", "--out", str(out)]
    assert main.main(["render", *args, *options]) == 0
    return treeio.read_tree(out)


def written(tmp_path: Path, name: str, files: dict[str, bytes]) -> str:
    """Write ``files`` to a folder and return its path."""
    treeio.write_tree(tmp_path / name, files)
    return str(tmp_path / name)


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """A fleet whose cluster a has requested its key and b has not (yet)."""
    path = tmp_path / "fleet.git"
    pygit2.init_repository(str(path), bare=True, initial_head="main")
    commit_files(path, FLEET, "fleet")
    add_to_status(path, {"registrations/a.yaml": request("a", KEY_A)})
    return path


def make(repo: Path) -> controller.Controller:
    """A controller signing with keykit's hub key."""
    return controller.Controller(
        remote.open_store(str(repo)), clock=lambda: NOW, signer=keykit.signer()
    )


def test_hub_and_status_tips_verify_with_stock_git(fleet: Path) -> None:
    """git verify-commit accepts ocm/hub's and ocm/status's tips with ocm/hub:allowed_signers."""
    result = make(fleet).reconcile()
    assert result.valid, result.log_line()
    allowed = files_at(fleet, "ocm/hub")[admissions.PATH].decode()
    for branch in ("ocm/hub", "ocm/status"):
        done = keykit.verify_commit(fleet, tip(fleet, branch), allowed)
        assert done.returncode == 0, done.stderr
        assert "hub" in done.stderr
    only_a = "".join(line + "\n" for line in allowed.splitlines() if line.startswith("a "))
    assert keykit.verify_commit(fleet, tip(fleet, "ocm/hub"), only_a).returncode != 0


def test_awaiting_cluster_gets_nothing_until_its_key_is_known(fleet: Path) -> None:
    """b (no request yet) is listed as awaiting and unpublished; its request admits it."""
    ctl = make(fleet)
    assert ctl.reconcile().valid
    hub_files = files_at(fleet, "ocm/hub")
    assert "clusters/a/manifestworks/hello.yaml" in hub_files
    assert not any(p.startswith("clusters/b/") for p in hub_files)
    status = yamlout.load(files_at(fleet, "ocm/status")["controller.yaml"])["status"]
    assert status["awaitingAgent"] == ["b"]
    add_to_status(fleet, {"registrations/b.yaml": request("b", KEY_B)})
    assert not ctl.reconcile().skipped
    hub_files = files_at(fleet, "ocm/hub")
    assert "clusters/b/manifestworks/hello.yaml" in hub_files
    entries = signers.parse(hub_files[admissions.PATH].decode())
    assert [e.principals for e in entries] == [("a",), ("b",), ("hub",)]
    status = yamlout.load(files_at(fleet, "ocm/status")["controller.yaml"])["status"]
    assert "awaitingAgent" not in status


def test_render_cli_equals_the_controllers_tree(fleet: Path, tmp_path: Path) -> None:
    """render with --previous/--status/--hub-key writes ocm/hub byte for byte, pass after pass."""
    ctl = make(fleet)
    status_before = files_at(fleet, "ocm/status")
    assert ctl.reconcile().valid
    first = files_at(fleet, "ocm/hub")
    assert "placements/apps/all/all-decision-1.yaml" in first
    pub = tmp_path / "hub.pub"
    pub.write_text(keykit.public().to_line() + "\n")
    status_dir = written(tmp_path, "s0", status_before)
    assert render_cli(tmp_path, fleet, "r1", "--status", status_dir, "--hub-key", str(pub)) == first
    add_to_status(fleet, {"registrations/b.yaml": request("b", KEY_B)})
    commit_files(fleet, {**FLEET, "works/a.yaml": work("a", "2")}, "change")
    status_before = files_at(fleet, "ocm/status")
    assert ctl.reconcile().valid
    second = files_at(fleet, "ocm/hub")
    assert second != first
    options = ["--previous", written(tmp_path, "h1", first)]
    options += ["--status", written(tmp_path, "s1", status_before)]
    assert render_cli(tmp_path, fleet, "r2", *options, "--hub-key", str(pub)) == second
    assert render_cli(tmp_path, fleet, "r3", *options) == second  # hub key of --previous


def test_render_without_any_hub_key_has_no_hub_line(fleet: Path, tmp_path: Path) -> None:
    """Without --hub-key or a previous tree, allowed_signers lists only the clusters."""
    status_dir = written(tmp_path, "s", files_at(fleet, "ocm/status"))
    tree = render_cli(tmp_path, fleet, "out", "--status", status_dir)
    assert [e.principals for e in signers.parse(tree[admissions.PATH].decode())] == [("a",)]


def test_render_bad_hub_key_is_refused(fleet: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A --hub-key that is no public key line exits 1 naming the file; a missing one exits 2."""
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-rsa AAAA\n")
    args = ["render", str(fleet), "--rev", "main", "--out", str(tmp_path / "o")]
    assert main.main([*args, "--hub-key", str(bad)]) == 1
    assert str(bad) in capsys.readouterr().err
    assert main.main([*args, "--hub-key", str(tmp_path / "absent.pub")]) == 2


def test_cli_signing_key_is_created_0600_and_logged(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """controller --signing-key creates the key (0600), logs it and signs with it."""
    key = tmp_path / "keys" / "controller.key"
    key.parent.mkdir()
    assert main.main(["controller", "--repo", str(fleet), "--once", "--signing-key", str(key)]) == 0
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    signer = controller_cli.signing_key(str(key), {})[1]
    assert signer.fingerprint in capsys.readouterr().err
    allowed = files_at(fleet, "ocm/hub")[admissions.PATH].decode()
    assert f'hub namespaces="git" {signer.public_key.to_line()}' in allowed
    assert keykit.verify_commit(fleet, tip(fleet, "ocm/hub"), allowed).returncode == 0


def test_cli_default_key_lives_in_the_state_dir(fleet: Path) -> None:
    """Without --signing-key the key is $GITOPS_OCM_STATE_DIR/controller.key, kept across runs."""
    assert main.main(["controller", "--repo", str(fleet), "--once"]) == 0
    key = Path(os.environ["GITOPS_OCM_STATE_DIR"]) / "controller.key"
    first = key.read_bytes()
    assert main.main(["controller", "--repo", str(fleet), "--once"]) == 0
    assert key.read_bytes() == first


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param({"GITOPS_OCM_STATE_DIR": "/s"}, "/s/controller.key", id="state-dir"),
        pytest.param({"XDG_STATE_HOME": "/x"}, "/x/gitops-ocm/controller.key", id="xdg"),
        pytest.param({}, "~/.local/state/gitops-ocm/controller.key", id="home"),
    ],
)
def test_default_key_path(env: dict[str, str], expected: str) -> None:
    """The default key path follows the state-dir, XDG, home order."""
    assert controller_cli.default_key_path(env) == Path(expected).expanduser()


def test_cli_sealing_key_beside_the_signing_key_is_published(fleet: Path, tmp_path: Path) -> None:
    """controller creates sealing.key (0600) beside its signing key; ocm/hub has sealing.pub."""
    key = tmp_path / "keys" / "controller.key"
    key.parent.mkdir()
    assert main.main(["controller", "--repo", str(fleet), "--once", "--signing-key", str(key)]) == 0
    sealing_key = key.parent / controller_cli.SEALING_KEY_FILE
    assert stat.S_IMODE(sealing_key.stat().st_mode) == 0o600
    public = seal.public_of(keyfile.sealing_key(sealing_key))
    assert files_at(fleet, "ocm/hub")["sealing.pub"] == (public.to_line() + "\n").encode()
