"""Benchmark: the hub controller on the synthetic fleet, against a local bare repository.

Does I/O (a fleet in a temporary folder, committed to a bare repository under
/dev/shm when it exists). Prints each figure; not part of the test suite.
Targets on a 2-core machine: cold reconcile
(empty ocm/hub) <= 10 s; after one MWRS template changes <= 0.5 s; after one
cluster's labels change <= 0.5 s; a pass with nothing changed <= 0.3 s. Each
pass prints the time until ocm/hub is published (what agents wait for, and what
the targets are about) and the time including the status fold that follows.
The controller signs its commits with a fixed key, as ``controller
--signing-key`` does (one SSH signature per commit).

    python benchmarks/hub.py [--clusters 10000 --placements 1000 --mwrs 1000 --policies 200]
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fleetgen
from cryptography.hazmat.primitives.asymmetric import ed25519

from gitops_ocm import source
from gitops_ocm.gitstore import remote
from gitops_ocm.hub import controller, folding
from gitops_ocm.model import yamlout
from gitops_ocm.render import clusters as render_clusters
from gitops_ocm.trust import sshsig

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SIGNER = sshsig.Signer(ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def report(label: str, result: controller.PassResult) -> None:
    """Print one pass's figures: until ocm/hub is published (the target), and with the fold."""
    print(
        f"  {label:<34} hub {result.hub_seconds * 1000:8.1f} ms   "
        f"+ status fold = {result.seconds * 1000:8.1f} ms   "
        f"files_written={result.files_written} clusters_touched={result.clusters_touched} "
        f"valid={result.valid}"
    )


def seed_reports(repo: Path) -> int:
    """Give every accepted cluster a report branch (Available=True, a fresh lease), as its
    agent would, written in one ``git fast-import`` run. Returns the number of branches."""
    snap = source.load_revision(str(repo), "main")
    stamp = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    stream = bytearray()
    clusters = render_clusters.accepted(snap)
    for cluster in clusters:
        report = yamlout.dump({
            "apiVersion": "cluster.open-cluster-management.io/v1", "kind": "ManagedCluster",
            "metadata": {"name": cluster},
            "status": {"conditions": [{
                "type": "ManagedClusterConditionAvailable", "status": "True",
                "reason": "ManagedClusterAvailable", "message": "ok",
                "lastTransitionTime": stamp}]},
        })  # fmt: skip
        lease = yamlout.dump({
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "managed-cluster-lease", "namespace": cluster},
            "spec": {"leaseDurationSeconds": 60, "renewTime": stamp},
        })  # fmt: skip
        stream += f"commit refs/heads/ocm/reports/{cluster}\n".encode()
        stream += b"committer agent <agent@localhost> 1763726400 +0000\ndata 6\nreport\n"
        for name, data in (("cluster.yaml", report), ("lease.yaml", lease)):
            stream += f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n"
        stream += b"\n"
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream),
                   check=True)  # fmt: skip
    return len(clusters)


def main(argv: list[str] | None = None) -> int:
    """Generate the fleet, then time the controller's passes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--placements", type=int, default=1_000)
    parser.add_argument("--mwrs", type=int, default=1_000)
    parser.add_argument("--policies", type=int, default=200)
    args = parser.parse_args(argv)
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as tmp:
        root, repo = Path(tmp) / "fleet", Path(tmp) / "fleet.git"
        fleetgen.generate(
            root,
            clusters=args.clusters,
            placements=args.placements,
            mwrs=args.mwrs,
            policies=args.policies,
        )
        fleetgen.commit_to_repo(root, repo)
        reported = seed_reports(repo)
        ctl = controller.Controller(
            remote.open_store(str(repo)), clock=lambda: NOW, manage_gc=True, signer=SIGNER
        )
        start = time.perf_counter()
        ctl.folder.fold(folding.Pass(NOW))
        print(f"  {'fold of ' + str(reported) + ' reports (setup)':<34} "
              f"{(time.perf_counter() - start) * 1000:9.1f} ms")  # fmt: skip
        result = ctl.reconcile()
        report("cold reconcile (empty ocm/hub)", result)
        report("nothing changed", ctl.reconcile())
        fleetgen.touch_one(root)
        fleetgen.commit_to_repo(root, repo)
        report("one MWRS template changed", ctl.reconcile())
        fleetgen.relabel_one_cluster(root)
        fleetgen.commit_to_repo(root, repo)
        report("one cluster's labels changed", ctl.reconcile())
        fleetgen.relabel_one_cluster(root)
        fleetgen.commit_to_repo(root, repo)
        report("the same cluster relabeled again", ctl.reconcile())
        ctl.forget_inputs()  # run the pass although its inputs are unchanged
        report("nothing changed, pass forced", ctl.reconcile())
        cold = controller.Controller(
            remote.open_store(str(repo)), clock=lambda: NOW, manage_gc=True, signer=SIGNER
        )
        report("restarted controller, first pass", cold.reconcile())
    return 0


if __name__ == "__main__":
    sys.exit(main())
