"""Re-sealing on the hub: each cluster's work holds values only its key opens, byte-identical."""

from __future__ import annotations

import base64
import datetime
import itertools
from pathlib import Path
from typing import Any

import keykit
import pygit2
import pytest
from repokit import commit_files

from gitops_ocm.gitstore import reader, remote, repository, writer
from gitops_ocm.hub import controller
from gitops_ocm.model import yamlout
from gitops_ocm.render import admissions, sealing
from gitops_ocm.status import registrations
from gitops_ocm.trust import keys, seal, sealedsecret

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
HUB_SEAL = bytes(range(1, 33))
A_SEAL = bytes(range(33, 65))
B_SEAL = bytes(range(65, 97))
KEY_A = keykit.public(keykit.seed("a"))
KEY_B = keykit.public(keykit.seed("b"))
VALUE = "s3cret-Value-42"


def cluster(name: str, key: keys.PublicKey) -> str:
    """An accepted ManagedCluster naming its agent's key."""
    annotation = f"{{{admissions.AGENT_KEY}: '{key.fingerprint}'}}"
    return (
        "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        f"metadata:\n  name: {name}\n  annotations: {annotation}\n"
        "spec: {hubAcceptsClient: true}\n"
    )


def sealed_manifest(to: bytes = HUB_SEAL, name: str = "db") -> dict[str, Any]:
    """A SealedSecret apps/<name> holding VALUE, sealed to ``to``'s public key."""
    numbers = itertools.count(3)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "apps"},
        "stringData": {"password": VALUE},
    }
    draw = lambda n: bytes([next(numbers)]) * n  # noqa: E731
    return sealedsecret.from_secret(secret, seal.public_of(to), draw)


def work(cluster_name: str, manifest: dict[str, Any]) -> bytes:
    """A ManifestWork for ``cluster_name`` holding ``manifest``."""
    return yamlout.dump(
        {
            "apiVersion": "work.open-cluster-management.io/v1",
            "kind": "ManifestWork",
            "metadata": {"name": "db", "namespace": cluster_name},
            "spec": {"workload": {"manifests": [manifest]}},
        }
    )


def request(name: str, key: keys.PublicKey, sealing_key: bytes | None) -> bytes:
    """A registration record as ``ocm/status`` holds it, with the sealing key offered."""
    line = seal.public_of(sealing_key).to_line() if sealing_key is not None else ""
    made = registrations.Request(
        key.fingerprint, key.to_line(), "2026-11-21T11:00:00Z", "0" * 40, sealing_key=line
    )
    return registrations.to_yaml(registrations.Record(name, made))


def add_to_status(repo_path: Path, files: dict[str, bytes]) -> None:
    """Commit ``files`` onto ocm/status, signed by the controller's key (as the fold does)."""
    author = writer.Author(signer=keykit.signer())
    writer.publish_changes(repository.open(repo_path), "ocm/status", files, "r", author=author)


def hub_files(repo_path: Path) -> dict[str, bytes]:
    """Every file of ocm/hub."""
    return reader.read_tree_files(repository.open(repo_path), "ocm/hub")


def make(repo: Path) -> controller.Controller:
    """A controller with keykit's signing key and HUB_SEAL as its sealing key."""
    store = remote.open_store(str(repo))
    return controller.Controller(
        store, clock=lambda: NOW, signer=keykit.signer(), sealing_key=HUB_SEAL
    )


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """Clusters a (sealing key offered) and b (none yet), each with a work holding a secret."""
    path = tmp_path / "fleet.git"
    pygit2.init_repository(str(path), bare=True, initial_head="main")
    files: dict[str, str | bytes] = {
        "clusters/a.yaml": cluster("a", KEY_A),
        "clusters/b.yaml": cluster("b", KEY_B),
        "works/a.yaml": work("a", sealed_manifest()),
        "works/b.yaml": work("b", sealed_manifest()),
    }
    commit_files(path, files, "fleet")
    add_to_status(
        path,
        {
            "registrations/a.yaml": request("a", KEY_A, A_SEAL),
            "registrations/b.yaml": request("b", KEY_B, None),
        },
    )
    return path


def opened(data: bytes, key: bytes) -> bytes:
    """The password of the work file's Secret, opened with ``key``."""
    manifest = yamlout.load(data)["spec"]["workload"]["manifests"][0]
    return base64.b64decode(sealedsecret.to_secret(manifest, key)["data"]["password"])


def test_work_is_resealed_to_the_cluster_and_holds_no_plaintext(fleet: Path) -> None:
    """a's work opens with a's key only; no hub file holds the value; sealing.pub is published."""
    result = make(fleet).reconcile()
    assert result.valid, result.log_line()
    files = hub_files(fleet)
    data = files["clusters/a/manifestworks/db.yaml"]
    assert opened(data, A_SEAL) == VALUE.encode()
    with pytest.raises(Exception, match="T663"):
        opened(data, HUB_SEAL)
    encoded = base64.b64encode(VALUE.encode())
    assert not any(VALUE.encode() in blob or encoded in blob for blob in files.values())
    assert files[sealing.PUBLIC_FILE] == (seal.public_of(HUB_SEAL).to_line() + "\n").encode()


def test_cluster_without_sealing_key_gets_no_work_and_a_warning(fleet: Path) -> None:
    """b offered no sealing key: its work is withheld with F405 at the work's file and line."""
    result = make(fleet).reconcile()
    assert "clusters/b/manifestworks/db.yaml" not in hub_files(fleet)
    (problem,) = [p for p in result.problems if p.code == sealing.NO_KEY]
    assert (problem.file, problem.line, problem.severity.value) == ("works/b.yaml", 1, "warning")
    assert "cluster b" in problem.message


def test_a_key_offered_later_publishes_the_work_on_the_next_pass(fleet: Path) -> None:
    """When b's record gains a sealing key, the next (incremental) pass publishes b's work."""
    ctl = make(fleet)
    ctl.reconcile()
    add_to_status(fleet, {"registrations/b.yaml": request("b", KEY_B, B_SEAL)})
    result = ctl.reconcile()
    assert not [p for p in result.problems if p.code == sealing.NO_KEY]
    assert opened(hub_files(fleet)["clusters/b/manifestworks/db.yaml"], B_SEAL) == VALUE.encode()


def test_same_inputs_give_the_same_hub_commit(fleet: Path) -> None:
    """A fresh controller over the same inputs publishes nothing new: the bytes are identical."""
    make(fleet).reconcile()
    before = str(pygit2.Repository(str(fleet)).references["refs/heads/ocm/hub"].target)
    result = make(fleet).reconcile()
    after = str(pygit2.Repository(str(fleet)).references["refs/heads/ocm/hub"].target)
    assert result.valid and before == after


def test_value_not_sealed_to_the_controller_refuses_the_commit(fleet: Path) -> None:
    """A SealedSecret the controller cannot open is error F406; nothing is published."""
    commit_files(
        fleet,
        {
            "clusters/a.yaml": cluster("a", KEY_A),
            "works/a.yaml": work("a", sealed_manifest(B_SEAL)),
        },
    )
    result = make(fleet).reconcile()
    assert not result.valid
    (problem,) = [p for p in result.problems if p.code == sealing.NOT_OPEN]
    assert problem.file == "works/a.yaml" and "T663" in problem.message
    assert VALUE not in problem.message


def test_resealed_is_deterministic_per_recipient() -> None:
    """The same work file and key give the same bytes; another key gives other bytes."""
    data = work("a", sealed_manifest())
    one = sealing.resealed(data, HUB_SEAL, seal.public_of(A_SEAL))
    assert one == sealing.resealed(data, HUB_SEAL, seal.public_of(A_SEAL))
    assert one != sealing.resealed(data, HUB_SEAL, seal.public_of(B_SEAL))
    assert isinstance(one, bytes) and opened(one, A_SEAL) == VALUE.encode()
