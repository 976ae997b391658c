"""``gitops-ocm render`` and ``explain placement`` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from gitops_ocm.cli import main
from gitops_ocm.model import yamlout

FLEET = """\
apiVersion: cluster.open-cluster-management.io/v1beta2
kind: ManagedClusterSetBinding
metadata: {name: default, namespace: apps}
spec: {clusterSet: default}
---
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata: {name: web, namespace: apps}
spec:
  numberOfClusters: 1
  predicates:
  - requiredClusterSelector:
      labelSelector: {matchLabels: {env: prod}}
"""
CLUSTER = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: {name}
  labels: {{env: {env}}}
spec: {{hubAcceptsClient: true}}
"""
REPORT = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata: {{name: {name}}}
status:
  conditions:
  - type: ManagedClusterConditionAvailable
    status: "True"
    lastTransitionTime: "2024-01-01T00:00:00Z"
"""
NOW = "2024-01-01T12:00:00Z"


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _fleet(tmp_path: Path) -> tuple[Path, Path]:
    repo = _write(
        tmp_path / "repo",
        {
            ".gitops-ocm.yaml": "registration: open\n",  # no agent keys: publish as before
            "placements.yaml": FLEET,
            "clusters/a.yaml": CLUSTER.format(name="a", env="prod"),
            "clusters/b.yaml": CLUSTER.format(name="b", env="prod"),
            "clusters/c.yaml": CLUSTER.format(name="c", env="dev"),
        },
    )
    status = _write(
        tmp_path / "status", {f"clusters/{n}/cluster.yaml": REPORT.format(name=n) for n in "ab"}
    )
    return repo, status


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_render_writes_hub_tree_byte_identically(tmp_path):
    """render writes placement.yaml and decisions; identical inputs give identical bytes."""
    repo, status = _fleet(tmp_path)
    args = [str(repo), "--status", str(status), "--now", NOW]
    assert main.main(["render", *args, "--out", str(tmp_path / "one")]) == 0
    assert main.main(["render", *args, "--out", str(tmp_path / "two")]) == 0
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert one == two
    page = yamlout.load(one["placements/apps/web/web-decision-1.yaml"])
    assert page["status"]["decisions"] == [{"clusterName": "a", "reason": ""}]


def test_render_with_previous_is_steady(tmp_path):
    """--previous feeds Steady: an earlier pick is kept when it still fits."""
    repo, status = _fleet(tmp_path)
    args = [str(repo), "--status", str(status), "--now", NOW]
    assert main.main(["render", *args, "--out", str(tmp_path / "one")]) == 0
    (tmp_path / "repo/clusters/a0.yaml").write_text(CLUSTER.format(name="a0", env="prod"))
    (tmp_path / "status/clusters/a0").mkdir()
    (tmp_path / "status/clusters/a0/cluster.yaml").write_text(REPORT.format(name="a0"))
    assert (
        main.main(
            ["render", *args, "--previous", str(tmp_path / "one"), "--out", str(tmp_path / "two")]
        )
        == 0
    )
    page = yamlout.load((tmp_path / "two/placements/apps/web/web-decision-1.yaml").read_bytes())
    assert page["status"]["decisions"] == [{"clusterName": "a", "reason": ""}]


def test_render_bad_now_is_usage_error(tmp_path):
    """A malformed --now is a usage error (exit 2)."""
    repo, _status = _fleet(tmp_path)
    assert main.main(["render", str(repo), "--out", str(tmp_path / "o"), "--now", "yesterday"]) == 2


def test_explain_text(tmp_path, capsys):
    """explain shows, per cluster, the filter that dropped it or its scores, then the order."""
    repo, status = _fleet(tmp_path)
    assert (
        main.main(
            ["explain", "placement", "apps/web", str(repo), "--status", str(status), "--now", NOW]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "dropped by Predicate" in out
    assert "Balance 1x100 + Steady 1x0 = 100" in out
    assert "selected (1): a" in out


def test_explain_json_unreported_cluster(tmp_path, capsys):
    """A cluster without a report is dropped by its unreachable taint, in JSON too."""
    repo, status = _fleet(tmp_path)
    (status / "clusters/b/cluster.yaml").unlink()
    assert (
        main.main(
            [
                "explain",
                "placement",
                "apps/web",
                str(repo),
                "--status",
                str(status),
                "--now",
                NOW,
                "--output",
                "json",
            ]
        )
        == 0
    )
    rows = {r["cluster"]: r for r in json.loads(capsys.readouterr().out)["clusters"]}
    assert rows["b"]["dropped_by"] == "TaintToleration"
    assert "unreachable:NoSelect not tolerated" in rows["b"]["reason"]


def test_explain_unknown_placement(tmp_path):
    """Explaining a placement that does not exist exits 1."""
    repo, _status = _fleet(tmp_path)
    assert main.main(["explain", "placement", "apps/nope", str(repo), "--now", NOW]) == 1
