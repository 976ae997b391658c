"""The incremental engine: every render equals a from-scratch assembly of its schedule.

A small synthetic fleet goes through a sequence of random edits (templates,
labels, taints, placements, policies, bindings, availability); after each, the
engine's tree must equal :func:`hub.assemble` of the same snapshot, inventory
and scheduling results, its ``dirty`` and ``top_changes`` must cover every
difference from the previous tree, and placements that select every feasible
cluster must have the decisions a full schedule gives.
"""

from __future__ import annotations

import datetime
import random
import re
from pathlib import Path

import pytest
import repokit
import yaml

from gitops_ocm import source
from gitops_ocm.model import rendercache
from gitops_ocm.placement import inventory, publication, settle
from gitops_ocm.render import engine, hub

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)


def _status(snap: object, down: set[str]) -> dict[str, bytes]:
    """A status tree where every accepted cluster is Available except ``down`` (Unknown)."""
    tree = hub.assume_available(snap, NOW)  # type: ignore[arg-type]
    for name in down:
        path = f"clusters/{name}/cluster.yaml"
        if path in tree:
            tree[path] = tree[path].replace(b'status: "True"', b"status: Unknown")
    return tree


def _files(root: Path, folder: str) -> list[Path]:
    return sorted((root / folder).rglob("*.yaml"))


def _edit(rng: random.Random, root: Path) -> str:
    """Make one random edit to the fleet on disk; return what it was."""
    choice = rng.choice(
        ["template", "label", "label", "taint", "placement", "policy", "binding", "down", "none"]
    )
    if choice == "template":
        path = rng.choice(_files(root, "apps"))
        data = path.read_bytes()
        path.write_bytes(re.sub(rb"(image: \S+:\d+\.\d+\.)(\d+)", rb"\g<1>99", data, count=1))
    elif choice in ("label", "taint"):
        path = rng.choice(_files(root, "clusters"))
        body = yaml.safe_load(path.read_bytes())
        labels = body["metadata"]["labels"]
        if choice == "label":
            key = rng.choice(["tier", "environment", "region", "zone"])
            labels[key] = rng.choice(["gold", "silver", "bronze", "prod", "dev", "staging"])
        else:
            taints = body["spec"].setdefault("taints", [])
            if taints:
                taints.pop()
            else:
                taints.append({"key": "maintenance", "value": "true", "effect": "NoSelect"})
        path.write_bytes(yaml.safe_dump(body, sort_keys=False).encode())
    elif choice == "placement":
        path = rng.choice(_files(root, "apps"))
        docs = list(yaml.safe_load_all(path.read_bytes()))
        for doc in docs:
            if doc.get("kind") == "Placement":
                spec = doc["spec"]
                if "numberOfClusters" in spec:
                    spec["numberOfClusters"] = max(1, int(spec["numberOfClusters"]) - 1)
                else:
                    spec["numberOfClusters"] = rng.randint(1, 5)
        path.write_bytes(yaml.safe_dump_all(docs, sort_keys=False).encode())
    elif choice in ("policy", "binding"):
        path = rng.choice([p for p in _files(root, "policies") if p.parent.name == "policies"])
        docs = list(yaml.safe_load_all(path.read_bytes()))
        for doc in docs:
            if choice == "policy" and doc.get("kind") == "Policy":
                doc["spec"]["disabled"] = not doc["spec"].get("disabled", False)
            if choice == "binding" and doc.get("kind") == "PlacementBinding":
                doc["bindingOverrides"] = {"remediationAction": "enforce"}
        path.write_bytes(yaml.safe_dump_all(docs, sort_keys=False).encode())
    return choice


def _check(previous: hub.HubTree | None, got: engine.Rendered, expected: hub.HubTree) -> None:
    tree = got.tree
    assert tree.files == expected.files
    assert tree.problems == expected.problems
    if previous is None or got.dirty is None:
        return
    assert got.top_changes is not None
    before = previous.folders()
    after = tree.folders()
    for folder in set(before) | set(after):
        if _flat(before.get(folder)) != _flat(after.get(folder)):
            assert folder.split("/", 1)[1] in got.dirty, folder
    top = dict(previous.top)
    for path, data in got.top_changes.items():
        if data is None:
            del top[path]
        else:
            top[path] = data
    assert top == tree.top


def _flat(folder: object) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if not isinstance(folder, dict):
        return out
    for rel, data in folder.items():
        if isinstance(data, bytes):
            out[rel] = data
        else:
            out.update((f"{rel}/{k}", v) for k, v in data.items())
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_equals_assembly_over_random_edits(tmp_path: Path, seed: int) -> None:
    fleetgen = repokit.fleetgen()
    root = tmp_path / "fleet"
    fleetgen.generate(root, clusters=200, placements=30, mwrs=30, policies=20, seed=seed)
    rng = random.Random(seed)
    parse = source.ParseCache()
    cache = rendercache.RenderCache()
    eng = engine.Engine(cache)
    tracked = inventory.Inventory()
    previous: hub.HubTree | None = None
    down: set[str] = set()
    fulls = 0
    for step in range(20):
        what = _edit(rng, root) if step else "start"
        snap = source.load_directory(root, parse)
        if what == "down":
            names = sorted(o.name for o in snap.of_kind("ManagedCluster"))
            down ^= {rng.choice(names)}
        now = NOW + datetime.timedelta(minutes=step)
        cache.next_pass()
        published = previous.files if previous is not None else {}
        infos = tracked.build(snap, _status(snap, down), now, published)
        assert infos == inventory.build(snap, _status(snap, down), now, published)
        got = eng.render(snap, infos, published, now)
        fulls += got.full
        expected = hub.assemble(snap, infos, got.tree.results)
        _check(previous, got, expected)
        # Placements that take every feasible cluster match a full schedule exactly.
        inputs = publication.prepare(snap, infos, published, now)
        for spec in settle.placements(snap):
            if spec.number_of_clusters is None and not spec.disabled:
                fresh = publication.result(spec, inputs)
                assert got.tree.results[spec.key].clusters == fresh.clusters, (what, spec.key)
        previous = got.tree
    assert fulls < 20  # most edits are rendered by parts


def test_template_edit_touches_only_its_clusters(tmp_path: Path) -> None:
    fleetgen = repokit.fleetgen()
    root = tmp_path / "fleet"
    fleetgen.generate(root, clusters=200, placements=30, mwrs=30, policies=20, seed=4)
    parse = source.ParseCache()
    eng = engine.Engine(rendercache.RenderCache())
    snap = source.load_directory(root, parse)
    infos = inventory.build(snap, _status(snap, set()), NOW, {})
    first = eng.render(snap, infos, {}, NOW)
    assert first.full
    fleetgen.touch_one(root)
    snap = source.load_directory(root, parse)
    infos = inventory.build(snap, _status(snap, set()), NOW, first.tree.files)
    second = eng.render(snap, infos, first.tree.files, NOW)
    assert not second.full
    assert second.rescheduled == ()
    assert second.top_changes == {}
    changed = {
        f.split("/")[1]
        for f in set(first.tree.files) | set(second.tree.files)
        if first.tree.files.get(f) != second.tree.files.get(f)
    }
    assert changed and second.dirty == changed


def test_conflicting_works_added_by_an_edit_are_found(tmp_path: Path) -> None:
    """A direct work that claims a replica's object: F401 as a full render finds it, then gone."""
    fleetgen = repokit.fleetgen()
    root = tmp_path / "fleet"
    fleetgen.generate(root, clusters=100, placements=20, mwrs=20, policies=5, seed=5)
    parse = source.ParseCache()
    eng = engine.Engine(rendercache.RenderCache())
    snap = source.load_directory(root, parse)
    status = _status(snap, set())
    first = eng.render(snap, inventory.build(snap, status, NOW, {}), {}, NOW)
    victim = first.tree.works[0]
    manifest = victim.body["spec"]["workload"]["manifests"][0]
    work = {
        "apiVersion": "work.open-cluster-management.io/v1",
        "kind": "ManifestWork",
        "metadata": {"name": "intruder", "namespace": victim.cluster},
        "spec": {"workload": {"manifests": [manifest]}},
    }
    (root / "works").mkdir()
    intruder = root / "works" / "intruder.yaml"
    intruder.write_text(yaml.safe_dump(work))
    published = first.tree.files
    results = []
    for _ in range(2):
        snap = source.load_directory(root, parse)
        infos = inventory.build(snap, status, NOW, published)
        got = eng.render(snap, infos, published, NOW)
        expected = hub.assemble(snap, infos, got.tree.results)
        assert got.tree.problems == expected.problems
        assert got.tree.files == expected.files
        results.append(got)
        intruder.unlink(missing_ok=True)
    codes = [p.code for p in results[0].tree.problems]
    assert "F401" in codes and not results[0].full
    assert "F401" not in [p.code for p in results[1].tree.problems] and results[1].full
