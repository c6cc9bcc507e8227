"""The hold on full collections used while large replies are decoded on worker threads."""

from __future__ import annotations

import gc
import threading

from legacy_connectors.soap.gcpause import gc_paused


def test_pause_restores_the_thresholds() -> None:
    """Full collections are held off inside the block; the thresholds come back after it."""
    before = gc.get_threshold()
    with gc_paused():
        young, middle, old = gc.get_threshold()
        assert (young, middle) == before[:2] and old > 10**6
        assert gc.isenabled()
    assert gc.get_threshold() == before


def test_overlapping_pauses_restore_once_the_last_ends() -> None:
    """Two overlapping pauses on different threads restore the thresholds only after both."""
    before = gc.get_threshold()
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
    assert gc.get_threshold() != before
    release.set()
    thread.join(5)
    assert gc.get_threshold() == before
