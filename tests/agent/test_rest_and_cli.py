"""The agent through the official kubernetes client against the local API server, and its CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubekit import agent, at, configmap, localkube, namespace, new_hub, work, work_conditions

from gitops_ocm.cli import main
from gitops_ocm.localkube import memory, state, store


def test_agent_over_rest(tmp_path: Path) -> None:
    """Apply, SSA, prune and report work the same through the official client."""
    config = {
        "resourceIdentifier": {"resource": "configmaps", "name": "b", "namespace": "demo"},
        "updateStrategy": {"type": "ServerSideApply"},
    }
    hub = new_hub(tmp_path)
    hub.publish(
        {
            "c1": {
                "w1": work(
                    "w1",
                    [configmap("a"), namespace(), configmap("b", y="1")],
                    manifestConfigs=[config],
                )
            }
        }
    )
    with localkube(tmp_path) as (_backing, kube):
        one = agent(hub, tmp_path, kube=kube)
        first = one.run_once(at(0))
        assert first.failures == () and first.pushed
        assert kube.get("v1", "ConfigMap", "b", "demo")["data"] == {"y": "1"}  # type: ignore[index]
        hub.publish(
            {
                "c1": {
                    "w1": work("w1", [namespace(), configmap("b", y="1")], manifestConfigs=[config])
                }
            }
        )
        second = one.run_once(at(10))
        assert second.pruned == 1 and kube.get("v1", "ConfigMap", "a", "demo") is None
    report = hub.report("c1")["manifestworks/w1.yaml"]
    assert work_conditions(report)["Available"]["reason"] == "ResourcesAvailable"


def test_cli_once_with_local_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``agent --once --local DIR`` applies, saves the cluster in DIR and prints one line."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [namespace(), configmap("a")])}})
    code = main.main(
        [
            "agent",
            "--repo",
            str(hub.path),
            "--cluster",
            "c1",
            "--local",
            str(tmp_path / "kube"),
            "--state",
            str(tmp_path / "state"),
            "--once",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.startswith("agent c1: source aaaaaaaaaaaa (git) works 1")
    backing = store.Store()
    assert state.load(backing, tmp_path / "kube")
    assert memory.MemoryCluster(backing).get("v1", "ConfigMap", "a", "demo") is not None


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad arguments exit 2 with a message and no traceback."""
    assert main.main(["agent", "--repo", "x", "--cluster", "Bad_Name", "--local", "d"]) == 2
    assert "DNS label" in capsys.readouterr().err
    assert main.main(["agent", "--repo", "x", "--cluster", "c1"]) == 2


def test_cli_unreachable_git_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hub that cannot be reached is exit 3 with the redacted location, not a traceback."""
    url = "http://user:s3cret@127.0.0.1:9/hub.git"
    code = main.main(
        [
            "agent",
            "--repo",
            url,
            "--cluster",
            "c1",
            "--local",
            str(tmp_path / "kube"),
            "--state",
            str(tmp_path / "state"),
            "--once",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert "s3cret" not in err and "cannot fetch" in err
