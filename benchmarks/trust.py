"""Benchmark: what signing and verifying one commit costs, and the allowed-signers file of a fleet.

Run: ``./dev python benchmarks/trust.py [--rounds 2000] [--clusters 10000]``.
Everything is in memory with fixed keys. "sign" is what a writer adds to a commit:
``Signer.sign`` of the unsigned commit text and ``commits.insert`` of the header.
"verify" is what a reader does with a tip: ``commits.split``, ``sshsig.verify`` and
the check that the key is the one allowed for the principal. The allowed-signers
figures are for ``signers.render`` and ``signers.parse`` of a file listing
``--clusters`` cluster keys and the hub's. Each figure is the median of
``--rounds`` runs (per-file figures: one run each).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.asymmetric import ed25519

from gitops_ocm.trust import commits, keys, signers, sshsig

COMMIT = (
    b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
    b"parent 0123456789abcdef0123456789abcdef01234567\n"
    b"author gitops-ocm <hub@gitops-ocm.io> 1765152000 +0000\n"
    b"committer gitops-ocm <hub@gitops-ocm.io> 1765152000 +0000\n"
    b"\n"
    b"status: fold 3 reports\n\nHub-Commit: 0123456789abcdef0123456789abcdef01234567\n"
)


def median_us(action: Callable[[], object], rounds: int) -> float:
    """Return the median wall time of ``action`` in microseconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--clusters", type=int, default=10_000)
    args = parser.parse_args()
    signer = sshsig.Signer(ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
    signed = commits.insert(COMMIT, signer.sign(COMMIT))

    def verify() -> None:
        parts = commits.split(signed)
        assert parts.signature is not None
        assert sshsig.verify(parts.signature, parts.payload) == signer.public_key

    sign_us = median_us(lambda: commits.insert(COMMIT, signer.sign(COMMIT)), args.rounds)
    verify_us = median_us(verify, args.rounds)
    print(f"sign one commit:   {sign_us:8.1f} µs (median of {args.rounds})")
    print(f"verify one commit: {verify_us:8.1f} µs (median of {args.rounds})")
    print(f"both:              {sign_us + verify_us:8.1f} µs")

    fleet = {
        f"c{index:05d}": [keys.from_raw(index.to_bytes(32, "big"))]
        for index in range(args.clusters)
    }
    fleet["hub"] = [signer.public_key]
    start = time.perf_counter()
    text = signers.render(fleet)
    rendered = time.perf_counter() - start
    start = time.perf_counter()
    entries = signers.parse(text)
    parsed = time.perf_counter() - start
    assert len(entries) == args.clusters + 1
    print(f"allowed_signers of {args.clusters} clusters + hub ({len(text)} bytes):")
    print(f"  render {rendered * 1e3:8.1f} ms, parse {parsed * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
