"""The inventory kept across passes equals a fresh one after every kind of change."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping

import pytest

from gitops_ocm.hub import trees
from gitops_ocm.model import snapshot, yamlfile, yamlout
from gitops_ocm.placement import inventory

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(minutes=5)


def _cluster(name: str, labels: str = "{region: eu}", taints: str = "") -> bytes:
    spec = f"spec:\n  hubAcceptsClient: true\n{taints}"
    return (
        f"apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        f"metadata: {{name: {name}, labels: {labels}}}\n{spec}"
    ).encode()


def _report(available: str, cpu: str = "4") -> bytes:
    return yamlout.dump(
        {
            "kind": "ManagedCluster",
            "status": {
                "conditions": [
                    {
                        "type": "ManagedClusterConditionAvailable",
                        "status": available,
                        "lastTransitionTime": "2026-11-21T11:00:00Z",
                    }
                ],
                "allocatable": {"cpu": cpu},
            },
        }
    )


def _score(value: int) -> bytes:
    return yamlout.dump(
        {"metadata": {"name": "load"}, "status": {"scores": [{"name": "cpu", "value": value}]}}
    )


class _Files:
    """Parsed files by (path, content), so unchanged files keep their objects, as in a pass."""

    def __init__(self) -> None:
        self._parsed: dict[tuple[str, bytes], yamlfile.ParsedFile] = {}

    def snapshot(self, files: Mapping[str, bytes]) -> snapshot.Snapshot:
        parsed = []
        for path, data in sorted(files.items()):
            key = (path, data)
            if key not in self._parsed:
                self._parsed[key] = yamlfile.parse(path, data)
            parsed.append(self._parsed[key])
        return snapshot.build(parsed)


def _lazy(files: Mapping[str, bytes]) -> trees.LazyFiles:
    """A tree as the controller hands it over: blob ids, contents read on demand."""
    blobs = {path: hashlib.sha1(data).hexdigest() for path, data in files.items()}
    by_blob = {blobs[path]: data for path, data in files.items()}
    return trees.of_blobs(blobs, by_blob.__getitem__)


@pytest.mark.parametrize("lazy", [False, True])
def test_tracked_inventory_equals_a_fresh_one_at_every_step(lazy: bool) -> None:
    desired = {f"c/{n}.yaml": _cluster(n) for n in ("a", "b", "c")}
    status = {f"clusters/{n}/cluster.yaml": _report("True") for n in ("a", "b", "c")}
    previous: dict[str, bytes] = {}
    now = NOW
    files = _Files()
    tracked = inventory.Inventory()

    def check() -> tuple[inventory.ClusterInfo, ...]:
        snap = files.snapshot(desired)
        status_tree = _lazy(status) if lazy else dict(status)
        previous_tree = _lazy(previous) if lazy else dict(previous)
        got = tracked.build(snap, status_tree, now, previous_tree)
        assert got == inventory.build(snap, status_tree, now, previous_tree)
        return got

    first = check()
    assert check() == first  # nothing changed
    status["clusters/b/cluster.yaml"] = _report("False")  # a report changed
    assert check()[1].available == "False"
    status["clusters/c/addonplacementscores/load.yaml"] = _score(7)  # a score appeared
    assert check()[2].scores["load"].scores == {"cpu": 7}
    status["clusters/c/addonplacementscores/load.yaml"] = _score(9)
    assert check()[2].scores["load"].scores == {"cpu": 9}
    del status["clusters/c/addonplacementscores/load.yaml"]
    assert check()[2].scores == {}
    desired["c/a.yaml"] = _cluster("a", "{region: us}")  # labels changed
    assert check()[0].labels["region"] == "us"
    # A user taint without timeAdded takes the previous hub tree's time, else now.
    desired["c/a.yaml"] = _cluster("a", taints="  taints: [{key: k, effect: NoSelect}]\n")
    assert check()[0].taints[0].time_added == NOW
    now = LATER
    assert check()[0].taints[0].time_added == LATER
    previous["clusters/a/cluster.yaml"] = yamlout.dump(
        {"spec": {"taints": [{"key": "k", "value": "", "effect": "NoSelect",
                              "timeAdded": "2026-11-20T00:00:00Z"}]}}
    )  # fmt: skip
    assert check()[0].taints[0].time_added == datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC)
    desired["c/d.yaml"] = _cluster("d")  # a cluster added
    assert [i.name for i in check()] == ["a", "b", "c", "d"]
    desired["c/e.yaml"] = _cluster("d", "{region: ap}")  # a duplicate name: the first wins
    assert check()[3].labels["region"] == "eu"
    del desired["c/e.yaml"]
    desired["c/b.yaml"] = _cluster("x")  # a cluster renamed
    assert [i.name for i in check()] == ["a", "c", "d", "x"]
    del desired["c/d.yaml"]  # a cluster removed
    assert [i.name for i in check()] == ["a", "c", "x"]
