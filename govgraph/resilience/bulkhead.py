"""A bulkhead: at most N calls in flight to one upstream, the rest queued with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from legacy_connectors.errors import UpstreamBusyError, UpstreamTimeoutError

__all__ = ["Bulkhead"]


class Bulkhead:
    """Limits concurrent calls; a call waits in a bounded queue for at most its deadline.

    A call that finds the queue full is refused at once with ``UpstreamBusyError``; one whose
    deadline passes while queued gets ``UpstreamTimeoutError``. Neither reaches the upstream.
    """

    def __init__(self, name: str, max_concurrent: int, max_queue: int) -> None:
        self.name = name
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self.in_flight = 0
        self.queued = 0
        self.rejected = 0
        self._sem = asyncio.Semaphore(max_concurrent)

    @contextlib.asynccontextmanager
    async def slot(self, deadline: float) -> AsyncIterator[None]:
        """Hold one of the slots for the body; wait for one until ``deadline`` (monotonic)."""
        if self._sem.locked():
            await self._wait(deadline)
        else:
            await self._sem.acquire()
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self._sem.release()

    def check_room(self, waiting: int) -> None:
        """Raise ``UpstreamBusyError`` as :meth:`slot` would for one more call now, counting
        ``waiting`` calls held elsewhere (batches waiting to share a call) as queued."""
        if self._sem.locked() and self.queued + waiting >= self.max_queue:
            self._refuse()

    def _refuse(self) -> None:
        self.rejected += 1
        raise UpstreamBusyError(
            "too many calls to the service are waiting",
            service=self.name,
            detail=f"bulkhead queue full ({self.max_queue})",
        )

    async def _wait(self, deadline: float) -> None:
        if self.queued >= self.max_queue:
            self._refuse()
        self.queued += 1
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                await self._sem.acquire()
        except TimeoutError as exc:
            self.rejected += 1
            raise UpstreamTimeoutError(
                "the service was too busy to take the call in time",
                service=self.name,
                detail=f"queued behind {self.max_concurrent} calls until the deadline",
            ) from exc
        finally:
            self.queued -= 1
