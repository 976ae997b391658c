"""Fleet checks that need decisions (F401-F404), through ``gitops-ocm validate``.

Each case adds a few files to the example fleet and expects the code, the
file and a line in the output, and exit code 1 for errors.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gitops_ocm.cli.main import main
from gitops_ocm.render import works

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "repo"

WORK = """\
apiVersion: work.open-cluster-management.io/v1
kind: ManifestWork
metadata:
  name: {name}
  namespace: eu-prod-1
spec:
  workload:
    manifests:
      - apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {object}
          namespace: default
        data:
          size: "{size}"
"""

PLACEMENT = """\
apiVersion: cluster.open-cluster-management.io/v1beta1
kind: Placement
metadata:
  name: nowhere
  namespace: platform
spec:
  predicates:
    - requiredClusterSelector:
        labelSelector:
          matchLabels:
            region: atlantis
"""


def _fleet(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, root)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _validate(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(root)])
    return code, capsys.readouterr().out


def test_example_fleet_passes_the_fleet_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _validate(_fleet(tmp_path, {}), capsys)
    assert code == 0, out
    assert "F401" not in out and "F403" not in out and "F404" not in out


def test_two_works_claiming_one_object_on_a_cluster_is_f401(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _fleet(
        tmp_path,
        {
            "works/eu-prod-1/a.yaml": WORK.format(name="a", object="shared", size=1),
            "works/eu-prod-1/b.yaml": WORK.format(name="b", object="shared", size=2),
        },
    )
    code, out = _validate(root, capsys)
    assert code == 1
    assert "works/eu-prod-1/b.yaml:9:9: F401 /spec/workload/manifests/0:" in out, out
    assert "ConfigMap default/shared is also in work 'a'" in out
    assert "on cluster eu-prod-1" in out


def test_a_direct_work_named_like_a_replica_is_f404(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = works.mwrs_work_name("platform", "guestbook")  # guestbook runs on eu-prod-1
    direct = WORK.format(name=name, object="other", size=1)
    code, out = _validate(_fleet(tmp_path, {"works/eu-prod-1/clash.yaml": direct}), capsys)
    assert code == 1
    assert f"F404 /metadata/name: cluster eu-prod-1 already has a work named '{name}'" in out, out


def test_placement_selecting_nothing_is_a_f402_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _validate(_fleet(tmp_path, {"placements/nowhere.yaml": PLACEMENT}), capsys)
    assert code == 0  # a warning does not fail validation
    assert "placements/nowhere.yaml:6:1: F402 /spec: the placement selects no cluster" in out


def test_rendered_work_over_the_size_limit_is_f403(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Manifests under the limit (no M318) but a rendered work over it, with its metadata."""
    big = WORK.format(name="big", object="big", size="x" * 280_000).replace(
        "  namespace: eu-prod-1\n",
        f"  namespace: eu-prod-1\n  annotations:\n    note: {'y' * 240_000}\n",
        1,
    )
    code, out = _validate(_fleet(tmp_path, {"works/eu-prod-1/big.yaml": big}), capsys)
    assert code == 1
    assert "works/eu-prod-1/big.yaml:" in out, out
    assert "F403 /spec: the rendered ManifestWork is larger than OCM's limit" in out
