"""End to end over git daemon: a sealed Secret reaches its clusters and no Git object holds it.

Two clusters join (their agents' requests carry their sealing keys; a person
accepts them with ``gitops-ocm accept``). A Secret with a fresh random value is
sealed with ``gitops-ocm seal --repo`` (the key read from ``ocm/hub:sealing.pub``
through the daemon) and committed to main inside a ManifestWorkReplicaSet sent
to both clusters. After the loop runs, each cluster holds the Secret with the
value; then every object of every ref of the served repository (``git rev-list
--all --objects``, read with ``git cat-file --batch``) is searched for the value
and its base64: nothing may match (issue 17, point 3).
"""

from __future__ import annotations

import base64
import datetime
import os
import subprocess
from pathlib import Path

import fleetyaml
import keykit
import pygit2
import pytest

from gitops_ocm.agent import reconciler
from gitops_ocm.cli import main
from gitops_ocm.gitstore import remote, servers
from gitops_ocm.hub import controller
from gitops_ocm.localkube import memory
from gitops_ocm.trust import keyfile

pytestmark = pytest.mark.slow

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
CLUSTERS = ("c1", "c2")


def _replica_set(sealed: str) -> str:
    """A ManifestWorkReplicaSet sending namespace demo and the SealedSecret to every cluster."""
    first, *rest = sealed.splitlines()
    manifest = f"      - {first}\n" + "".join(f"        {line}\n" for line in rest)
    return (
        "apiVersion: work.open-cluster-management.io/v1alpha1\nkind: ManifestWorkReplicaSet\n"
        "metadata: {name: db, namespace: apps}\nspec:\n  placementRefs: [{name: all}]\n"
        "  manifestWorkTemplate:\n    workload:\n      manifests:\n"
        "      - {apiVersion: v1, kind: Namespace, metadata: {name: demo}}\n" + manifest
    )


def _git(*args: str, cwd: Path | None = None, data: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, input=data, capture_output=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _every_object(bare: Path) -> bytes:
    """The content of every object reachable from every ref, concatenated."""
    listing = _git("--git-dir", str(bare), "rev-list", "--all", "--objects")
    ids = b"".join(line.split(b" ")[0] + b"\n" for line in listing.splitlines())
    return _git("--git-dir", str(bare), "cat-file", "--batch", data=ids)


def test_sealed_secret_reaches_clusters_and_no_object_holds_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Secret on each cluster holds the value; no object of any ref holds it or its base64."""
    value = os.urandom(18).hex()
    root = tmp_path / "srv"
    bare = root / "fleet.git"
    pygit2.init_repository(str(bare), bare=True, initial_head="main")
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "fleet.yaml").write_text(fleetyaml.FLEET)
    for c in CLUSTERS:
        (seed / f"{c}.yaml").write_text(fleetyaml.cluster(c))
    _git("init", "-q", "-b", "main", cwd=seed)
    _git("add", "-A", cwd=seed)
    _git("commit", "-q", "-m", "fleet", cwd=seed)
    _git("push", "-q", str(bare), "main", cwd=seed)
    with servers.git_daemon(root) as base:
        url = f"{base}/fleet.git"
        ctl = controller.Controller(
            remote.open_store(url, tmp_path / "hub-cache"),
            clock=lambda: NOW,
            signer=keykit.signer(),
            sealing_key=keyfile.sealing_key(tmp_path / "hub-state" / "sealing.key"),
        )
        kube = {c: memory.MemoryCluster() for c in CLUSTERS}
        agents = [
            reconciler.Agent(
                reconciler.Settings(repo=url, cluster=c, state_dir=tmp_path / "state" / c),
                kube[c],
            )
            for c in CLUSTERS
        ]

        def cycle() -> None:
            ctl.reconcile()
            for agent in agents:
                agent.run_once(NOW)
            ctl.reconcile()

        cycle()  # the agents ask to join, offering their sealing keys
        checkout = tmp_path / "checkout"
        _git("clone", "-q", url, str(checkout))
        for c in CLUSTERS:
            assert main.main(["accept", c, str(checkout), "--repo", str(bare)]) == 0
        secret = tmp_path / "secret.yaml"  # outside any repository
        secret.write_text(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\n"
            f"stringData: {{password: {value}}}\n"
        )
        capsys.readouterr()
        cache = str(tmp_path / "seal-cache")
        assert main.main(["seal", str(secret), "--repo", url, "--cache-dir", cache]) == 0
        sealed = capsys.readouterr().out
        assert value not in sealed
        (checkout / "db.yaml").write_text(_replica_set(sealed))
        _git("add", "-A", cwd=checkout)
        _git("commit", "-q", "-m", "accept c1 and c2; the db secret", cwd=checkout)
        _git("push", "-q", "origin", "HEAD:main", cwd=checkout)
        cycle()
        cycle()
        for c in CLUSTERS:
            live = kube[c].get("v1", "Secret", "db", "demo")
            assert live is not None, c
            assert base64.b64decode(live["data"]["password"]).decode() == value
    everything = _every_object(bare)
    assert b"SealedSecret" in everything and b"sealing.pub" in everything  # the search sees them
    encoded = base64.b64encode(value.encode())
    for needle in (value.encode(), encoded, encoded.rstrip(b"=")):
        assert needle not in everything
