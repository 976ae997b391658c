"""Fetch and compare-and-swap push through git daemon and smart HTTP, with real servers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pygit2
import pytest
from gitkit import AUTHOR, fleet, git

from gitops_ocm import errors, retry
from gitops_ocm.gitstore import clusterrefs, reader, remote, repository, servers, writer

pytestmark = pytest.mark.slow
HOOK = """#!/bin/sh
echo "*** push rejected by policy: README.md is not allowed ***" >&2
exit 1
"""


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A server root holding hub.git with one commit on ocm/hub."""
    repo = repository.init(tmp_path / "srv" / "hub.git")
    writer.publish_tree(repo, "ocm/hub", fleet(clusters=2), "seed", author=AUTHOR)
    return tmp_path / "srv"


@pytest.fixture(params=["daemon", "http"])
def base_url(request: pytest.FixtureRequest, served: Path) -> Iterator[str]:
    """The server root served by git daemon or by the smart-HTTP bridge."""
    serve = servers.git_daemon if request.param == "daemon" else servers.http_bridge
    with serve(served) as url:
        yield url


def _publish_and_push(store: remote.Store, files: dict[str, bytes]) -> writer.PublishResult:
    store.fetch()
    result = writer.publish_tree(store.repo, "ocm/hub", files, "hub", author=AUTHOR)
    store.push("ocm/hub", result.previous)
    return result


def test_fetch_publish_push_roundtrip(base_url: str, served: Path, tmp_path: Path) -> None:
    """A mirror fetches the branch, a commit is built on it and pushed to the server."""
    store = remote.open_store(f"{base_url}/hub.git", tmp_path / "cache")
    result = _publish_and_push(store, fleet(clusters=3))
    server = repository.open(served / "hub.git")
    assert str(pygit2.Repository(server.path).references["refs/heads/ocm/hub"].target) == (
        result.commit
    )
    assert reader.read_tree_files(server, "ocm/hub") == fleet(clusters=3)


def test_push_race_is_ref_conflict(base_url: str, tmp_path: Path) -> None:
    """Two mirrors build on the same tip; the second push is a RefConflict, then retry works."""
    one = remote.open_store(f"{base_url}/hub.git", tmp_path / "c1")
    two = remote.open_store(f"{base_url}/hub.git", tmp_path / "c2")
    one.fetch()
    two.fetch()
    first = writer.publish_tree(one.repo, "ocm/hub", {"one": b"1"}, "one")
    second = writer.publish_tree(two.repo, "ocm/hub", {"two": b"2"}, "two")
    one.push("ocm/hub", first.previous)
    with pytest.raises(errors.RefConflict):
        two.push("ocm/hub", second.previous)
    retried = _publish_and_push(two, {"two": b"2"})
    assert retried.previous == first.commit


def test_hook_rejection_reports_message(base_url: str, served: Path, tmp_path: Path) -> None:
    """A push a pre-receive hook declines is InvalidInput carrying the hook's message."""
    hook = served / "hub.git" / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(HOOK)
    hook.chmod(0o755)
    store = remote.open_store(f"{base_url}/hub.git", tmp_path / "cache")
    with pytest.raises(errors.InvalidInput, match="rejected by policy") as caught:
        _publish_and_push(store, {"README.md": b"x"})
    assert "declined" in str(caught.value)
    assert "README.md" not in git(served / "hub.git", "ls-tree", "--name-only", "ocm/hub")


def test_unreachable_remote_is_transient_and_backs_off(tmp_path: Path) -> None:
    """A closed port raises Transient quickly; retry() backs off with the injected sleep."""
    url = f"http://bob:hunter2@127.0.0.1:{servers.free_port()}/hub.git"
    store = remote.open_store(url, tmp_path / "cache")
    slept: list[float] = []
    started = time.monotonic()
    with pytest.raises(errors.Transient) as caught:
        retry.retry(store.fetch, attempts=3, base=0.5, jitter=0.0, sleep=slept.append)
    assert time.monotonic() - started < 5
    assert slept == [0.5, 1.0]
    assert "hunter2" not in str(caught.value) and "bob" not in str(caught.value)


def test_http_credentials_used_and_never_shown(served: Path, tmp_path: Path) -> None:
    """Basic-auth credentials from the URL work, stay out of the mirror config and of errors."""
    with servers.http_bridge(served, credentials=("bob", "s3cr3t-pw")) as base:
        host = base.removeprefix("http://")
        good = remote.open_store(f"http://bob:s3cr3t-pw@{host}/hub.git", tmp_path / "c1")
        _publish_and_push(good, {"a": b"1"})
        config = (Path(good.repo.path) / "config").read_text()
        assert "s3cr3t-pw" not in config
        bad = remote.open_store(f"http://bob:wr0ng-pw@{host}/hub.git", tmp_path / "c2")
        with pytest.raises(errors.GitopsOcmError) as caught:
            bad.fetch()
        text = str(caught.value) + repr(caught.value) + bad.display
        assert "wr0ng-pw" not in text and "bob" not in text


def test_local_path_store_writes_in_place(served: Path) -> None:
    """A local path is opened directly: fetch and push are no-ops and the tip is local."""
    store = remote.open_store(str(served / "hub.git"))
    store.fetch()
    result = writer.publish_tree(store.repo, "ocm/hub", {"x": b"1"}, "local")
    store.push("ocm/hub", result.previous)
    assert store.remote_tip("ocm/hub") == result.commit


def test_mirror_follows_deleted_and_df_swapped_branches(
    base_url: str, served: Path, tmp_path: Path
) -> None:
    """A branch deleted on the server leaves the mirror, and one replaced by a ref below its
    name (``r/c1`` by ``r/c1/x``) is fetched instead of failing every fetch after."""
    server = repository.open(served / "hub.git")
    writer.publish_tree(server, "r/c1", fleet(clusters=1), "c1", author=AUTHOR)
    writer.publish_tree(server, "r/c2", fleet(clusters=1), "c2", author=AUTHOR)
    store = remote.open_store(f"{base_url}/hub.git", tmp_path / "cache")
    store.fetch()
    raw_server = pygit2.Repository(server.path)
    raw_server.references.delete("refs/heads/r/c2")
    raw_server.references.delete("refs/heads/r/c1")
    writer.publish_tree(server, "r/c1/x", fleet(clusters=2), "x", author=AUTHOR)
    store.fetch()
    mirror = {name for name in pygit2.Repository(store.path).references if "/r/" in name}
    assert mirror == {"refs/heads/r/c1/x"}


def test_named_refs_fetch_with_protocol_v2(base_url: str, served: Path, tmp_path: Path) -> None:
    """Fetching named refs (an agent's) takes them only, skips one the remote lacks, prunes."""
    server = repository.open(served / "hub.git")
    for i in range(30):  # other clusters' branches the agent must not receive
        writer.publish_tree(server, f"ocm/reports/c{i}", {"r": b"%d" % i}, "r", author=AUTHOR)
    store = remote.open_store(f"{base_url}/hub.git", tmp_path / "cache")
    own = "+refs/heads/ocm/reports/c1:refs/heads/ocm/reports/c1"
    missing = "+refs/ocm/hub/c1:refs/ocm/hub/c1"  # not published by this server
    store.fetch(("+refs/heads/ocm/hub:refs/heads/ocm/hub", own, missing))
    names = set(pygit2.Repository(store.repo.path).references)
    assert {"refs/heads/ocm/hub", "refs/heads/ocm/reports/c1"} <= names
    assert not {n for n in names if n.startswith("refs/heads/ocm/reports/")} - {
        "refs/heads/ocm/reports/c1"
    }
    assert "refs/ocm/hub/c1" not in names
    store.fetch((missing,))  # only a missing ref: nothing to do, no error
    git(served / "hub.git", "update-ref", "-d", "refs/heads/ocm/reports/c1")
    store.fetch(("+refs/heads/ocm/hub:refs/heads/ocm/hub", own), prune=True)
    names = set(pygit2.Repository(store.repo.path).references)
    assert "refs/heads/ocm/reports/c1" not in names and "refs/heads/ocm/hub" in names


def test_named_refs_fetch_uses_the_urls_credentials(served: Path, tmp_path: Path) -> None:
    """Protocol v2 fetches authenticate with the URL's password, which no message shows."""
    with servers.http_bridge(served, credentials=("bob", "s3cr3t-pw")) as base:
        host = base.removeprefix("http://")
        good = remote.open_store(f"http://bob:s3cr3t-pw@{host}/hub.git", tmp_path / "c1")
        good.fetch(("+refs/heads/ocm/hub:refs/heads/ocm/hub",))
        assert "refs/heads/ocm/hub" in pygit2.Repository(good.repo.path).references
        bad = remote.open_store(f"http://bob:wr0ng-pw@{host}/hub.git", tmp_path / "c2")
        with pytest.raises(errors.GitopsOcmError) as caught:
            bad.fetch(("+refs/heads/ocm/hub:refs/heads/ocm/hub",))
        text = str(caught.value) + repr(caught.value)
        assert "wr0ng-pw" not in text


def test_per_cluster_refs_push_fetch_and_prune(base_url: str, served: Path, tmp_path: Path) -> None:
    """refs/ocm/hub/<c> outside refs/heads: pushed in one go, fetched one by one, pruned."""
    hub = remote.open_store(f"{base_url}/hub.git", tmp_path / "hub-cache")
    hub.fetch()
    tip = reader.commit_info(hub.repo, "ocm/hub")
    for cluster in ("c1", "c2"):
        git(hub.path, "update-ref", clusterrefs.ref_of(cluster), tip.id)
    hub.push_refs({clusterrefs.ref_of("c1"): None, clusterrefs.ref_of("c2"): None})
    server = repository.open(served / "hub.git")
    assert set(clusterrefs.targets(server)) == {"c1", "c2"}
    agent = remote.open_store(f"{base_url}/hub.git", tmp_path / "agent-cache")
    own = clusterrefs.ref_of("c1")
    agent.fetch((f"+{own}:{own}",), prune=True)
    assert set(pygit2.Repository(agent.path).references) == {own}
    git(hub.path, "update-ref", "-d", own)
    hub.push_refs({own: tip.id})  # absent in the mirror: deleted on the server
    assert set(clusterrefs.targets(server)) == {"c2"}
    agent.fetch((f"+{own}:{own}",), prune=True)
    assert not set(pygit2.Repository(agent.path).references)
