"""The agent opens SealedSecrets sealed to its key, applies a Secret, and refuses the rest."""

from __future__ import annotations

import base64
import itertools
from pathlib import Path
from typing import Any

from kubekit import agent, at, configmap, manifest_conditions, namespace, new_hub, work

from gitops_ocm.agent import identity
from gitops_ocm.localkube import memory
from gitops_ocm.model import yamlout
from gitops_ocm.trust import seal, sealedsecret

HUB = bytes(range(1, 33))


def sealed_for(key: bytes, value: str, name: str = "db") -> dict[str, Any]:
    """A SealedSecret demo/<name> holding ``password: value`` sealed to ``key``'s public half."""
    numbers = itertools.count(7)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": "demo"},
        "stringData": {"password": value},
    }
    return sealedsecret.from_secret(
        secret, seal.public_of(key), lambda n: bytes([next(numbers)]) * n
    )


def password(kube: memory.MemoryCluster, name: str = "db") -> bytes | None:
    """The password of Secret demo/<name> on the cluster (None: absent)."""
    obj = kube.get("v1", "Secret", name, "demo")
    return None if obj is None else base64.b64decode(obj["data"]["password"])


def test_sealed_secret_is_opened_and_applied_as_a_secret(tmp_path: Path) -> None:
    """A SealedSecret sealed to the agent's key becomes a Secret on the cluster, Applied=True."""
    hub = new_hub(tmp_path)
    opener = identity.sealing_key(tmp_path / "state-c1")
    manifests = [sealed_for(opener, "hunter2"), namespace(), configmap("a", x="1")]
    hub.publish({"c1": {"w1": work("w1", manifests)}})
    kube = memory.MemoryCluster()
    result = agent(hub, tmp_path, kube=kube).run_once(at(0))
    assert result.failures == ()
    assert password(kube) == b"hunter2"
    report = hub.report("c1")
    assert manifest_conditions(report["manifestworks/w1.yaml"], 0)["Applied"]["status"] == "True"
    meta = report["manifestworks/w1.yaml"]["status"]["resourceStatus"]["manifests"][0]
    assert meta["resourceMeta"]["kind"] == "Secret"
    assert b"hunter2" not in yamlout.dump(report["manifestworks/w1.yaml"])


def test_registration_offers_the_sealing_key(tmp_path: Path) -> None:
    """The agent's registration.yaml carries its sealing key's public line, never the private."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"w1": work("w1", [configmap("a")])}})
    agent(hub, tmp_path).run_once(at(0))
    opener = identity.sealing_key(tmp_path / "state-c1")
    notes = hub.report("c1")["registration.yaml"]["metadata"]["annotations"]
    assert notes["gitops-ocm.io/agent-sealing-key"] == seal.public_of(opener).to_line()
    assert (tmp_path / "state-c1" / "sealing.key").stat().st_mode & 0o777 == 0o600


def test_value_sealed_to_another_key_is_applied_false_and_keeps_the_live_secret(
    tmp_path: Path,
) -> None:
    """A value the agent cannot open is Applied=False with the reason; the live Secret stays."""
    hub = new_hub(tmp_path)
    opener = identity.sealing_key(tmp_path / "state-c1")
    hub.publish({"c1": {"w1": work("w1", [namespace(), sealed_for(opener, "first")])}})
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    one.run_once(at(0))
    assert password(kube) == b"first"
    hub.publish({"c1": {"w1": work("w1", [namespace(), sealed_for(HUB, "second")])}})
    result = one.run_once(at(10))
    assert password(kube) == b"first"
    applied = manifest_conditions(hub.report("c1")["manifestworks/w1.yaml"], 1)["Applied"]
    assert applied["status"] == "False"
    assert "SealedSecret demo/db does not open here: T663" in applied["message"]
    assert any("T663" in str(f) for f in result.failures)


def test_value_moved_to_another_secret_is_refused(tmp_path: Path) -> None:
    """A sealed value renamed to another Secret does not open: nothing is written."""
    hub = new_hub(tmp_path)
    opener = identity.sealing_key(tmp_path / "state-c1")
    moved = sealed_for(opener, "x")
    moved["metadata"]["name"] = "other"
    hub.publish({"c1": {"w1": work("w1", [namespace(), moved])}})
    kube = memory.MemoryCluster()
    agent(hub, tmp_path, kube=kube).run_once(at(0))
    assert kube.get("v1", "Secret", "other", "demo") is None
    applied = manifest_conditions(hub.report("c1")["manifestworks/w1.yaml"], 1)["Applied"]
    assert applied["status"] == "False" and "other" in applied["message"]


def test_feedback_never_reports_secret_values(tmp_path: Path) -> None:
    """A JSONPaths feedback rule on a Secret's data reports nothing of the value."""
    hub = new_hub(tmp_path)
    opener = identity.sealing_key(tmp_path / "state-c1")
    rule = {
        "resourceIdentifier": {"resource": "secrets", "name": "db", "namespace": "demo"},
        "feedbackRules": [
            {"type": "JSONPaths", "jsonPaths": [{"name": "pw", "path": ".data.password"}]}
        ],
    }
    manifests = [namespace(), sealed_for(opener, "hunter2")]
    hub.publish({"c1": {"w1": work("w1", manifests, manifestConfigs=[rule])}})
    kube = memory.MemoryCluster()
    agent(hub, tmp_path, kube=kube).run_once(at(0))
    assert password(kube) == b"hunter2"
    text = yamlout.dump(hub.report("c1")["manifestworks/w1.yaml"])
    assert b"aHVudGVyMg" not in text and b"hunter2" not in text
