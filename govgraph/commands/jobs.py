"""Long commands under Ctrl+C and SIGTERM: the job's task is cancelled, never killed mid-write.

:func:`run_job` runs a coroutine as the command's one task. SIGINT or SIGTERM cancels it, so
its ``finally`` blocks run (transactions roll back, sources and simulated services close); the
command then says in one line what was kept and exits ``128 + signal`` (130, 143).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Interrupted", "exit_code", "run_job"]

T = TypeVar("T")


class Interrupted(Exception):
    """The job was stopped by a signal before it finished."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        """The signal's name, e.g. ``SIGINT``."""
        return signal.Signals(self.signum).name


def exit_code(signum: int) -> int:
    """The shell's exit status for a job stopped by ``signum`` (130 for SIGINT, 143 for SIGTERM)."""
    return 128 + signum


async def _guarded(job: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(job)
    caught: list[int] = []

    def stop(signum: int) -> None:
        if not caught:
            caught.append(signum)
            task.cancel()

    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop, signum)
    try:
        return await task
    except asyncio.CancelledError:
        if caught:
            raise Interrupted(caught[0]) from None
        raise
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


def run_job(job: Coroutine[Any, Any, T]) -> T:
    """Run ``job`` to its end; raise :class:`Interrupted` if a signal stopped it first."""
    return asyncio.run(_guarded(job))
