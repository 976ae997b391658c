"""The placements/ part of the hub tree: files, determinism, Steady, misconfiguration."""

from __future__ import annotations

import fleetkit as fk

from gitops_ocm.model import snapshot, yamlfile, yamlout
from gitops_ocm.placement import inventory, settle
from gitops_ocm.render import placements

BASE = """\
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata: {name: global, namespace: apps}
spec: {clusterSet: global}
"""
CLUSTER = """\
---
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {name: %s}
spec: {hubAcceptsClient: true}
"""
PLACEMENT = """\
---
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata: {name: web, namespace: apps, labels: {team: a}, uid: x, resourceVersion: "9"}
spec:
  numberOfClusters: %d
  tolerations: [{key: cluster.open-cluster-management.io/unreachable, operator: Exists}]
  prioritizerPolicy: {mode: %s}
"""


def _snap(n: int = 2, mode: str = "Additive", clusters: str = "abc") -> snapshot.Snapshot:
    text = BASE + "".join(CLUSTER % c for c in clusters) + PLACEMENT % (n, mode)
    return snapshot.build([yamlfile.parse("fleet.yaml", text.encode())])


def _render(snap, previous=None):
    clusters = inventory.build(snap, {}, fk.NOW)
    return placements.render_placements(snap, clusters, previous or {}, fk.NOW)


def _selected(tree):
    body = yamlout.load(tree["placements/apps/web/web-decision-1.yaml"])
    return [d["clusterName"] for d in body["status"]["decisions"]]


def test_files_and_metadata():
    """The tree holds placement.yaml (metadata trimmed, status computed) and its pages."""
    tree = _render(_snap())
    assert sorted(tree) == [
        "placements/apps/web/placement.yaml",
        "placements/apps/web/web-decision-1.yaml",
    ]
    body = yamlout.load(tree["placements/apps/web/placement.yaml"])
    assert body["metadata"] == {"name": "web", "namespace": "apps", "labels": {"team": "a"}}
    assert body["status"]["numberOfSelectedClusters"] == 2
    assert _selected(tree) == ["a", "b"]


def test_identical_inputs_identical_bytes():
    """The same inputs give byte-identical files."""
    assert _render(_snap()) == _render(_snap())


def test_steady_keeps_earlier_picks():
    """With the previous tree, Steady keeps earlier picks although a new cluster sorts first."""
    first = _render(_snap(clusters="bcd"))
    second = _render(_snap(clusters="abcd"), previous=first)
    assert _selected(first) == ["b", "c"]
    assert _selected(second) == ["b", "c"]


def test_misconfigured_keeps_previous_decisions():
    """A misconfigured placement keeps its decisions and says PlacementMisconfigured=True."""
    first = _render(_snap())
    second = _render(_snap(mode="Sometimes"), previous=first)
    assert _selected(second) == ["a", "b"]
    conditions = {
        c["type"]: c
        for c in yamlout.load(second["placements/apps/web/placement.yaml"])["status"]["conditions"]
    }
    assert conditions["PlacementMisconfigured"]["status"] == "True"
    assert (
        conditions["PlacementMisconfigured"]["message"]
        == ":incorrect prioritizer policy mode: Sometimes"
    )
    assert conditions["PlacementSatisfied"]["reason"] == "AllDecisionsScheduled"


def test_schedule_all_exposes_results():
    """schedule_all returns decisions and groups per placement for other renderers."""
    snap = _snap()
    results = settle.schedule_all(snap, inventory.build(snap, {}, fk.NOW), {}, fk.NOW)
    result = results[("apps", "web")]
    assert result.clusters == ("a", "b")
    assert [g.clusters for g in result.groups] == [("a", "b")]
