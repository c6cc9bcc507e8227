"""Pause the cyclic garbage collector while a large reply is decoded on a worker thread.

Decoding a reply of thousands of records creates hundreds of thousands of containers; the
collector would run full collections in the middle of it, each holding the GIL (and so the
event loop) for tens to hundreds of milliseconds. Records hold no reference cycles, so nothing
is lost by collecting after the decode instead. Pauses nest across threads: the collector is
re-enabled when the last decode ends, and only if it was enabled when the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["gc_paused"]

_lock = threading.Lock()
_state = {"depth": 0, "was_enabled": False}


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the collector for the duration of the block (re-entrant across threads)."""
    with _lock:
        if _state["depth"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["was_enabled"]:
                gc.enable()
