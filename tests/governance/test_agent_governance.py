"""End to end at agent level: hub policies -> agent pass on a local API server -> report branch."""

from __future__ import annotations

from pathlib import Path

from govkit import (
    agent,
    at,
    config_policy,
    configmap,
    history,
    localkube,
    namespace,
    new_hub,
    replicated,
)

from gitops_ocm.localkube import memory
from gitops_ocm.policy import rollup

ENFORCE, INFORM = "policies/default.enforce.yaml", "policies/default.inform.yaml"


def _policies() -> dict[str, dict[str, object]]:
    enforce = replicated(
        "enforce", "enforce", config_policy("make-cm", namespace(), configmap("app", x="1"))
    )
    inform = replicated(
        "inform",
        "inform",
        config_policy("no-debug", configmap("debug"), compliance="mustnothave"),
    )
    return {"default.enforce": enforce, "default.inform": inform}


def test_enforce_and_inform_through_the_official_client(tmp_path: Path) -> None:
    """Enforce creates on the local API server, inform only reports; both are on the branch."""
    hub = new_hub(tmp_path)
    hub.publish("c1", _policies())
    with localkube(tmp_path) as (backing, kube):
        local = memory.MemoryCluster(backing)
        local.create(namespace("demo"))
        debug = local.create(configmap("debug"))
        result = agent(hub, tmp_path, kube).run_once(at(0))
        assert result.failures == () and result.policies == 2
        app = kube.get("v1", "ConfigMap", "app", "demo")
        assert app is not None and app["data"] == {"x": "1"}
        still = kube.get("v1", "ConfigMap", "debug", "demo")
        assert still is not None
        assert still["metadata"]["resourceVersion"] == debug["metadata"]["resourceVersion"]
    report = hub.report("c1")
    assert report[ENFORCE]["status"]["compliant"] == "Compliant"
    assert report[INFORM]["status"]["compliant"] == "NonCompliant"
    assert (
        "configmaps [app] was created successfully"
        in history(report[ENFORCE], "make-cm")[0]["message"]
    )
    root = rollup.root_status(("default", "inform"), {"c1": report[INFORM]})
    assert root == {
        "compliant": "NonCompliant",
        "status": [{"clustername": "c1", "clusternamespace": "c1", "compliant": "NonCompliant"}],
    }


def test_policy_reports_settle_and_leave_with_the_policy(tmp_path: Path) -> None:
    """Reports stop changing once the cluster is compliant; a removed policy's files go."""
    hub = new_hub(tmp_path)
    hub.publish("c1", _policies())
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube)
    assert one.run_once(at(0)).report_created
    assert one.run_once(at(10)).report_created  # "was created" -> "found as specified"
    assert not one.run_once(at(20)).report_created
    hub.publish("c1", {"default.inform": _policies()["default.inform"]})
    one.run_once(at(30))
    report = hub.report("c1")
    assert INFORM in report and ENFORCE not in report
    assert not any(p.startswith("configurationpolicies/default.enforce/") for p in report)
    assert report[INFORM]["status"]["compliant"] == "Compliant"
