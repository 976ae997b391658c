"""Benchmark of a fleet of agents: from a push on ``ocm/hub`` until every cluster reported.

I/O. ``python benchmarks/fleet.py [N] [--workers W] [--transport path|file]``
(default 200 clusters, 2 worker processes, ``file://``: each agent keeps a mirror,
fetches and pushes, as against a remote). Every cluster is an in-memory cluster;
one bare repository (under /dev/shm when it exists) holds ``ocm/hub`` and all
report branches. The hub tree has one ManifestWorkReplicaSet-like work (the same
blob for every cluster). Phases: a cold pass (CRDs, first apply, first report),
an idle pass (nothing changed: no write, no commit), and a pass after a push that
changes the work, verified afterwards on every report branch. The hub commits are
signed and carry `allowed_signers`, as the controller's are; each agent pins that key
(trust on first use) and signs its reports with a key of its own.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from gitops_ocm.agent import reconciler, results
from gitops_ocm.gitstore import objects, reader, repository, writer
from gitops_ocm.localkube import memory
from gitops_ocm.model import yamlout
from gitops_ocm.trust import signers, sshsig

T0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
SIGNER = sshsig.Signer(ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
AUTHOR = writer.Author(when=1_700_000_000, signer=SIGNER)  # a hub signs, as the controller does


def work_body(version: int) -> dict[str, Any]:
    """The work every cluster receives: a namespace, a config map and a deployment."""
    labels = {"app": "web"}
    manifests = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "web-config", "namespace": "web"},
            "data": {"version": str(version)},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": f"nginx:1.{version}"}]},
                },
            },
        },
    ]
    return {
        "apiVersion": "work.open-cluster-management.io/v1",
        "kind": "ManifestWork",
        "metadata": {
            "name": "web-abcde",
            "labels": {"work.open-cluster-management.io/manifestworkreplicaset": "default.web"},
        },
        "spec": {"workload": {"manifests": manifests}},
    }


def hub_tree(clusters: list[str], version: int) -> dict[str, bytes]:
    """The hub files for every cluster (the work is one shared blob)."""
    work = yamlout.dump(work_body(version))
    files = {"allowed_signers": signers.render({"hub": [SIGNER.public_key]}).encode()}
    for name in clusters:
        cluster = {
            "apiVersion": "cluster.open-cluster-management.io/v1",
            "kind": "ManagedCluster",
            "metadata": {"name": name},
            "spec": {"hubAcceptsClient": True},
        }
        files[f"clusters/{name}/cluster.yaml"] = yamlout.dump(cluster)
        files[f"clusters/{name}/manifestworks/web-abcde.yaml"] = work
    return files


def worker(conn: Connection, repo: str, names: list[str], state: str) -> None:
    """Keep the agents of ``names`` and run a pass for each on every request."""
    agents = [
        reconciler.Agent(
            reconciler.Settings(repo, name, Path(state) / name), memory.MemoryCluster()
        )
        for name in names
    ]
    while True:
        seconds = conn.recv()
        if seconds is None:
            return
        took: list[float] = []
        errors = 0
        for agent in agents:
            result = agent.run_once(T0 + datetime.timedelta(seconds=seconds))
            took.append(result.took_ms)
            git = any(isinstance(f, results.GitUnreachable) for f in result.held)
            errors += len(result.errors) + git
        conn.send((took, errors))


def run_phase(conns: list[Connection], seconds: float) -> tuple[float, list[float], int]:
    """Ask every worker for a pass; return wall time, per-pass times and error count."""
    started = time.perf_counter()
    for conn in conns:
        conn.send(seconds)
    took: list[float] = []
    errors = 0
    for conn in conns:
        part, errs = conn.recv()
        took += part
        errors += errs
    return time.perf_counter() - started, took, errors


def verify(repo: repository.Repository, clusters: list[str], version: int) -> int:
    """Count clusters whose report shows the given work version applied."""
    blob = objects.blob_id(yamlout.dump(work_body(version))).hex()
    good = 0
    for name in clusters:
        data = reader.read_tree_files(repo, f"ocm/reports/{name}", "manifestworks")
        report = yamlout.load(data["web-abcde.yaml"])
        applied = {c["type"]: c["status"] for c in report["status"]["conditions"]}
        if report["metadata"]["annotations"]["gitops-ocm.io/prescription"] == blob:
            good += applied.get("Applied") == "True"
    return good


def describe(label: str, wall: float, took: list[float], errors: int) -> None:
    """Print one phase's figures."""
    p50 = statistics.median(took)
    p95 = sorted(took)[int(len(took) * 0.95) - 1]
    print(
        f"{label:<22} wall {wall:7.2f} s  per pass p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
        f"errors {errors}"
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clusters", nargs="?", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--transport", choices=("path", "file"), default="file")
    args = parser.parse_args()
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    scratch = Path(tempfile.mkdtemp(prefix="fleet-bench-", dir=base))
    try:
        bench(args.clusters, args.workers, args.transport, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def bench(count: int, workers: int, transport: str, scratch: Path) -> None:
    """Publish, run the phases, verify and print."""
    clusters = [f"cluster-{n:05d}" for n in range(count)]
    path = scratch / "hub.git"
    repo = repository.init(path)
    location = f"file://{path}" if transport == "file" else str(path)
    writer.publish_tree(
        repo, "ocm/hub", hub_tree(clusters, 1), "hub", {"Source-Commit": "1" * 40}, author=AUTHOR
    )
    context = multiprocessing.get_context("fork")
    conns, procs = [], []
    for index in range(workers):
        ours, theirs = context.Pipe()
        names = clusters[index::workers]
        proc = context.Process(target=worker, args=(theirs, location, names, str(scratch)))
        proc.start()
        conns.append(ours)
        procs.append(proc)
    print(f"{count} agents, {workers} worker processes, transport {transport}")
    describe("cold (first apply)", *run_phase(conns, 0))
    describe("idle (no change)", *run_phase(conns, 10))
    started = time.perf_counter()
    writer.publish_tree(
        repo, "ocm/hub", hub_tree(clusters, 2), "hub", {"Source-Commit": "2" * 40}, author=AUTHOR
    )
    push = time.perf_counter() - started
    wall, took, errors = run_phase(conns, 20)
    describe("after push", wall, took, errors)
    good = verify(repo, clusters, 2)
    print(
        f"hub publish {push * 1000:.0f} ms; push -> all reported {push + wall:.2f} s; "
        f"verified {good}/{count} clusters applied v2"
    )
    for conn in conns:
        conn.send(None)
    for proc in procs:
        proc.join()


if __name__ == "__main__":
    main()
