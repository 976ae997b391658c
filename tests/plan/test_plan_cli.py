"""The plan command through the CLI runner, on the example fleet committed to a repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pygit2
import pytest
from repokit import commit_files

from gitops_ocm.cli.main import main

EXAMPLE = Path(__file__).parents[2] / "examples" / "repo"
NOW = "2026-01-01T00:00:00Z"
UNAVAILABLE = """\
apiVersion: cluster.open-cluster-management.io/v1
kind: ManagedCluster
metadata:
  name: eu-prod-2
status:
  conditions:
  - type: ManagedClusterConditionAvailable
    status: "False"
    reason: ManagedClusterLeaseUpdateStopped
    message: lease not renewed
    lastTransitionTime: "2025-12-31T00:00:00Z"
"""


def example_files() -> dict[str, str]:
    """Return every file of examples/repo by relative path."""
    return {str(p.relative_to(EXAMPLE)): p.read_text() for p in EXAMPLE.rglob("*") if p.is_file()}


@pytest.fixture
def fleet(bare_repo: Path) -> tuple[Path, dict[str, str]]:
    """The example fleet committed as the base (main) of a bare repository."""
    files = example_files()
    commit_files(bare_repo, files, "base")
    return bare_repo, files


def plan(repo: Path, head: str, *extra: str) -> list[str]:
    """Return the plan arguments comparing main~1 with ``head``."""
    return ["plan", str(repo), "--base", "main~1", "--head", head, "--now", NOW, *extra]


def run_json(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, dict[str, Any]]:
    """Run the CLI with ``--output json`` and parse what it printed."""
    code = main([*args, "--output", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_template_change_is_one_group_for_all_its_clusters(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Changing one MWRS template gives one change group naming every cluster it runs on."""
    repo, files = fleet
    app = files["apps/guestbook.yaml"].replace("Hello from the fleet", "Hello again")
    commit_files(repo, {**files, "apps/guestbook.yaml": app}, "greeting")
    code, out = run_json(capsys, plan(repo, "main"))
    assert code == 0
    changes = out["changes"]
    assert isinstance(changes, list) and len(changes) == 1
    group = changes[0]
    assert (group["kind"], group["action"]) == ("ManifestWork", "changed")
    assert group["name"].startswith("guestbook-")
    touched = [c["cluster"] for c in out["clusters"]]
    assert group["clusters"] == touched and len(touched) >= 5
    assert "+        GREETING: Hello again" in group["diff"]
    assert out["totals"]["worksChanged"] == len(touched)
    assert out["placements"] == []


def test_relabel_moves_cluster_with_reasons(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Relabelling a cluster makes it leave placements, with the filter that now drops it."""
    repo, files = fleet
    cluster = files["clusters/us-prod-2.yaml"].replace("environment: prod", "environment: qa")
    commit_files(repo, {**files, "clusters/us-prod-2.yaml": cluster}, "relabel")
    code, out = run_json(capsys, plan(repo, "main"))
    assert code == 0
    moved = {p["placement"]: p for p in out["placements"]}
    canary = moved["platform/prod-canary-first"]
    assert [m["cluster"] for m in canary["left"]] == ["us-prod-2"]
    assert canary["joined"] == []
    reason = canary["left"][0]
    assert reason["after"].startswith("dropped by Predicate:")
    assert "labelSelector does not match" in reason["after"]
    assert reason["before"].startswith("selected, rank")


def test_text_output_lists_totals_first(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The text plan states validity and totals before the details."""
    repo, files = fleet
    cluster = files["clusters/us-prod-2.yaml"].replace("environment: prod", "environment: qa")
    commit_files(repo, {**files, "clusters/us-prod-2.yaml": cluster}, "relabel")
    assert main(plan(repo, "main")) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("head: valid")
    totals = next(i for i, line in enumerate(lines) if line.startswith("totals: "))
    first = next(i for i, line in enumerate(lines) if line.startswith("Placement "))
    assert totals < first
    assert "  - us-prod-2: now dropped by Predicate" in "\n".join(lines)


def test_invalid_head_exits_one_with_the_problem(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A head with an invalid file exits 1 and reports the problem, with no plan."""
    repo, files = fleet
    bad = files["clusters/eu-dev-1.yaml"].replace("hubAcceptsClient", "hubAcceptClient")
    commit_files(repo, {**files, "clusters/eu-dev-1.yaml": bad}, "typo")
    code, out = run_json(capsys, plan(repo, "main"))
    assert code == 1
    assert out["valid"] is False and out["totals"] is None
    assert [p["code"] for p in out["problems"]] == ["S201"]
    assert main(plan(repo, "main")) == 1
    assert "clusters/eu-dev-1.yaml:" in capsys.readouterr().out


def test_unknown_revision_is_a_usage_error(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown base revision exits 2 and names the revision."""
    repo, _ = fleet
    assert main(["plan", str(repo), "--base", "nope", "--head", "main"]) == 2
    assert "unknown revision 'nope'" in capsys.readouterr().err


def test_markdown_has_details_and_stays_under_the_cap(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The markdown comment folds sections into <details> and says what the cap left out."""
    repo, files = fleet
    app = files["apps/guestbook.yaml"].replace("replicas: 2", "replicas: 3")
    cluster = files["clusters/us-prod-2.yaml"].replace("environment: prod", "environment: qa")
    changed = {"apps/guestbook.yaml": app, "clusters/us-prod-2.yaml": cluster}
    commit_files(repo, {**files, **changed}, "two changes")
    assert main(plan(repo, "main", "--output", "markdown")) == 0
    full = capsys.readouterr().out
    assert full.startswith("## gitops-ocm plan")
    assert full.index("| ManifestWorks |") < full.index("<details>")
    assert "<summary>Placement platform/prod-canary-first" in full
    assert "```diff" in full and "not shown" not in full
    assert main(plan(repo, "main", "--output", "markdown", "--limit", "1500")) == 0
    short = capsys.readouterr().out
    assert len(short) <= 1500
    assert "sections not shown** (comment size limit of 1500 characters)" in short


def test_json_shape_is_stable(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """The JSON plan has the documented keys at every level."""
    repo, files = fleet
    cluster = files["clusters/us-prod-2.yaml"].replace("environment: prod", "environment: qa")
    commit_files(repo, {**files, "clusters/us-prod-2.yaml": cluster}, "relabel")
    _, out = run_json(capsys, plan(repo, "main"))
    assert set(out) == {
        "base", "head", "valid", "errors", "warnings", "problems", "notes", "status",
        "totals", "placements", "changes", "clusters", "rollouts",
    }  # fmt: skip
    assert set(out["status"]) == {"source", "commit", "written", "ageSeconds", "expiredLeases"}
    assert set(out["totals"]) == {
        "clustersAffected", "clustersAdded", "clustersRemoved", "worksAdded", "worksRemoved",
        "worksChanged", "policiesAdded", "policiesRemoved", "policiesChanged",
        "placementsChanged",
    }  # fmt: skip
    placement = out["placements"][0]
    assert set(placement) == {"placement", "state", "before", "after", "joined", "left"}
    assert set(placement["left"][0]) == {"cluster", "before", "after"}
    change = out["changes"][0]
    assert set(change) == {"kind", "name", "action", "clusters", "diff", "diffLinesOmitted"}
    entry = out["clusters"][0]
    assert set(entry) == {"cluster", "registration", "works", "policies"}
    assert len(str(out["head"])) == 40


def commit_status(repo: Path, files: dict[str, str]) -> None:
    """Commit ``files`` as the tree of branch ocm/status."""
    git = pygit2.Repository(str(repo))
    index = pygit2.Index()
    for rel, text in files.items():
        index.add(
            pygit2.IndexEntry(rel, git.create_blob(text.encode()), pygit2.enums.FileMode.BLOB)
        )
    sig = pygit2.Signature("fold", "fold@example.com", 1700000000, 0)
    git.create_commit("refs/heads/ocm/status", sig, sig, "status", index.write_tree(git), [])


def test_status_branch_drives_availability(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A cluster ocm/status reports unavailable joins only once the head tolerates it."""
    repo, files = fleet
    commit_status(repo, {"clusters/eu-prod-2/cluster.yaml": UNAVAILABLE})
    placement = files["placements/prod-canary-first.yaml"].replace(
        "  clusterSets:\n",
        "  tolerations:\n"
        "    - key: cluster.open-cluster-management.io/unavailable\n"
        "      operator: Exists\n"
        "  clusterSets:\n",
    )
    commit_files(repo, {**files, "placements/prod-canary-first.yaml": placement}, "tolerate")
    code, out = run_json(capsys, plan(repo, "main"))
    assert code == 0
    assert any("heads/ocm/status at" in n for n in out["notes"])
    moved = {p["placement"]: p for p in out["placements"]}
    joined = moved["platform/prod-canary-first"]["joined"]
    assert [m["cluster"] for m in joined] == ["eu-prod-2"]
    assert joined[0]["before"].startswith("dropped by TaintToleration:")
    assert "unavailable" in joined[0]["before"]
    assert joined[0]["after"].startswith("selected")
    assert "platform/prod-top-memory" not in moved


def test_without_status_every_cluster_is_available(
    fleet: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ocm/status the tolerating head changes nothing: all clusters were available."""
    repo, files = fleet
    placement = files["placements/prod-canary-first.yaml"].replace(
        "  clusterSets:\n",
        "  tolerations:\n"
        "    - key: cluster.open-cluster-management.io/unavailable\n"
        "      operator: Exists\n"
        "  clusterSets:\n",
    )
    commit_files(repo, {**files, "placements/prod-canary-first.yaml": placement}, "tolerate")
    code, out = run_json(capsys, plan(repo, "main"))
    assert code == 0
    assert out["placements"] == [] and out["changes"] == []
    assert any("assumed available" in n for n in out["notes"])
