"""The controller's garbage-collection management: paused during a pass, cycles still freed."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from hubkit import NOW, new_fleet

from gitops_ocm.gitstore import remote
from gitops_ocm.hub import controller
from gitops_ocm.hub.controller import Heap
from gitops_ocm.placement import inventory


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_pass_pauses_collection_then_frees_its_cycles_and_freezes_survivors() -> None:
    heap = Heap(True, full_every=2)
    try:
        with heap.pass_():
            assert not gc.isenabled()
            a, b = _Node(), _Node()
            a.other, b.other = b, a
            probe = weakref.ref(a)
            del a, b  # a cycle: only the cyclic collector can free it
            assert probe() is not None
        assert gc.isenabled()
        assert probe() is None
        assert gc.get_freeze_count() > 0
        with heap.pass_():  # every second pass unfreezes and collects everything
            pass
        assert heap.passes == 2 and gc.isenabled()
    finally:
        gc.unfreeze()


def test_unmanaged_heap_leaves_the_collector_alone() -> None:
    heap = Heap(False)
    with heap.pass_():
        assert gc.isenabled()
    assert heap.passes == 0


def test_pass_builds_the_inventory_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without heap management, the pass still pauses the collector while the inventory is built."""
    seen: list[bool] = []
    build = inventory.Inventory.build

    def recording(self: inventory.Inventory, *args: Any) -> Any:
        seen.append(gc.isenabled())
        return build(self, *args)

    monkeypatch.setattr(inventory.Inventory, "build", recording)
    ctl = controller.Controller(remote.open_store(str(new_fleet(tmp_path))), clock=lambda: NOW)
    assert gc.isenabled()
    assert ctl.reconcile().valid
    assert seen == [False] and gc.isenabled()
