"""The inventory reads reports as yaml.load would; the shell pauses the collector meanwhile."""

from __future__ import annotations

import datetime
import gc
from typing import Any

import pytest
import yaml

from gitops_ocm.cli import inputs
from gitops_ocm.model import snapshot, yamlfile, yamlout
from gitops_ocm.placement import inventory

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)

DESIRED = snapshot.build(
    [
        yamlfile.parse(
            "a.yaml",
            b"apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
            b"metadata: {name: a, labels: {region: eu}}\nspec:\n  hubAcceptsClient: true\n",
        )
    ]
)

REPORTS = {
    "written-by-us": yamlout.dump(
        {
            "kind": "ManagedCluster",
            "status": {
                "conditions": [
                    {
                        "type": "ManagedClusterConditionAvailable",
                        "status": "True",
                        "lastTransitionTime": "2026-11-21T11:00:00Z",
                    }
                ],
                "clusterClaims": [{"name": "id.k8s.io", "value": "a"}],
                "allocatable": {"cpu": "4", "memory": "8Gi"},
            },
        }
    ),
    "unquoted-times-and-flow": (
        b"status:\n  conditions: [{type: ManagedClusterConditionAvailable, status: 'False',"
        b" lastTransitionTime: 2026-11-21T11:00:00Z}]\n  capacity: {cpu: 8}\n"
    ),
    "anchors": (
        b"status:\n  conditions:\n  - &c {type: ManagedClusterConditionAvailable, status: 'True'}\n"
        b"  - *c\n"
    ),
    "merge-key": (
        b"status:\n  base: &b {status: 'True'}\n  conditions:\n"
        b"  - {<<: *b, type: ManagedClusterConditionAvailable}\n"
    ),
    "duplicate-keys": b"status:\n  capacity: {cpu: 1}\n  capacity: {cpu: 2}\n",
    "malformed": b"status: [unclosed\n",
    "not-a-mapping": b"- status\n",
    "two-documents": b"status: {}\n---\nstatus: {}\n",
    "bad-tagged-scalar": b"status: {capacity: {cpu: !!int ''}}\n",
}


def _info(report: bytes) -> inventory.ClusterInfo:
    """Return the inventory entry of cluster ``a`` with ``report`` as its status report."""
    (info,) = inventory.build(DESIRED, {"clusters/a/cluster.yaml": report}, NOW, {})
    return info


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_reports_read_as_with_yaml_load(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every report gives the ClusterInfo that reading it with ``yaml.load`` gives."""
    fast = _info(REPORTS[name])
    monkeypatch.setattr(yamlout, "load", lambda data: yaml.load(data, Loader=yaml.CSafeLoader))
    assert repr(fast) == repr(_info(REPORTS[name]))


def test_collector_is_paused_while_reports_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell parses reports with the collector paused; it is enabled again afterwards."""
    seen: list[bool] = []
    load = yamlout.load

    def recording(data: bytes) -> Any:
        seen.append(gc.isenabled())
        return load(data)

    monkeypatch.setattr(yamlout, "load", recording)
    assert gc.isenabled()
    status = {"clusters/a/cluster.yaml": REPORTS["written-by-us"]}
    (info,) = inputs.Inputs(DESIRED, {}, status, NOW).clusters()  # the pure build touches no gc
    assert gc.isenabled()
    assert seen == [False]
    assert info.available == "True"
    assert info.allocatable == {"cpu": 4.0, "memory": 8 * 1024.0**3}
