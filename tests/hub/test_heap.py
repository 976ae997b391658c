"""The controller's garbage-collection management: paused during a pass, cycles still freed."""

from __future__ import annotations

import gc
import weakref

from gitops_ocm.hub.controller import Heap


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
