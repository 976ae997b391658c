"""Benchmark of the local API server: server-side apply throughput in-process and over REST.

I/O (starts a server on an ephemeral 127.0.0.1 port). Not part of the test suite.
Run: python benchmarks/localkube.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gitops_ocm.kube import client, cluster
from gitops_ocm.localkube import kubeconfig, memory, server, store


def configmap(index: int, value: str) -> dict[str, Any]:
    """Return the index-th ConfigMap of the benchmark."""
    meta = {"name": f"cm-{index}", "namespace": "default", "labels": {"bench": "yes"}}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": value}}


def rate(target: cluster.Cluster, count: int, value: str) -> float:
    """Apply ``count`` ConfigMaps and return applies per second."""
    started = time.perf_counter()
    for index in range(count):
        target.apply(configmap(index, value), field_manager="bench")
    return count / (time.perf_counter() - started)


def main(count: int) -> None:
    """Print apply rates: create, change, and no-op, in-memory and over REST."""
    in_memory = memory.MemoryCluster()
    for label, value in (("create", "1"), ("change", "2"), ("no-op", "2")):
        print(f"in-memory apply ({label}): {rate(in_memory, count, value):8.0f} ops/s")
    backing = store.Store()
    with server.ApiServer(backing) as api, tempfile.TemporaryDirectory() as tmp:
        path = kubeconfig.write(Path(tmp) / "kc", api.url)
        rest = client.KubernetesCluster.from_kubeconfig(str(path), cache_file=f"{tmp}/cache.json")
        rest_count = max(1, count // 5)
        for label, value in (("create", "1"), ("change", "2")):
            per_second = rate(rest, rest_count, value)
            print(f"REST apply ({label}), kubernetes client: {per_second:8.0f} ops/s")
        started = time.perf_counter()
        listed = rest.list("v1", "ConfigMap", "default", label_selector="bench=yes")
        elapsed_ms = (time.perf_counter() - started) * 1000
        print(f"REST list of {len(listed)} objects: {elapsed_ms:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
