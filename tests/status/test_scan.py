"""The fast line scanner reads exactly what the YAML loader reads."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from statuskit import NOW, cond, lease_yaml

from gitops_ocm.model import yamlout
from gitops_ocm.status import scan

LONG = "error: " + "x " * 80 + "end"


def _work(conditions: list[dict[str, Any]], **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "work.open-cluster-management.io/v1",
        "kind": "ManifestWork",
        "metadata": {"name": "w", "annotations": {scan.PRESCRIPTION: "abc"}, **meta},
        "status": {
            "conditions": conditions,
            "resourceStatus": {"manifests": [{"conditions": [cond("Applied", "False")]}]},
        },
    }


def _slow_work(data: bytes) -> scan.WorkDigest:
    body = yaml.safe_load(data)
    meta = body.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    status = body.get("status") or {}
    return scan.WorkDigest(
        str(annotations.get(scan.PRESCRIPTION) or ""),
        meta.get("generation"),
        scan._conditions(status.get("conditions")),
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(_work([cond("Applied", "True"), cond("Available", "False")]), id="plain"),
        pytest.param(_work([{**cond("Applied", "False"), "message": LONG}]), id="wrapped-message"),
        pytest.param(
            _work([{**cond("Applied", "False"), "message": "a\nb\n"}]), id="block-message"
        ),
        pytest.param(_work([{**cond("Applied", "False"), "message": "it's: 'x'"}]), id="quotes"),
        pytest.param(_work([{**cond("Applied", "False"), "message": '"x" #1'}]), id="double-quote"),
        pytest.param(
            _work([{**cond("Applied", "False"), "message": 'tab\t "q" \\ \u00e9 # x: y'}]),
            id="json-escapes",
        ),
        pytest.param(
            _work([{**cond("Applied", "True"), "lastTransitionTime": "2024-05-01T10:00:00Z"}]),
            id="quoted-timestamp",
        ),
        pytest.param(_work([], generation=3), id="no-conditions"),
        pytest.param({**_work([]), "status": {}}, id="empty-status"),
    ],
)
def test_work_scan_matches_yaml(body: dict[str, Any]) -> None:
    """Scanning a canonical work report gives the digest a full parse gives."""
    data = yamlout.dump(body)
    assert scan.work(data) == _slow_work(data)


def test_non_canonical_falls_back_to_yaml() -> None:
    """A flow-style or hand-written file is read with the YAML loader."""
    data = (
        b'{"kind": "ManifestWork", "metadata": {"generation": 2}, "status": {"conditions": '
        b'[{"type": "Applied", "status": "True", "observedGeneration": 2}]}}'
    )
    digest = scan.work(data)
    assert digest.generation == 2 and digest.is_true("Applied")


def test_stale_generation_is_not_true() -> None:
    """A condition observed for another generation does not count as True."""
    data = yamlout.dump(_work([cond("Applied", "True", generation=1)], generation=2))
    assert not scan.work(data).is_true("Applied")


def test_lease_and_labels_and_decisions() -> None:
    """Leases, labels and decision pages scan to their values."""
    assert scan.lease(lease_yaml(NOW, 0)) == scan.LeaseDigest(NOW, 60)
    labels = {"a/b": "true", "c": "x.y"}
    work = yamlout.dump({"apiVersion": "v1", "kind": "K", "metadata": {"labels": labels}})
    assert scan.labels(work) == labels
    page = {
        "apiVersion": "v1",
        "kind": "PlacementDecision",
        "status": {
            "decisions": [{"clusterName": "c2", "reason": ""}, {"clusterName": "c1", "reason": ""}]
        },
    }
    assert scan.decisions(yamlout.dump(page)) == ("c2", "c1")
