"""Benchmark: the hub controller on the synthetic fleet, against a local bare repository.

Does I/O (a fleet in a temporary folder, committed to a bare repository under
/dev/shm when it exists). Prints each figure; not part of the test suite.
Targets on a 2-core machine (issue: hub controller, point 7): cold reconcile
(empty ocm/hub) <= 10 s; after one MWRS template changes <= 0.5 s; after one
cluster's labels change <= 0.5 s; a pass with nothing changed <= 0.3 s.

    python benchmarks/hub.py [--clusters 10000 --placements 1000 --mwrs 1000 --policies 200]
"""

from __future__ import annotations

import argparse
import datetime
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fleetgen

from gitops_ocm import source
from gitops_ocm.gitstore import remote, writer
from gitops_ocm.hub import controller
from gitops_ocm.render import hub

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)


def report(label: str, result: controller.PassResult) -> None:
    """Print one pass's figures."""
    print(
        f"  {label:<34} {result.seconds * 1000:9.1f} ms  files_written={result.files_written} "
        f"clusters_touched={result.clusters_touched} valid={result.valid}"
    )


def seed_status(repo: Path) -> None:
    """Publish an ocm/status in which every accepted cluster has reported Available=True."""
    store = remote.open_store(str(repo))
    snap = source.load_revision(str(repo), "main")
    writer.publish_tree(store.repo, "ocm/status", hub.assume_available(snap, NOW), "agents report")


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
        seed_status(repo)
        ctl = controller.Controller(remote.open_store(str(repo)), clock=lambda: NOW)
        result = ctl.reconcile()
        report("cold reconcile (empty ocm/hub)", result)
        report("nothing changed", ctl.reconcile())
        fleetgen.touch_one(root)
        fleetgen.commit_to_repo(root, repo)
        report("one MWRS template changed", ctl.reconcile())
        fleetgen.relabel_one_cluster(root)
        fleetgen.commit_to_repo(root, repo)
        report("one cluster's labels changed", ctl.reconcile())
        ctl._last_inputs = None  # force a full recomputation with identical inputs
        report("nothing changed, recomputed", ctl.reconcile())
        cold = controller.Controller(remote.open_store(str(repo)), clock=lambda: NOW)
        report("restarted controller, first pass", cold.reconcile())
    return 0


if __name__ == "__main__":
    sys.exit(main())
