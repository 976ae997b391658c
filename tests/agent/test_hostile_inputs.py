"""The agent reads ocm/hub, its own report branch and its disk copy within the YAML limits."""

from __future__ import annotations

from pathlib import Path

from kubekit import HUB_SIGNER, agent, at, configmap, namespace, new_hub, work

from gitops_ocm.gitstore import writer
from gitops_ocm.localkube import memory

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "hostile"
BOMB = (CORPUS / "alias-bomb.yaml").read_bytes()  # a billion laughs
DEEP = b"a: " + b"[" * 5000 + b"]" * 5000
AUTHOR = writer.Author(name="attacker", email="a@example.com", when=1_700_000_000)
HUB = writer.Author(name="hub", email="hub@example.com", when=1_700_000_000, signer=HUB_SIGNER)


def test_hostile_prescription_does_not_stop_the_others(tmp_path: Path) -> None:
    """An alias bomb and deep nesting on ocm/hub are refused; the good work is still applied."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"good": work("good", [configmap("a", x="1"), namespace()])}})
    writer.publish_changes(
        hub.repo,
        "ocm/hub",
        {"clusters/c1/manifestworks/bomb.yaml": BOMB, "clusters/c1/manifestworks/deep.yaml": DEEP},
        "tampered",
        author=HUB,  # the hub signed it: the YAML limits are what is tested here
    )
    kube = memory.MemoryCluster()
    result = agent(hub, tmp_path, kube=kube).run_once(at(0))
    assert result.pushed
    assert kube.get("v1", "ConfigMap", "a", "demo") is not None
    assert "manifestworks/good.yaml" in hub.report("c1")


def test_tampered_report_branch_is_rewritten(tmp_path: Path) -> None:
    """Unreadable files on the agent's own report branch count as absent; the next is whole."""
    hub = new_hub(tmp_path)
    hub.publish({"c1": {"good": work("good", [configmap("a", x="1"), namespace()])}})
    one = agent(hub, tmp_path)
    one.run_once(at(0))
    writer.publish_changes(
        hub.repo,
        "ocm/reports/c1",
        {"lease.yaml": BOMB, "cluster.yaml": DEEP, "manifestworks/good.yaml": BOMB},
        "tampered",
        author=AUTHOR,
    )
    assert one.run_once(at(90)).report_created
    report = hub.report("c1")
    assert report["lease.yaml"]["kind"] == "Lease"
    assert report["cluster.yaml"]["kind"] == "ManagedCluster"
    assert report["manifestworks/good.yaml"]["kind"] == "ManifestWork"
