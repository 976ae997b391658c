"""The ``gitops-ocm localkube`` command: serving, kubeconfig, --state restarts, simulation."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gitops_ocm.cli import main
from gitops_ocm.kube import client

pytestmark = pytest.mark.slow

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "main", "image": "nginx"}]},
        },
    },
}


def start(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    """Start ``gitops-ocm localkube`` in a subprocess and wait for its banner."""
    code = "import sys; from gitops_ocm.cli.main import main; sys.exit(main(sys.argv[1:]))"
    command = [
        sys.executable,
        "-c",
        code,
        "localkube",
        "--kubeconfig",
        str(tmp_path / "kc"),
        *extra,
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    assert banner.startswith("localkube serving http://127.0.0.1:"), banner
    return proc


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=10)


def connect(tmp_path: Path, tag: str) -> client.KubernetesCluster:
    return client.KubernetesCluster.from_kubeconfig(
        str(tmp_path / "kc"), cache_file=str(tmp_path / f"cache-{tag}.json")
    )


def wait_for(predicate: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_state_survives_restart(tmp_path: Path) -> None:
    """Objects written before a restart with the same --state are there after it."""
    state_dir = tmp_path / "state"
    proc = start(tmp_path, "--state", str(state_dir))
    created = connect(tmp_path, "1").apply(DEPLOYMENT, field_manager="test")
    assert stop(proc) == 0
    proc = start(tmp_path, "--state", str(state_dir))
    try:
        again = connect(tmp_path, "2").get("apps/v1", "Deployment", "web", "default")
    finally:
        stop(proc)
    assert again is not None and again["metadata"]["uid"] == created["metadata"]["uid"]


def test_simulate_workloads_makes_deployments_ready(tmp_path: Path) -> None:
    """With --simulate-workloads a Deployment reports its replicas ready."""
    proc = start(tmp_path, "--simulate-workloads")
    try:
        cluster = connect(tmp_path, "sim")
        cluster.apply(DEPLOYMENT, field_manager="test")

        def ready() -> Any:
            live = cluster.get("apps/v1", "Deployment", "web", "default") or {}
            return (live.get("status") or {}).get("readyReplicas")

        assert wait_for(ready) == 2
    finally:
        stop(proc)


def test_bad_port_is_a_usage_error() -> None:
    """An out-of-range port exits 2."""
    assert main.main(["localkube", "--port", "70000"]) == 2
