"""`gitops-ocm status --pending` and `gitops-ocm accept`: the person's half of the double opt-in.

A registration request is pushed as a signed commit, folded into ocm/status by
a real status fold, listed by ``status --pending`` and accepted into a working
tree of the example fleet, which then validates.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pygit2
import pytest
import signkit
import yaml
from hubkit import EXAMPLES
from signkit import NOW, key, push

from gitops_ocm.cli import main as cli
from gitops_ocm.gitstore import remote, writer
from gitops_ocm.hub import folding

AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000)
CLUSTER = "eu-prod-1"
KEY = "gitops-ocm.io/agent-key"


class Setup:
    """A fleet repository with ocm/hub, a request from eu-prod-1 and a working tree."""

    def __init__(self, tmp_path: Path) -> None:
        self.repo = tmp_path / "fleet.git"
        pygit2.init_repository(str(self.repo), bare=True, initial_head="main")
        signkit.hub(self.repo, {}, [])
        self.tree = tmp_path / "work"
        shutil.copytree(EXAMPLES, self.tree)
        self.request = self.send(CLUSTER, "agent")

    def send(self, cluster: str, name: str) -> str:
        """Push a self-signed registration request of ``cluster`` with the key of ``name``."""
        signer = key(name)
        files = {"registration.yaml": signkit.registration_yaml(cluster, signer.public_key)}
        commit = push(self.repo, f"ocm/reports/{cluster}", files, signer)
        self.fold()
        return commit

    def fold(self) -> None:
        """Fold the report branches into ocm/status."""
        store = remote.open_store(str(self.repo))
        folding.StatusFolder(store, AUTHOR).fold(folding.Pass(now=NOW))

    def accept(self, *extra: str) -> int:
        """Run `accept` on the working tree."""
        return cli.main(["accept", CLUSTER, str(self.tree), "--repo", str(self.repo), *extra])


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    """A pending request from eu-prod-1."""
    return Setup(tmp_path)


def test_status_pending_text(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    """`status --pending` prints the cluster, the key fingerprint, when and the commit."""
    assert cli.main(["status", "--repo", str(setup.repo), "--pending"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(CLUSTER))
    assert key("agent").fingerprint in row
    assert "2026-11-21T12:00:00Z" in row and setup.request in row


def test_status_pending_json(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    """`status --pending -o json` lists each pending request with its public key."""
    assert cli.main(["status", "--repo", str(setup.repo), "--pending", "-o", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "cluster": CLUSTER,
            "fingerprint": key("agent").fingerprint,
            "requestedAt": "2026-11-21T12:00:00Z",
            "commit": setup.request,
            "publicKey": key("agent").public_key.to_line(),
        }
    ]


def test_accept_edits_the_working_tree_and_it_validates(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """The cluster's file gets the key annotation and hubAcceptsClient, keeps the rest; valid."""
    path = setup.tree / "clusters" / f"{CLUSTER}.yaml"
    path.write_text("# Frankfurt\n" + path.read_text())
    assert setup.accept() == 0
    out = capsys.readouterr().out
    assert f"accepted {CLUSTER} with key {key('agent').fingerprint}" in out
    assert "commit -m" in out
    text = path.read_text()
    assert text.startswith("# Frankfurt\n")
    body = yaml.safe_load(text)
    assert body["metadata"]["annotations"] == {KEY: key("agent").fingerprint}
    assert body["spec"] == {"hubAcceptsClient": True, "leaseDurationSeconds": 60}
    assert body["metadata"]["labels"]["canary"] == "true"
    assert cli.main(["validate", str(setup.tree)]) == 0


def test_accept_creates_the_file_of_an_undeclared_cluster(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """A request from a cluster main does not declare creates clusters/<name>.yaml."""
    setup.send("eu-new-1", "new")
    argv = ["accept", "eu-new-1", str(setup.tree), "--repo", str(setup.repo)]
    assert cli.main(argv) == 0
    body = yaml.safe_load((setup.tree / "clusters" / "eu-new-1.yaml").read_text())
    assert body["metadata"]["annotations"] == {KEY: key("new").fingerprint}
    assert body["spec"]["hubAcceptsClient"] is True
    assert cli.main(["validate", str(setup.tree)]) == 0


def test_several_pending_need_a_fingerprint(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two pending keys: exit 1 asking for --fingerprint; with it, that key is accepted."""
    setup.send(CLUSTER, "second")
    assert setup.accept() == 1
    assert "choose one with --fingerprint" in capsys.readouterr().err
    assert setup.accept("--fingerprint", key("agent").fingerprint) == 0
    body = yaml.safe_load((setup.tree / "clusters" / f"{CLUSTER}.yaml").read_text())
    assert body["metadata"]["annotations"][KEY] == key("agent").fingerprint


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["accept", "us-prod-1", "{tree}", "--repo", "{repo}"], 1, "no registration request"),
        (["accept", CLUSTER, "{tree}/missing", "--repo", "{repo}"], 2, "no such directory"),
        (["accept", "Not_A_Name", "{tree}", "--repo", "{repo}"], 2, "DNS label"),
        (
            ["accept", CLUSTER, "{tree}", "--repo", "{repo}", "--fingerprint", "SHA256:x"],
            1,
            "sent no request with key SHA256:x",
        ),
    ],
    ids=["no-request", "bad-path", "bad-name", "unknown-fingerprint"],
)
def test_accept_errors(
    argv: list[str],
    code: int,
    message: str,
    setup: Setup,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Errors exit 1 or 2 with one clear line and change nothing."""
    before = (setup.tree / "clusters" / f"{CLUSTER}.yaml").read_text()
    filled = [a.format(tree=setup.tree, repo=setup.repo) for a in argv]
    assert cli.main(filled) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert (setup.tree / "clusters" / f"{CLUSTER}.yaml").read_text() == before
