"""controller --verify-source: only main commits signed by an allowed key are published.

Every verdict is checked against stock ``git verify-commit`` with the same
allowed-signers file (``keykit.verify_commit``): the controller publishes exactly
what git verifies, and refuses exactly what it does not.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import keykit
import pygit2
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ed25519
from hubkit import CONFIG_FILE, NOW, OPEN_CONFIG, example_files, git, new_fleet, trailer

from gitops_ocm.cli.main import main
from gitops_ocm.gitstore import remote, writer
from gitops_ocm.hub import controller, sourcecheck
from gitops_ocm.trust import keyfile, sourcesig, sshsig

AUTHOR = writer.Author(name="test", email="test@example.com", when=1_700_000_000)
WHEN = 1_700_000_000  # 2023-11-14T22:13:20Z, the commits' time unless a test says otherwise
ALICE = keykit.signer(keykit.seed("alice"))
MALLORY = keykit.signer(keykit.seed("mallory"))
SANDBOX = "works/us-dev-1/sandbox.yaml"


def allowed_line(principal: str, signer: sshsig.Signer, options: str = 'namespaces="git"') -> str:
    """One line of an allowed-signers file people write."""
    return f"{principal} {options} {signer.public_key.to_line()} {principal}'s laptop\n"


def signers_file(tmp_path: Path, text: str | None = None) -> Path:
    """An allowed-signers file (default: alice only)."""
    path = tmp_path / "allowed_signers"
    path.write_text(
        text if text is not None else "# who may change the fleet\n" + allowed_line("alice", ALICE)
    )
    return path


def fleet_files(mode: str) -> dict[str, bytes]:
    """The example fleet with the sandbox ConfigMap's mode set (each value a new hub tree)."""
    files = {CONFIG_FILE: OPEN_CONFIG, **example_files()}
    files[SANDBOX] = files[SANDBOX].replace(b"mode: experimental", f"mode: {mode}".encode())
    return files


def commit_main(
    repo_path: Path,
    mode: str,
    signer: sshsig.Signer | None,
    when: int = WHEN,
    parents: list[str] | None = None,
    ref: str | None = "refs/heads/main",
) -> str:
    """Commit the fleet with ``mode`` on main, signed by ``signer`` (None: unsigned).

    ``parents`` default to main's head; ``ref`` None leaves every branch where it is.
    """
    repo = pygit2.Repository(str(repo_path))
    index = pygit2.Index()
    for rel, data in fleet_files(mode).items():
        index.add(pygit2.IndexEntry(rel, repo.create_blob(data), pygit2.enums.FileMode.BLOB))
    tree = index.write_tree(repo)
    sig = pygit2.Signature("alice", "alice@example.com", when, 0)
    ids: list[str | pygit2.Oid] = [repo.head.target] if parents is None else list(parents)
    if signer is None:
        oid = repo.create_commit(None, sig, sig, f"mode {mode}", tree, ids)
    else:
        content = str(repo.create_commit_string(sig, sig, f"mode {mode}", tree, ids))
        armored = signer.sign(content.encode())
        oid = repo.create_commit_with_signature(content, armored.rstrip("\n"), "gpgsig")
    if ref is not None:
        repo.references.create(ref, oid, force=True)
    return str(oid)


def make(
    repo: Path, allowed: Path, mode: sourcecheck.Mode = "head", limit: int = 0
) -> controller.Controller:
    """A controller that verifies main against ``allowed``."""
    return controller.Controller(
        remote.open_store(str(repo)),
        clock=lambda: NOW,
        author=AUTHOR,
        source_check=sourcecheck.SourceCheck.open(allowed, mode, limit),
    )


def status(repo: Path) -> dict:
    """controller.yaml's status on ocm/status."""
    return yaml.safe_load(git(repo, "show", "ocm/status:controller.yaml"))["status"]


def hub_tip(repo: Path) -> str | None:
    """The ocm/hub tip (None: absent)."""
    ref = pygit2.Repository(str(repo)).references.get("refs/heads/ocm/hub")
    return None if ref is None else str(ref.target)


def git_verifies(repo: Path, commit: str, allowed: Path) -> bool:
    """Whether stock git verify-commit accepts ``commit`` with ``allowed``."""
    return keykit.verify_commit(repo, commit, allowed.read_text()).returncode == 0


def published(
    tmp_path: Path, allowed: Path, mode: sourcecheck.Mode = "head"
) -> tuple[Path, controller.Controller, str]:
    """A fleet whose main head is signed by alice and published; its controller and hub tip."""
    repo = new_fleet(tmp_path)
    commit_main(repo, "v1", ALICE)
    ctl = make(repo, allowed, mode)
    result = ctl.reconcile()
    assert result.valid and result.hub_commit is not None
    return repo, ctl, result.hub_commit


def assert_refused(
    repo: Path, ctl: controller.Controller, hub_before: str | None, head: str, code: str
) -> None:
    """The pass refuses ``head`` with ``code``: nothing published, the problem listed."""
    result = ctl.reconcile()
    assert not result.valid and result.source == head
    assert hub_tip(repo) == hub_before
    found = status(repo)
    condition = found["conditions"][0]
    assert (condition["status"], condition["reason"]) == ("False", "SignatureInvalid")
    assert found["sourceCommit"] == head
    assert [p["code"] for p in found["problems"]] == [code]
    assert found["problems"][0]["got"].startswith(f"commit {head}")
    assert found["problems"][0]["commit"] == head


def test_signed_head_is_published_and_git_agrees(tmp_path: Path) -> None:
    """A head signed by an allowed key is published; git verify-commit accepts it too."""
    allowed = signers_file(tmp_path)
    repo, _ctl, hub = published(tmp_path, allowed)
    head = git(repo, "rev-parse", "main").strip()
    assert trailer(repo, hub) == head
    assert status(repo)["conditions"][0]["status"] == "True"
    assert git_verifies(repo, head, allowed)


@pytest.mark.parametrize(
    ("signer", "code"),
    [(None, "T651"), (MALLORY, "T652")],
    ids=["unsigned", "another-key"],
)
def test_unverified_head_is_refused(
    tmp_path: Path, signer: sshsig.Signer | None, code: str
) -> None:
    """An unsigned head, or one signed by an unlisted key, publishes nothing; git refuses it."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed)
    head = commit_main(repo, "v2", signer)
    assert_refused(repo, ctl, hub, head, code)
    got = status(repo)["problems"][0]["got"]
    assert got.startswith(f"commit {head}")
    if signer is not None:
        assert signer.fingerprint in got
    assert not git_verifies(repo, head, allowed)


def test_tampered_commit_is_refused(tmp_path: Path) -> None:
    """A signed commit whose message was changed afterwards (T653) is refused, as by git."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed)
    signed = commit_main(repo, "v2", ALICE)
    raw = pygit2.Repository(str(repo)).odb.read(signed)[1]
    forged = raw.replace(b"mode v2", b"mode v3")
    git_repo = pygit2.Repository(str(repo))
    oid = git_repo.odb.write(pygit2.enums.ObjectType.COMMIT, forged)
    git_repo.references.create("refs/heads/main", oid, force=True)
    assert_refused(repo, ctl, hub, str(oid), "T653")
    assert not git_verifies(repo, str(oid), allowed)


@pytest.mark.parametrize(
    ("options", "when"),
    [
        ('namespaces="git",valid-before="20231101"', WHEN),
        ('namespaces="git",valid-after="20231201"', WHEN),
        ('valid-after="20230101",valid-before="20231114"', WHEN),
    ],
    ids=["expired", "not-yet-valid", "expired-the-day-before"],
)
def test_key_outside_its_window_is_refused(tmp_path: Path, options: str, when: int) -> None:
    """A key used outside its valid-after/valid-before window is not allowed (T652), as for git."""
    allowed = signers_file(tmp_path, allowed_line("alice", ALICE, options))
    repo = new_fleet(tmp_path)
    head = commit_main(repo, "v1", ALICE, when)
    ctl = make(repo, allowed)
    assert_refused(repo, ctl, None, head, "T652")
    assert "valid-" in status(repo)["problems"][0]["message"]
    assert not git_verifies(repo, head, allowed)


def test_key_inside_its_window_is_published(tmp_path: Path) -> None:
    """The same key inside its window verifies, for the controller and for git."""
    allowed = signers_file(
        tmp_path, allowed_line("alice", ALICE, 'valid-after="20231101",valid-before="20231201"')
    )
    repo = new_fleet(tmp_path)
    head = commit_main(repo, "v1", ALICE)
    assert make(repo, allowed).reconcile().valid
    assert trailer(repo, "ocm/hub") == head
    assert git_verifies(repo, head, allowed)


def test_other_namespace_grants_nothing(tmp_path: Path) -> None:
    """A key listed only for another namespace than git does not verify main (T652)."""
    allowed = signers_file(tmp_path, allowed_line("alice", ALICE, 'namespaces="file"'))
    repo = new_fleet(tmp_path)
    head = commit_main(repo, "v1", ALICE)
    assert_refused(repo, make(repo, allowed), None, head, "T652")
    assert not git_verifies(repo, head, allowed)


def test_gpg_signed_commit_is_refused_saying_so(tmp_path: Path) -> None:
    """A GPG-signed commit cannot verify against SSH keys: T655 says it is GPG."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed)
    git_repo = pygit2.Repository(str(repo))
    sig = pygit2.Signature("alice", "alice@example.com", WHEN, 0)
    tree = git_repo[git_repo.head.target].tree_id
    content = str(git_repo.create_commit_string(sig, sig, "gpg", tree, [git_repo.head.target]))
    pgp = "-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----"
    oid = git_repo.create_commit_with_signature(content, pgp, "gpgsig")
    git_repo.references.create("refs/heads/main", oid, force=True)
    assert_refused(repo, ctl, hub, str(oid), "T655")
    assert "GPG" in status(repo)["problems"][0]["message"]
    assert not git_verifies(repo, str(oid), allowed)


def test_next_verifying_commit_clears_the_refusal(tmp_path: Path) -> None:
    """After a refused head, the next signed head is published and SourceValid is True again."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed)
    commit_main(repo, "v2", None)
    assert not ctl.reconcile().valid
    head = commit_main(repo, "v3", ALICE)
    result = ctl.reconcile()
    assert result.valid and result.hub_commit != hub
    assert trailer(repo, "ocm/hub") == head
    found = status(repo)
    assert found["conditions"][0]["status"] == "True"
    assert not [p for p in found["problems"] if p["code"] in sourcesig.CODES]


def test_all_mode_refuses_an_unsigned_commit_in_the_middle(tmp_path: Path) -> None:
    """Mode all: a signed head over an unsigned commit since the last published one is refused."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed, "all")
    middle = commit_main(repo, "v2", None)
    head = commit_main(repo, "v3", ALICE)
    result = ctl.reconcile()
    assert not result.valid and hub_tip(repo) == hub
    found = status(repo)
    assert [(p["code"], p["got"]) for p in found["problems"]] == [("T651", f"commit {middle}")]
    assert found["conditions"][0]["reason"] == "SignatureInvalid"
    assert git_verifies(repo, head, allowed) and not git_verifies(repo, middle, allowed)


def test_all_mode_follows_merged_branches(tmp_path: Path) -> None:
    """Mode all: an unsigned commit brought in by a signed merge (second parent) is refused."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed, "all")
    base = git(repo, "rev-parse", "main").strip()
    side = commit_main(repo, "side", None, parents=[base], ref=None)
    merge = commit_main(repo, "merged", ALICE, parents=[base, side])
    assert not ctl.reconcile().valid and hub_tip(repo) == hub
    problems = status(repo)["problems"]
    assert [(p["code"], p["got"]) for p in problems] == [("T651", f"commit {side}")]
    assert git_verifies(repo, merge, allowed)


def test_all_mode_without_published_commit_checks_the_head_only(tmp_path: Path) -> None:
    """Mode all with no ocm/hub yet: the unsigned history below a signed head is not walked."""
    allowed = signers_file(tmp_path)
    repo = new_fleet(tmp_path)
    commit_main(repo, "v1", None)
    head = commit_main(repo, "v2", ALICE)
    assert make(repo, allowed, "all").reconcile().valid
    assert trailer(repo, "ocm/hub") == head


def test_head_mode_checks_only_the_head(tmp_path: Path) -> None:
    """Mode head: the same history publishes its signed head (the unsigned middle is not read)."""
    allowed = signers_file(tmp_path)
    repo, ctl, _hub = published(tmp_path, allowed, "head")
    commit_main(repo, "v2", None)
    head = commit_main(repo, "v3", ALICE)
    assert ctl.reconcile().valid
    assert trailer(repo, "ocm/hub") == head


def test_all_mode_publishes_a_fully_signed_range(tmp_path: Path) -> None:
    """Mode all: every commit since the last published one signed: the head is published."""
    allowed = signers_file(tmp_path)
    repo, ctl, _hub = published(tmp_path, allowed, "all")
    commit_main(repo, "v2", ALICE)
    head = commit_main(repo, "v3", ALICE)
    assert ctl.reconcile().valid
    assert trailer(repo, "ocm/hub") == head


def test_all_mode_refuses_too_many_commits(tmp_path: Path) -> None:
    """Mode all: more commits to verify than the bound is refused (T654), naming the bound."""
    allowed = signers_file(tmp_path)
    repo = new_fleet(tmp_path)
    commit_main(repo, "v1", ALICE)
    ctl = make(repo, allowed, "all", limit=3)
    hub = ctl.reconcile().hub_commit
    for n in range(2, 7):
        head = commit_main(repo, f"v{n}", ALICE)
    result = ctl.reconcile()
    assert not result.valid and hub_tip(repo) == hub
    found = status(repo)["problems"]
    assert [p["code"] for p in found] == ["T654"] and "more than 3 commits" in found[0]["message"]
    assert found[0]["got"] == f"commit {head}"


def test_commit_signed_by_git_itself_is_published(tmp_path: Path) -> None:
    """A commit made by `git commit -S` with gpg.format=ssh and alice's key file is published."""
    allowed = signers_file(tmp_path)
    repo, ctl, _hub = published(tmp_path, allowed)
    key = tmp_path / "alice.key"
    key.write_bytes(
        keyfile.encode(ed25519.Ed25519PrivateKey.from_private_bytes(keykit.seed("alice")))
    )
    key.chmod(0o600)
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(repo), str(work)], check=True)
    (work / SANDBOX).write_bytes(fleet_files("by-git")[SANDBOX])
    config = [
        "-c",
        "user.name=alice",
        "-c",
        "user.email=alice@example.com",
        "-c",
        "gpg.format=ssh",
        "-c",
        f"user.signingkey={key}",
    ]
    subprocess.run(
        ["git", "-C", str(work), *config, "commit", "-q", "-S", "-am", "by git"], check=True
    )
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True)
    head = git(repo, "rev-parse", "main").strip()
    assert git_verifies(repo, head, allowed)
    assert ctl.reconcile().valid
    assert trailer(repo, "ocm/hub") == head


def test_changed_file_is_read_again(tmp_path: Path) -> None:
    """Adding mallory's key to the file publishes her head on the next pass, main unmoved."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed)
    head = commit_main(repo, "v2", MALLORY)
    assert not ctl.reconcile().valid
    assert ctl.reconcile().skipped
    allowed.write_text(allowed.read_text() + allowed_line("mallory", MALLORY))
    result = ctl.reconcile()
    assert result.valid and result.hub_commit != hub
    assert trailer(repo, "ocm/hub") == head


def test_file_broken_after_start_refuses_everything(tmp_path: Path) -> None:
    """A file made malformed while running refuses even a signed head (T609 with file:line)."""
    allowed = signers_file(tmp_path)
    repo, ctl, hub = published(tmp_path, allowed)
    allowed.write_text(allowed.read_text() + "bob ssh-ed25519 not-base64!\n")
    commit_main(repo, "v2", ALICE)
    result = ctl.reconcile()
    assert not result.valid and hub_tip(repo) == hub
    problem = status(repo)["problems"][0]
    assert (problem["code"], problem["file"], problem["line"]) == ("T606", str(allowed), 3)
    allowed.unlink()
    assert not ctl.reconcile().valid
    assert status(repo)["problems"][0]["code"] == "T656"


def test_unmoved_head_is_not_verified_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One verification per new head: a pass with the same head verifies nothing."""
    allowed = signers_file(tmp_path)
    repo, ctl, _hub = published(tmp_path, allowed, "all")
    calls: list[str] = []
    judge = sourcesig.judge

    def counting(commit: str, *args: object) -> sourcesig.Verdict:
        calls.append(commit)
        return judge(commit, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(sourcesig, "judge", counting)
    ctl.forget_inputs()
    assert ctl.reconcile().valid and calls == []
    head = commit_main(repo, "v2", ALICE)
    assert ctl.reconcile().valid and calls == [head]
    ctl.forget_inputs()
    assert ctl.reconcile().valid and calls == [head]


def test_cli_once_refuses_and_publishes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """controller --once --verify-source exits 1 on an unsigned head and 0 on a signed one."""
    allowed = signers_file(tmp_path)
    repo = new_fleet(tmp_path)
    args = ["controller", "--repo", str(repo), "--once", "--verify-source", str(allowed)]
    assert main([*args, "--verify-mode", "all"]) == 1
    assert "verifying the signatures of main against" in capsys.readouterr().err
    assert status(repo)["problems"][0]["code"] == "T651"
    commit_main(repo, "v1", ALICE)
    assert main(args) == 0


def test_cli_malformed_file_fails_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed file is refused at start with file:line (exit 1); a missing one is exit 2."""
    repo = new_fleet(tmp_path)
    bad = signers_file(
        tmp_path, '# people\nalice valid-after="2023" ' + ALICE.public_key.to_line() + "\n"
    )
    args = ["controller", "--repo", str(repo), "--once", "--verify-source"]
    assert main([*args, str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: T609" in err and "Traceback" not in err
    assert main([*args, str(tmp_path / "absent")]) == 2
    assert "--verify-source" in capsys.readouterr().err
    assert hub_tip(repo) is None
