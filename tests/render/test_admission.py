"""Admission: allowed_signers, clusters awaiting their agent, and the registration modes."""

from __future__ import annotations

import datetime
from pathlib import Path

import keykit
import pytest

from gitops_ocm import source
from gitops_ocm.model import repoconfig, snapshot, yamlout
from gitops_ocm.placement import inventory
from gitops_ocm.render import admissions, engine, hub
from gitops_ocm.trust import keys, seal, signers

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
HUB_KEY = keykit.public()
KEY_A = keykit.public(keykit.seed("a"))
KEY_B = keykit.public(keykit.seed("b"))
NEW_A = keykit.public(keykit.seed("a2"))
WORKS = """\
apiVersion: work.open-cluster-management.io/v1
kind: ManifestWork
metadata: {{name: hello, namespace: {cluster}}}
spec:
  workload:
    manifests:
    - apiVersion: v1
      kind: ConfigMap
      metadata: {{name: hello, namespace: default}}
"""


def cluster(name: str, key: keys.PublicKey | None = None, accepted: bool = True) -> str:
    """A ManagedCluster, with the agent-key annotation when ``key`` is given."""
    annotations = f"  annotations: {{{admissions.AGENT_KEY}: '{key.fingerprint}'}}\n" if key else ""
    accepts = "true" if accepted else "false"
    return (
        "apiVersion: cluster.open-cluster-management.io/v1\nkind: ManagedCluster\n"
        f"metadata:\n  name: {name}\n{annotations}spec: {{hubAcceptsClient: {accepts}}}\n"
    )


def request(name: str, key: keys.PublicKey) -> bytes:
    """A ``registrations/<c>.yaml`` as the status fold records a request."""
    body = {"cluster": name, "fingerprint": key.fingerprint, "publicKey": key.to_line()}
    return yamlout.dump(body)


def load(tmp_path: Path, files: dict[str, str]) -> snapshot.Snapshot:
    """The snapshot of a fleet folder holding ``files`` and a ManifestWork per cluster."""
    root = tmp_path / "fleet"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return source.load_directory(root)


def render(
    snap: snapshot.Snapshot,
    previous: dict[str, bytes],
    status: dict[str, bytes],
) -> tuple[admissions.Admission, hub.HubTree]:
    """One controller render: admission, inventory, tree."""
    admission = admissions.admit(snap, previous, status, HUB_KEY)
    infos = inventory.build(snap, status, NOW, previous, admission.awaiting)
    return admission, hub.render(snap, infos, previous, NOW, admission=admission)


def listed(tree: hub.HubTree) -> dict[str, str]:
    """The allowed_signers of a tree as {principal: fingerprint}."""
    entries = signers.parse(tree.files[admissions.PATH].decode())
    return {e.principals[0]: e.key.fingerprint for e in entries}


FLEET = {
    "clusters/a.yaml": cluster("a", KEY_A),
    "clusters/b.yaml": cluster("b", KEY_B),
    "works/a.yaml": WORKS.format(cluster="a"),
    "works/b.yaml": WORKS.format(cluster="b"),
}
REQUESTS = {
    "registrations/a.yaml": request("a", KEY_A),
    "registrations/b.yaml": request("b", KEY_B),
}


def test_allowed_signers_lists_hub_and_accepted_keys_sorted(tmp_path: Path) -> None:
    """The file lists hub and each accepted cluster's requested key, sorted, byte-stable."""
    _, tree = render(load(tmp_path, FLEET), {}, REQUESTS)
    data = tree.files[admissions.PATH]
    expected = "".join(
        f'{name} namespaces="git" {key.to_line()}\n'
        for name, key in (("a", KEY_A), ("b", KEY_B), ("hub", HUB_KEY))
    )
    assert data.decode() == expected
    assert (
        render(load(tmp_path / "again", FLEET), {}, dict(reversed(REQUESTS.items())))[1].files[
            admissions.PATH
        ]
        == data
    )


def test_keys_are_kept_from_the_previous_tree(tmp_path: Path) -> None:
    """Once listed, a key stays without its request (the status tree may drop it)."""
    snap = load(tmp_path, FLEET)
    _, first = render(snap, {}, REQUESTS)
    admission, second = render(snap, dict(first.files), {})
    assert listed(second) == {
        "a": KEY_A.fingerprint,
        "b": KEY_B.fingerprint,
        "hub": HUB_KEY.fingerprint,
    }
    assert not admission.awaiting
    assert "clusters/a/manifestworks/hello.yaml" in second.files


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(cluster("a", KEY_A, accepted=False), id="hubAcceptsClient-false"),
        pytest.param(cluster("a"), id="annotation-removed"),
        pytest.param(cluster("a", NEW_A), id="annotation-changed"),
    ],
)
def test_revocation_drops_the_key_at_once(tmp_path: Path, edit: str) -> None:
    """Unaccepting, removing or changing the annotation takes the key off and stops sending."""
    _, first = render(load(tmp_path, FLEET), {}, REQUESTS)
    snap = load(tmp_path / "next", {**FLEET, "clusters/a.yaml": edit})
    _, second = render(snap, dict(first.files), REQUESTS)
    assert "a" not in listed(second)
    assert listed(second)["b"] == KEY_B.fingerprint
    assert not any(path.startswith("clusters/a/") for path in second.files)


def test_rotation_is_admitted_when_the_new_key_is_accepted(tmp_path: Path) -> None:
    """A new request counts once main names its fingerprint; the old key is then dropped."""
    _, first = render(load(tmp_path, FLEET), {}, REQUESTS)
    rotated = {**REQUESTS, "registrations/a.yaml": request("a", NEW_A)}
    _, pending = render(load(tmp_path / "p", FLEET), dict(first.files), rotated)
    assert listed(pending)["a"] == KEY_A.fingerprint  # not accepted yet: the old key counts
    snap = load(tmp_path / "q", {**FLEET, "clusters/a.yaml": cluster("a", NEW_A)})
    _, accepted = render(snap, dict(pending.files), rotated)
    assert listed(accepted)["a"] == NEW_A.fingerprint


def test_awaiting_clusters_get_nothing_and_are_listed(tmp_path: Path) -> None:
    """Without a known key (no annotation in keys mode, or no matching request) nothing is sent."""
    files = {**FLEET, "clusters/c.yaml": cluster("c"), "works/c.yaml": WORKS.format(cluster="c")}
    mismatched = {**REQUESTS, "registrations/b.yaml": request("b", NEW_A)}
    admission, tree = render(load(tmp_path, files), {}, mismatched)
    assert admission.awaiting == {"b", "c"}
    assert {p.split("/")[1] for p in tree.files if p.startswith("clusters/")} == {"a"}
    assert set(listed(tree)) == {"a", "hub"}
    assert not [p for p in tree.problems if p.code == admissions.OPEN_MODE]


def test_awaiting_clusters_are_not_schedulable(tmp_path: Path) -> None:
    """An awaiting cluster's old report is ignored: the inventory sees it as unreported."""
    snap = load(tmp_path, {"clusters/c.yaml": cluster("c")})
    status = hub.assume_available(snap, NOW)
    admission = admissions.admit(snap, {}, status, HUB_KEY)
    (info,) = inventory.build(snap, status, NOW, {}, admission.awaiting)
    assert (info.reported, info.available) == (False, "")
    assert [t.key for t in info.taints] == [inventory.UNREACHABLE]
    kept = inventory.Inventory()
    assert kept.build(snap, status, NOW, {}, admission.awaiting) == (info,)
    assert kept.build(snap, status, NOW, {}, frozenset())[0].available == "True"


def test_open_mode_publishes_unannotated_clusters_and_warns(tmp_path: Path) -> None:
    """In open mode a cluster without annotation is published; annotated ones stay strict."""
    files = {
        ".gitops-ocm.yaml": "registration: open\n",
        "clusters/c.yaml": cluster("c"),
        "works/c.yaml": WORKS.format(cluster="c"),
        "clusters/d.yaml": cluster("d", KEY_B),
    }
    admission, tree = render(load(tmp_path, files), {}, {})
    assert admission.awaiting == {"d"}
    assert "clusters/c/manifestworks/hello.yaml" in tree.files
    assert not any(p.startswith("clusters/d/") for p in tree.files)
    (warning,) = [p for p in tree.problems if p.code == admissions.OPEN_MODE]
    assert (warning.file, warning.severity.value) == (".gitops-ocm.yaml", "warning")
    assert set(listed(tree)) == {"hub"}


def test_no_key_at_all_leaves_the_file_out(tmp_path: Path) -> None:
    """An unsigned controller in open mode with no keyed cluster renders as before."""
    snap = load(
        tmp_path, {".gitops-ocm.yaml": "registration: open\n", "clusters/c.yaml": cluster("c")}
    )
    admission = admissions.admit(snap, {}, {}, None)
    tree = hub.render(snap, inventory.build(snap, {}, NOW), {}, NOW, admission=admission)
    assert admissions.PATH not in tree.files
    assert "clusters/c/cluster.yaml" in tree.files


def test_damaged_inputs_admit_nothing(tmp_path: Path) -> None:
    """An unreadable previous file or request is no key (the cluster waits), never an error."""
    snap = load(tmp_path, FLEET)
    damaged = {admissions.PATH: b"a bogus line\n", "registrations/a.yaml": b"publicKey: [1"}
    admission = admissions.admit(snap, damaged, {"registrations/a.yaml": b"{publicKey: 3}"}, None)
    assert admission.awaiting == {"a", "b"}
    assert admissions.admit(snap, damaged, damaged, None).awaiting == {"a", "b"}


@pytest.mark.parametrize(
    ("text", "mode", "codes"),
    [
        pytest.param(None, repoconfig.KEYS, [], id="default-keys"),
        pytest.param(b"registration: open\n", repoconfig.OPEN, [], id="open"),
        pytest.param(b"registration: keys\n", repoconfig.KEYS, [], id="keys"),
        pytest.param(b"registration: yes\n", repoconfig.KEYS, ["S204"], id="bad-value"),
    ],
)
def test_registration_setting(text: bytes | None, mode: str, codes: list[str]) -> None:
    """``registration`` is keys by default, open on request, and S204 otherwise."""
    config, found = repoconfig.parse_config(text)
    assert config.registration == mode
    assert [p.code for p in found] == codes


def test_engine_follows_an_acceptance_incrementally(tmp_path: Path) -> None:
    """The engine's next render after a key arrives equals a fresh render of the same inputs."""
    snap = load(tmp_path, FLEET)
    kept = engine.Engine()
    early = {"registrations/a.yaml": REQUESTS["registrations/a.yaml"]}
    admission = admissions.admit(snap, {}, early, HUB_KEY)
    first = kept.render(
        snap, inventory.build(snap, early, NOW, {}, admission.awaiting), {}, NOW, admission
    )
    assert admission.awaiting == {"b"}
    admission = admissions.admit(snap, dict(first.tree.files), REQUESTS, HUB_KEY)
    infos = inventory.build(snap, REQUESTS, NOW, {}, admission.awaiting)
    second = kept.render(snap, infos, dict(first.tree.files), NOW, admission)
    _, fresh = render(snap, dict(first.tree.files), REQUESTS)
    assert second.tree.files == fresh.files
    assert "clusters/b/manifestworks/hello.yaml" in second.tree.files


def test_engine_replaces_allowed_signers_in_an_incremental_render(tmp_path: Path) -> None:
    """An accepted rotation renders by parts, with the new file among the top changes."""
    snap = load(tmp_path, FLEET)
    kept = engine.Engine()
    admission = admissions.admit(snap, {}, REQUESTS, HUB_KEY)
    first = kept.render(snap, inventory.build(snap, REQUESTS, NOW), {}, NOW, admission)
    rotated = {**REQUESTS, "registrations/a.yaml": request("a", NEW_A)}
    snap = load(tmp_path / "next", {**FLEET, "clusters/a.yaml": cluster("a", NEW_A)})
    admission = admissions.admit(snap, dict(first.tree.files), rotated, HUB_KEY)
    infos = inventory.build(snap, rotated, NOW, {}, admission.awaiting)
    second = kept.render(snap, infos, dict(first.tree.files), NOW, admission)
    assert not second.full
    assert second.top_changes is not None
    assert second.top_changes[admissions.PATH] == second.tree.files[admissions.PATH]
    assert listed(second.tree)["a"] == NEW_A.fingerprint
    _, fresh = render(snap, dict(first.tree.files), rotated)
    assert second.tree.files == fresh.files


def test_an_earlier_request_can_be_the_one_accepted(tmp_path: Path) -> None:
    """Main may name the key of an earlier request (accept --fingerprint): it is admitted."""
    record = yamlout.load_mapping(request("a", NEW_A))
    record["earlierRequests"] = [yamlout.load_mapping(request("a", KEY_A))]
    requests = {**REQUESTS, "registrations/a.yaml": yamlout.dump(record)}
    admission, tree = render(load(tmp_path, FLEET), {}, requests)
    assert "a" not in admission.awaiting
    assert listed(tree)["a"] == KEY_A.fingerprint


def test_sealing_key_of_the_admitted_request_is_exposed(tmp_path: Path) -> None:
    """The sealing key offered with the admitted key is the cluster's; another request's is not."""
    sealing_line = seal.public_of(bytes(range(32))).to_line()
    record = yamlout.load_mapping(request("a", NEW_A))
    record["sealingKey"] = "x25519 " + "B" * 43 + "="  # offered with a key main does not name
    earlier = yamlout.load_mapping(request("a", KEY_A))
    earlier["sealingKey"] = sealing_line
    record["earlierRequests"] = [earlier]
    requests = {**REQUESTS, "registrations/a.yaml": yamlout.dump(record)}
    admission, _ = render(load(tmp_path, FLEET), {}, requests)
    assert admission.sealing_keys == {"a": seal.parse_line(sealing_line)}
