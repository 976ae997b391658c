"""Refactorings change no output: rendered hub trees are compared with recorded digests.

The example fleet and a small synthetic fleet (``benchmarks/fleetgen.py``) are
rendered twice, as the controller would: first with no previous tree, then
with the first render as the previous tree (Steady and Balance read it). A
SHA-256 of every folder of both renders (``clusters/<c>``,
``placements/<ns>/<name>``, over its files' paths and bytes) is recorded under
``tests/golden/``; a change of any byte fails here, naming the folder. When an
output is meant to change, record it again with ``GITOPS_OCM_RECORD_GOLDEN=1
./dev test tests/test_golden.py`` and say why in the commit.

Both renders are the controller's: with the admission of
:mod:`gitops_ocm.render.admissions` and a fixed controller key, so the
tree has ``allowed_signers``. Neither fleet names agent keys, so both are
rendered with ``registration: open`` (the synthetic one says so itself; the
example fleet, which ships in ``keys`` mode and would publish no cluster, is
copied with that setting), and every cluster folder is covered.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
from pathlib import Path

import keykit
import pytest
from repokit import fleetgen

from gitops_ocm import problems, source
from gitops_ocm.placement import inventory
from gitops_ocm.render import admissions, hub

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SYNTHETIC = {"clusters": 300, "placements": 40, "mwrs": 40, "policies": 10, "seed": 3}


def folder_digests(files: dict[str, bytes]) -> dict[str, str]:
    """A SHA-256 per folder (``clusters/<c>``, ``placements/<ns>/<name>``): paths and bytes."""
    hashes: dict[str, hashlib._Hash] = {}
    for path in sorted(files):
        parts = path.split("/")
        folder = "/".join(parts[:2] if parts[0] == "clusters" else parts[:3])
        digest = hashes.setdefault(folder, hashlib.sha256())
        digest.update(path.encode() + b"\0" + hashlib.sha256(files[path]).digest())
    return {folder: digest.hexdigest()[:24] for folder, digest in sorted(hashes.items())}


def digests(root: Path) -> dict[str, dict[str, str]]:
    """The folder digests of the first and the second render of the fleet at ``root``."""
    snapshot = source.load_directory(root)
    status = hub.assume_available(snapshot, NOW)
    out: dict[str, dict[str, str]] = {}
    previous: dict[str, bytes] = {}
    for name in ("first", "second"):
        admission = admissions.admit(snapshot, previous, status, keykit.public())
        infos = inventory.build(snapshot, status, NOW, previous, admission.awaiting)
        tree = hub.render(snapshot, infos, previous, NOW, admission=admission)
        assert not problems.has_errors(tree.problems)
        files = dict(tree.files)
        out[name] = folder_digests(files)
        previous = files
    return out


def fleet(name: str, tmp_path: Path) -> Path:
    """The folder of fleet ``name``."""
    if name == "example":
        copy = tmp_path / "example"
        shutil.copytree(ROOT / "examples" / "repo", copy)
        (copy / ".gitops-ocm.yaml").write_text("registration: open\n")
        return copy
    root = tmp_path / "synthetic"
    fleetgen().generate(root, **SYNTHETIC)
    return root


@pytest.mark.parametrize("name", ["example", "synthetic"])
def test_render_bytes_are_unchanged(name: str, tmp_path: Path) -> None:
    """Every rendered file is byte-identical to the recorded render."""
    found = digests(fleet(name, tmp_path))
    path = GOLDEN / f"render-{name}.json"
    if os.environ.get("GITOPS_OCM_RECORD_GOLDEN"):
        path.write_text(json.dumps(found, indent=0, sort_keys=True) + "\n")
    recorded = json.loads(path.read_text())
    for run in ("first", "second"):
        changed = sorted(
            p for p in found[run].keys() | recorded[run].keys()
            if found[run].get(p) != recorded[run].get(p)
        )  # fmt: skip
        assert not changed, f"{run} render differs in {len(changed)} folders: {changed[:10]}"
    assert len(found["first"]) >= 10  # clusters and placements, not an empty render
