"""README.md on ocm/status: problems first, tables, relative links, stable bytes."""

from __future__ import annotations

import datetime
import re

from statuskit import NOW, Fleet, cond, controller_yaml

from gitops_ocm.status import readme

S = datetime.timedelta(seconds=1)


def _readme(fleet: Fleet, now: datetime.datetime = NOW, **kwargs: object) -> str:
    return fleet.fold(now, **kwargs).files["README.md"].decode()


def test_problems_come_first_then_tables() -> None:
    """Problems precede the Clusters, Works and Placements tables."""
    fleet = Fleet()
    fleet.set_report("c2", available="False")
    text = _readme(fleet)
    heads = ("\n## Problems", "\n## Clusters", "\n## Works", "\n## Placements")
    order = [text.index(h) for h in heads]
    assert order == sorted(order)
    assert "| Cluster | Availability |" in text
    assert "| [apps/web](manifestworkreplicasets/apps/web.yaml) | all | 3 |" in text
    assert "| [apps/all](placements/apps/all.yaml) | 3 | 2 | True AllDecisionsScheduled |" in text


def test_links_are_relative() -> None:
    """Every link is a path relative to the repository root that the fold writes or grafts."""
    fleet = Fleet()
    fleet.set_report("c1", work=[cond("Applied", "False", "AppliedManifestWorkFailed")])
    out = fleet.fold()
    targets = re.findall(r"\]\(([^)]*)\)", out.files["README.md"].decode())
    assert targets and all(not t.startswith(("/", "http")) for t in targets)
    grafted = {
        f"{folder}/{path}"
        for folder, tree in out.subtrees.items()
        for c, r in fleet.reports.items()
        if r.tree_id == tree
        for path in r.blobs
    }
    assert {t for t in targets if not t.endswith("/")} <= set(out.files) | grafted


def test_stale_clusters_are_flagged() -> None:
    """An expired lease shows as STALE with the expiry time, in problems and the table."""
    fleet = Fleet()
    fleet.set_report("c3", renewed=NOW - 400 * S)
    text = _readme(fleet)
    problems = text[: text.index("\n## Clusters")]
    assert (
        "[c3](clusters/c3/cluster.yaml): `STALE` lease expired at 2024-05-01T11:58:20Z" in problems
    )
    assert "| [c3](clusters/c3/cluster.yaml) | `STALE` |" in text


def test_work_and_source_problems_are_listed() -> None:
    """Failing works and an invalid source commit are listed with links."""
    fleet = Fleet()
    fleet.set_report("c1", work=[cond("Applied", "False", "AppliedManifestWorkFailed")])
    text = _readme(fleet, controller_yaml=controller_yaml(valid=False))
    assert (
        "- [c1/web-abcde](clusters/c1/manifestworks/web-abcde.yaml) (from apps/web): "
        "not applied (AppliedManifestWorkFailed: Applied is False)" in text
    )
    assert "- [controller.yaml](controller.yaml): commit def has 1 errors" in text
    assert "`apps/work.yaml:3:5` `/spec`: 'spec' is a required property (E123)" in text
    assert "- [apps/web](manifestworkreplicasets/apps/web.yaml): " in text


def test_healthy_fleet_has_no_problems() -> None:
    """A healthy fleet says so."""
    assert "## Problems\n\nNo problems.\n" in _readme(Fleet())


def test_identical_inputs_identical_bytes() -> None:
    """The README is byte-identical for identical inputs."""
    assert _readme(Fleet()) == _readme(Fleet())


def test_time_passing_alone_changes_nothing() -> None:
    """Advancing now without a status change leaves the README (and every file) unchanged."""
    fleet = Fleet()
    first = fleet.fold()
    later = fleet.fold(NOW + 200 * S, previous=first.files)
    assert later.files == first.files and later.subtrees == first.subtrees
    expired = fleet.fold(NOW + 300 * S, previous=first.files)
    assert expired.files["README.md"] != first.files["README.md"]


def test_credentials_never_reach_the_readme() -> None:
    """The repository URL is shown without user information."""
    text = _readme(Fleet(), repo_url="https://bob:s3cret@git.example.com/fleet.git")
    assert "git.example.com/fleet.git" in text and "s3cret" not in text and "bob" not in text


def test_large_fleets_are_cut_with_problems_kept() -> None:
    """Over the row limit, clusters with problems are kept and a note points to clusters/."""
    names = [f"c{i:04d}" for i in range(30)]
    fleet = Fleet(names)
    fleet.set_report("c0029", available="False")
    old = readme.MAX_CLUSTER_ROWS
    readme.MAX_CLUSTER_ROWS = 5
    try:
        text = _readme(fleet)
    finally:
        readme.MAX_CLUSTER_ROWS = old
    assert "| [c0029](clusters/c0029/cluster.yaml) | `UNAVAILABLE` |" in text
    assert "Showing 5 of 30 clusters" in text
