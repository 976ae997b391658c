"""The agent's keys, its signed reports and registration request, and the hub commits it trusts."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path
from typing import Any

import keykit
import pygit2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from kubekit import (
    ALLOWED_SIGNERS,
    AUTHOR,
    Hub,
    agent,
    at,
    configmap,
    namespace,
    new_hub,
    work,
)

from gitops_ocm import errors
from gitops_ocm.agent import hubtrust, identity, joinrequest, results
from gitops_ocm.cli import main
from gitops_ocm.gitstore import writer
from gitops_ocm.localkube import memory
from gitops_ocm.trust import failure, seal, signers

OTHER = keykit.signer(keykit.OTHER_SEED)
UNSIGNED = writer.Author(name="attacker", email="a@example.com", when=1_700_000_000)
FORGER = writer.Author(name="attacker", email="a@example.com", when=1_700_000_000, signer=OTHER)
SWAPPED = signers.render({"hub": [OTHER.public_key]}).encode()


def good(value: str = "1") -> dict[str, dict[str, Any]]:
    """The legitimate prescriptions: one work with a namespace and ConfigMap ``a``."""
    return {"c1": {"w1": work("w1", [namespace(), configmap("a", x=value)])}}


def evil() -> dict[str, dict[str, Any]]:
    """What an attacker prescribes: ``a`` changed and a new ConfigMap ``evil``."""
    manifests = [namespace(), configmap("a", x="forged"), configmap("evil", x="1")]
    return {"c1": {"w1": work("w1", manifests)}}


def data(kube: memory.MemoryCluster, name: str) -> Any:
    """The data of ConfigMap ``name`` in ``demo`` (None when absent)."""
    found = kube.get("v1", "ConfigMap", name, "demo")
    return None if found is None else found.get("data")


def hub_verified(hub: Hub) -> dict[str, Any]:
    """The HubVerified condition of c1's last report."""
    (condition,) = [
        c
        for c in hub.report("c1")["cluster.yaml"]["status"]["conditions"]
        if c["type"] == "HubVerified"
    ]
    return dict(condition)


def move_hub(hub: Hub, commit: str) -> None:
    """Point ocm/hub at ``commit`` (what a force-push by someone with push access does)."""
    pygit2.Repository(str(hub.path)).references["refs/heads/ocm/hub"].set_target(commit)


def branch_commits(hub: Hub, branch: str) -> list[str]:
    """The commits of ``branch``, newest first."""
    git = pygit2.Repository(str(hub.path))
    return [str(c.id) for c in git.walk(git.references[f"refs/heads/{branch}"].target)]


def test_key_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    """agent.key is created on first start with mode 0600 and the same key is used afterwards."""
    hub = new_hub(tmp_path)
    first = agent(hub, tmp_path)
    path = tmp_path / "state-c1" / identity.AGENT_KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    again = agent(hub, tmp_path)
    assert again.signer.fingerprint == first.signer.fingerprint
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == [
        identity.AGENT_KEY,
        identity.SEALING_KEY,
    ]


def test_report_commits_verify_with_stock_git(tmp_path: Path) -> None:
    """Every report commit verifies with git verify-commit against the agent's key only."""
    hub = new_hub(tmp_path)
    hub.publish(good(), lease_seconds=60)
    one = agent(hub, tmp_path)
    one.run_once(at(0))
    hub.publish(good("2"), lease_seconds=60)
    one.run_once(at(61))
    commits = branch_commits(hub, "ocm/reports/c1")
    assert len(commits) == 2
    mine = signers.render({"c1": [one.signer.public_key]})
    theirs = signers.render({"c1": [OTHER.public_key]})
    for commit in commits:
        assert keykit.verify_commit(hub.path, commit, mine).returncode == 0
        assert keykit.verify_commit(hub.path, commit, theirs).returncode != 0


def test_registration_yaml_names_the_cluster_and_its_key(tmp_path: Path) -> None:
    """registration.yaml is the ManagedCluster OCM's agent creates, with the key's annotations."""
    hub = new_hub(tmp_path)
    hub.publish(good())
    one = agent(hub, tmp_path)
    one.run_once(at(0))
    body = hub.report("c1")["registration.yaml"]
    assert body == {
        "apiVersion": "cluster.open-cluster-management.io/v1",
        "kind": "ManagedCluster",
        "metadata": {
            "name": "c1",
            "annotations": {
                joinrequest.KEY_ANNOTATION: one.signer.fingerprint,
                joinrequest.PUBLIC_KEY_ANNOTATION: one.signer.public_key.to_line(),
                joinrequest.SEALING_KEY_ANNOTATION: seal.public_of(one.opener).to_line(),
            },
        },
        "spec": {"hubAcceptsClient": False},
    }


def test_private_key_never_leaves_the_state_folder(tmp_path: Path) -> None:
    """No object of the hub repository holds the private key; the public line only the request."""
    hub = new_hub(tmp_path)
    hub.publish({}, accepted=())
    one = agent(hub, tmp_path)
    one.run_once(at(0))  # the registration request
    hub.publish(good())
    one.run_once(at(10))  # a full report
    key_file = tmp_path / "state-c1" / identity.AGENT_KEY
    private = serialization.load_ssh_private_key(key_file.read_bytes(), password=None)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    raw = private.private_bytes_raw()
    listed = subprocess.run(
        ["git", "--git-dir", str(hub.path), "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    ).stdout
    for secret in (raw, raw.hex().encode(), b"PRIVATE KEY", key_file.read_bytes()[40:100]):
        assert secret not in listed
    public = one.signer.public_key.to_line().split()[1].encode()
    git = pygit2.Repository(str(hub.path))
    holders = set()
    for commit in git.walk(git.references["refs/heads/ocm/reports/c1"].target):
        holders |= {path for path, blob in _files(git, commit.tree) if public in blob}
    assert holders == {"registration.yaml"}


def _files(git: pygit2.Repository, tree: pygit2.Tree, prefix: str = "") -> list[tuple[str, bytes]]:
    out = []
    for item in tree:
        obj = git[item.id]
        if isinstance(obj, pygit2.Tree):
            out += _files(git, obj, f"{prefix}{item.name}/")
        else:
            out.append((f"{prefix}{item.name}", obj.read_raw()))
    return out


def _forge_unsigned(hub: Hub) -> tuple[str, str]:
    return hub.publish(evil(), author=UNSIGNED), "Unsigned"


def _forge_other_key(hub: Hub) -> tuple[str, str]:
    return hub.publish(evil(), author=FORGER), "WrongKey"


def _forge_swapped_signers(hub: Hub) -> tuple[str, str]:
    return hub.publish(evil(), author=FORGER, allowed_signers=SWAPPED), "WrongKey"


def _forge_replaced(hub: Hub) -> tuple[str, str]:
    """A tip signed by the hub key on a new root (not a descendant of what was applied)."""
    files = {"allowed_signers": ALLOWED_SIGNERS, "clusters/c1/cluster.yaml": b"kind: x\n"}
    commit = writer.publish_tree(hub.repo, "scratch", files, "replaced", {}, author=AUTHOR).commit
    move_hub(hub, commit)
    return commit, "NotDescendant"


def _forge_rewound(hub: Hub) -> tuple[str, str]:
    """The hub branch set back to an older, signed commit (a rollback)."""
    commit = branch_commits(hub, "ocm/hub")[1]
    move_hub(hub, commit)
    return commit, "NotDescendant"


ATTACKS = {
    "unsigned": (_forge_unsigned, "T631"),
    "other-key": (_forge_other_key, "T632"),
    "swapped-allowed-signers": (_forge_swapped_signers, "T632"),
    "replaced": (_forge_replaced, "T633"),
    "rewound": (_forge_rewound, "T633"),
}


@pytest.mark.parametrize(("forge", "code"), list(ATTACKS.values()), ids=list(ATTACKS))
def test_forged_hub_tip_applies_nothing(forge: Any, code: str, tmp_path: Path) -> None:
    """A forged tip is refused: nothing of it applied, the last verified kept, HubVerified False."""
    hub = new_hub(tmp_path)
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    hub.publish(good("0"))
    one.run_once(at(0))
    verified = hub.publish(good("1"))
    one.run_once(at(10))
    assert hub_verified(hub)["status"] == "True"
    forged, reason = forge(hub)
    live = kube.get("v1", "ConfigMap", "a", "demo")
    assert live is not None
    kube.update({**live, "data": {"x": "drift"}})
    result = one.run_once(at(20))
    (refusal,) = [f for f in result.failures if isinstance(f, results.HubRefused)]
    assert refusal.code == code and refusal.commit == forged
    assert data(kube, "a") == {"x": "1"} and data(kube, "evil") is None  # last verified, kept
    assert result.hub_commit == verified and result.pushed and result.exit_code() == 1
    state = json.loads((tmp_path / "state-c1" / "prescriptions.json").read_text())
    assert state["hubCommit"] == verified
    condition = hub_verified(hub)
    assert (condition["status"], condition["reason"]) == ("False", reason)
    assert forged in condition["message"]
    assert f"{code} refused hub commit {forged}" in result.line("c1")


def test_refused_tip_then_a_signed_descendant_is_applied(tmp_path: Path) -> None:
    """After a refusal the hub's next signed descendant of the applied commit is applied."""
    hub = new_hub(tmp_path)
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    first = hub.publish(good("1"))
    one.run_once(at(0))
    hub.publish(evil(), author=FORGER)
    one.run_once(at(10))
    move_hub(hub, first)  # the controller's next commit builds on what it published
    hub.publish(good("2"))
    result = one.run_once(at(20))
    assert not any(isinstance(f, results.HubRefused) for f in result.failures)
    assert data(kube, "a") == {"x": "2"} and hub_verified(hub)["status"] == "True"


def test_trust_on_first_use_pins_the_hub_key(tmp_path: Path) -> None:
    """The first verified tip's hub key is written to hub.pub and logged; a restart keeps it."""
    hub = new_hub(tmp_path)
    hub.publish(good())
    one = agent(hub, tmp_path)
    result = one.run_once(at(0))
    fingerprint = keykit.public().fingerprint
    assert result.pinned == fingerprint
    assert f"pinned the hub key {fingerprint}" in result.line("c1")
    pinned = (tmp_path / "state-c1" / identity.HUB_KEY).read_text()
    assert pinned == keykit.public().to_line() + "\n"
    hub.publish(good("2"), author=FORGER, allowed_signers=SWAPPED)
    again = agent(hub, tmp_path)  # restarted: the pin comes from hub.pub, not the tip
    refused = again.run_once(at(10))
    assert [f.code for f in refused.failures if isinstance(f, results.HubRefused)] == ["T632"]
    assert refused.pinned == ""


def test_first_contact_with_a_forged_tip_pins_nothing(tmp_path: Path) -> None:
    """A first tip not signed by its own allowed_signers hub key is refused and not pinned."""
    hub = new_hub(tmp_path)
    hub.publish(evil(), author=FORGER)
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube)
    result = one.run_once(at(0))
    assert [f.code for f in result.failures if isinstance(f, results.HubRefused)] == ["T632"]
    assert not (tmp_path / "state-c1" / identity.HUB_KEY).exists()
    assert data(kube, "evil") is None and data(kube, "a") is None
    assert set(hub.report("c1")) == {"registration.yaml"}  # it may still ask to join


def test_hub_key_file_mismatch_is_refused(tmp_path: Path) -> None:
    """With --hub-key FILE a tip signed by another key (the real controller's too) is refused."""
    hub = new_hub(tmp_path)
    hub.publish(good())
    kube = memory.MemoryCluster()
    one = agent(hub, tmp_path, kube=kube, hub_pin=hubtrust.Pin(key=OTHER.public_key))
    result = one.run_once(at(0))
    (refusal,) = [f for f in result.failures if isinstance(f, results.HubRefused)]
    assert refusal.code == "T632" and OTHER.fingerprint in refusal.message
    assert data(kube, "a") is None


@pytest.mark.parametrize("matches", [True, False], ids=["matching", "mismatch"])
def test_hub_key_fingerprint_takes_the_key_from_allowed_signers(
    matches: bool, tmp_path: Path
) -> None:
    """--hub-key FINGERPRINT pins the tip's hub key only when the fingerprint matches."""
    hub = new_hub(tmp_path)
    hub.publish(good())
    kube = memory.MemoryCluster()
    fingerprint = (keykit.public() if matches else OTHER.public_key).fingerprint
    one = agent(hub, tmp_path, kube=kube, hub_pin=hubtrust.Pin(fingerprint=fingerprint))
    result = one.run_once(at(0))
    refused = [f.code for f in result.failures if isinstance(f, results.HubRefused)]
    assert refused == ([] if matches else ["T632"])
    assert data(kube, "a") == ({"x": "1"} if matches else None)
    assert (tmp_path / "state-c1" / identity.HUB_KEY).exists() == matches


JUDGE_CASES = {
    "unsigned": (None, hubtrust.NO_PIN, True, "T631"),
    "not-a-signature": ("garbage", hubtrust.NO_PIN, True, "T632"),
    "other-key-pinned": ("hub", hubtrust.Pin(key=OTHER.public_key), True, "T632"),
    "not-descendant": ("hub", hubtrust.NO_PIN, False, "T633"),
    "verified": ("hub", hubtrust.NO_PIN, True, None),
}


@pytest.mark.parametrize(
    ("signature", "pin", "descends", "code"), list(JUDGE_CASES.values()), ids=list(JUDGE_CASES)
)
def test_judge(signature: str | None, pin: hubtrust.Pin, descends: bool, code: str | None) -> None:
    """The pure verdict: unsigned T631, wrong or broken signature T632, not descending T633."""
    payload = b"tree 0\n\nhub\n"
    armored = keykit.signer().sign(payload) if signature == "hub" else signature
    tip = hubtrust.Tip("c" * 40, armored, payload, ALLOWED_SIGNERS.decode(), descends)
    verdict = hubtrust.judge(tip, pin)
    if code is None:
        assert isinstance(verdict, hubtrust.Verified)
        assert verdict.key == keykit.public()
    else:
        assert isinstance(verdict, hubtrust.Refused) and verdict.code == code
        assert verdict.message.startswith(f"hub commit {'c' * 40} refused: ")


def test_cli_print_key_and_bad_hub_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--print-key prints the public line and fingerprint; an unreadable --hub-key exits 2."""
    state = tmp_path / "state"
    assert main.main(["agent", "--cluster", "c1", "--state", str(state), "--print-key"]) == 0
    line, fingerprint = capsys.readouterr().out.splitlines()
    signer = identity.agent_signer(state)
    assert (line, fingerprint) == (signer.public_key.to_line(), signer.fingerprint)
    hub = new_hub(tmp_path)
    argv = ["agent", "--repo", str(hub.path), "--cluster", "c1", "--state", str(state)]
    argv += ["--local", str(tmp_path / "k"), "--once", "--hub-key", str(tmp_path / "nope.pub")]
    assert main.main(argv) == 2
    assert "'--hub-key' is neither" in capsys.readouterr().err


def test_cli_logs_the_key_and_pins_with_hub_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The agent logs its key's fingerprint at start and applies a tip signed by --hub-key."""
    hub = new_hub(tmp_path)
    hub.publish(good())
    pub = tmp_path / "hub.pub"
    pub.write_text(keykit.public().to_line() + "\n")
    argv = ["agent", "--repo", str(hub.path), "--cluster", "c1", "--state", str(tmp_path / "s")]
    argv += ["--local", str(tmp_path / "k"), "--once", "--hub-key", str(pub)]
    assert main.main(argv) == 0
    err = capsys.readouterr().err
    signer = identity.agent_signer(tmp_path / "s")
    assert f"agent c1: key {signer.fingerprint}" in err
    assert (tmp_path / "s" / identity.HUB_KEY).read_text() == pub.read_text()


@pytest.mark.parametrize(
    ("value", "says"),
    [("SHA256:short", "43 base64 characters"), ("/no/such.pub", "neither a SHA256:")],
    ids=["bad-fingerprint", "missing-file"],
)
def test_hub_key_argument_is_checked(value: str, says: str) -> None:
    """A --hub-key neither a well-formed fingerprint nor a readable file is a usage error."""
    with pytest.raises(errors.UsageError, match=says):
        identity.pin_argument(value)


def test_hub_key_file_that_is_no_key_names_the_file(tmp_path: Path) -> None:
    """A --hub-key file without an ssh-ed25519 line is refused with T606 and its path."""
    path = tmp_path / "hub.pub"
    path.write_text("not a key\n")
    with pytest.raises(failure.TrustError, match=r"hub\.pub:1: T606"):
        identity.pin_argument(str(path))


def test_cli_needs_repo_and_cluster_access_except_to_print_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --print-key, a missing --repo or cluster access is a usage error (2)."""
    state = ["--state", str(tmp_path / "s")]
    assert main.main(["agent", "--cluster", "c1", *state, "--local", str(tmp_path / "k")]) == 2
    assert "'--repo' is required" in capsys.readouterr().err
    assert (
        main.main(["agent", "--cluster", "c1", *state, "--repo", str(new_hub(tmp_path).path)]) == 2
    )
    assert "'--kubeconfig', '--in-cluster' or '--local'" in capsys.readouterr().err
