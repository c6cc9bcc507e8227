"""Hold off full garbage collections while a large reply is decoded on a worker thread.

Decoding a reply of thousands of records creates tens of thousands of containers that all
survive the decode, so the collector would run full collections in the middle of it, each
traversing every object in the process while holding the GIL (and so the event loop), for
tens to hundreds of milliseconds. Young collections still run (each is short). Pauses nest
across threads: the thresholds come back when the last decode ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["gc_paused"]

_lock = threading.Lock()
_state: dict[str, Any] = {"depth": 0, "thresholds": None}
_NO_FULL_COLLECTION = 1 << 30


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No full collections during the block (re-entrant across threads)."""
    with _lock:
        if _state["depth"] == 0:
            _state["thresholds"] = gc.get_threshold()
            young, middle, _old = _state["thresholds"]
            gc.set_threshold(young, middle, _NO_FULL_COLLECTION)
        _state["depth"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                gc.set_threshold(*_state["thresholds"])
