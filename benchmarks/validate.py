"""Benchmark: cold load + validate of a synthetic fleet, and the pass after one file changes.

Does I/O (writes a fleet into a temporary folder). Prints its figures; it is not
part of the test suite. Targets on a 2-core machine: cold <= 5 s, one file
changed <= 100 ms.

    python benchmarks/validate.py [--clusters 10000 --placements 1000 --mwrs 1000 --policies 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fleetgen

from gitops_ocm import source, validation

T = TypeVar("T")


def timed(label: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` and print how long it took."""
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"  {label:<42} {elapsed * 1000:9.1f} ms")
    return result


def measure(mode: str, root: Path, repo: Path) -> None:
    """Time a cold pass, a pass with nothing changed, and one after one file changed."""
    parse_cache, findings = source.ParseCache(), validation.Cache()

    def run() -> tuple[int, int, int]:
        if mode == "commit":
            snap = source.load_revision(str(repo), "main", parse_cache)
        else:
            snap = source.load_directory(root, parse_cache)
        problems = validation.validate(snap, findings)
        return len(snap.objects), len(snap.files), len(problems)

    print(f"[{mode}]")
    docs, files, problems = timed("cold load + validate", run)
    print(f"  {docs} documents in {files} files, {problems} problems")
    timed("nothing changed", run)
    changed = fleetgen.touch_one(root)
    fleetgen.commit_to_repo(root, repo)
    timed(f"one file changed ({changed.name})", run)


def main(argv: list[str] | None = None) -> int:
    """Generate the fleet, then time the cold pass and the one-file-changed pass."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--placements", type=int, default=1_000)
    parser.add_argument("--mwrs", type=int, default=1_000)
    parser.add_argument("--policies", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "fleet"
        repo = Path(tmp) / "fleet.git"
        fleetgen.generate(
            root,
            clusters=args.clusters,
            placements=args.placements,
            mwrs=args.mwrs,
            policies=args.policies,
        )
        fleetgen.commit_to_repo(root, repo)
        for mode in ("working tree", "commit"):
            measure(mode, root, repo)
    return 0


if __name__ == "__main__":
    sys.exit(main())
