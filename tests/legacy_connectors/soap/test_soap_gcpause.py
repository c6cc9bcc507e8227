"""The collector pause used while large replies are decoded on worker threads."""

from __future__ import annotations

import gc
import threading

from legacy_connectors.soap.gcpause import gc_paused


def test_pause_restores_the_collector() -> None:
    """The collector is off inside the block and on again after it."""
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_pauses_reenable_once_the_last_ends() -> None:
    """Two overlapping pauses on different threads re-enable only when both have ended."""
    inside = threading.Event()
    release = threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_pause_leaves_a_disabled_collector_disabled() -> None:
    """If the collector was already off, the pause does not switch it on."""
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
