"""collector.paused: the shell's pause of the cyclic garbage collector leaves it as it found it."""

from __future__ import annotations

import gc

import pytest

from gitops_ocm import collector


@pytest.mark.parametrize("enabled", [True, False], ids=["enabled", "disabled"])
def test_paused_disables_then_restores(enabled: bool) -> None:
    """Inside, the collector is off; after, it is on again only if it was on before."""
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with collector.paused():
            assert not gc.isenabled()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_paused_restores_after_an_exception() -> None:
    """An exception inside the block still turns the collector back on."""
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
