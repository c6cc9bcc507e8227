"""Coalescing: concurrent reads of one source share upstream calls once the source is busy.

While fewer than ``after`` reads of a source are in flight, a read goes out at once, as its
own call (an idle source adds no delay). Once ``after`` are in flight, the keys of further
reads wait in one pending batch, sent as one call when an in-flight call finishes, or beside
the calls in flight once it has waited ``max_wait_ms`` (so a stuck call holds nobody); a batch
holds at most ``max_keys`` distinct keys (a fuller batch starts the next one). Each key is
asked for once per call, and each waiting read gets the answers for its own keys only. A read
that would start a new batch while every bulkhead slot is taken and its queue (with the
batches already waiting) is full is refused with ``UPSTREAM_BUSY``, as the bulkhead would.

Ownership: each waiting read keeps its own deadline (when it passes, that read fails with
``UPSTREAM_TIMEOUT`` and the call carries on for the others), and its cancellation (a client
that went away) cancels only its wait; the call is cancelled only once every read it serves
was cancelled. A batch of one read is that read's own call (its request id, deadline and
trace); a batch of several is a call of its own, with a request id of its own, a deadline
that is the latest of its reads' and an outcome delivered to each read (an error as a copy
per read). How a call is made (breaker, bulkhead, retries, stale answers) is the source's.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govgraph.resilience.bulkhead import Bulkhead
from govgraph.resilience.scope import RequestScope
from legacy_connectors.errors import (
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

__all__ = ["Batch", "CoalesceSettings", "Coalescer", "Waiter"]


class CoalesceSettings(BaseModel):
    """Sharing one upstream call between concurrent reads of the source (``load_many``)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    enabled: bool = True
    """Whether concurrent reads share calls once ``after`` are in flight (off: every read is a
    call of its own, queued in the bulkhead when it is full)."""
    after: int = Field(default=1, ge=1)
    """Reads in flight before further reads wait to share the next call; below this a read
    goes out at once."""
    max_keys: int = Field(default=256, ge=1)
    """Most distinct keys in one shared call (a read with more keys than this goes alone)."""
    max_wait_ms: float | None = Field(default=None, gt=0)
    """Longest a batch waits for an in-flight call to finish; then it is sent beside the calls
    in flight (still within ``max_concurrency``), so one stuck call never holds the others
    back. Unset: twice the source's median call latency over its last 64 calls, at least 1 ms
    and at most a quarter of ``timeout_s``."""


@dataclass(eq=False, slots=True)
class Waiter:
    """One read waiting for a shared call: its keys, request and deadline."""

    keys: Sequence[str]
    scope: RequestScope | None
    deadline: float
    """Monotonic time by which this read gives up."""
    future: asyncio.Future[dict[str, Any]]
    context: contextvars.Context
    """The read's context when it began waiting (its trace, for a batch of one)."""


@dataclass(eq=False, slots=True)
class Batch:
    """Reads that will share, or are sharing, one call."""

    waiters: list[Waiter] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    timer: asyncio.TimerHandle | None = None
    """Sends the batch anyway once it has waited its longest (see ``Coalescer.max_wait_s``)."""

    def wanted(self) -> list[str]:
        """The distinct keys the reads still waiting ask for, in the order first asked."""
        return list(dict.fromkeys(key for waiter in self.waiters for key in waiter.keys))


Solo = Callable[[Sequence[str], RequestScope | None], Awaitable[list[Any]]]
"""One read as a call of its own."""

Shared = Callable[[list[str], list[Waiter]], Awaitable[list[Any]]]
"""One call for the distinct keys of a batch's reads."""


class Coalescer:
    """Decides, per read of one source, whether it goes out at once or shares a later call."""

    def __init__(
        self,
        name: str,
        settings: CoalesceSettings,
        *,
        deadline: Callable[[RequestScope | None], float],
        bulkhead: Bulkhead,
        max_wait_s: Callable[[], float],
        solo: Solo,
        shared: Shared,
        on_timeout: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.after = settings.after
        self.max_keys = settings.max_keys
        self._deadline = deadline
        """The monotonic time by which a read for a request gives up (the source's rule)."""
        self._bulkhead = bulkhead
        self.max_wait_s = max_wait_s
        """How long a new batch may wait for an in-flight call before it is sent anyway."""
        self._solo = solo
        self._shared = shared
        self._on_timeout = on_timeout
        self.in_flight = 0
        """Reads' calls in flight now (solo and shared)."""
        self._pending: deque[Batch] = deque()

    @property
    def waiting(self) -> int:
        """Reads waiting to share a call."""
        return sum(len(batch.waiters) for batch in self._pending)

    async def load(self, keys: Sequence[str], scope: RequestScope | None) -> list[Any]:
        """One result per key of ``keys``, from a call of its own or a shared one."""
        if self.in_flight < self.after and not self._pending:
            self.in_flight += 1
            try:
                return await self._solo(keys, scope)
            finally:
                self.in_flight -= 1
                self._dispatch()
        return await self._wait(keys, scope)

    async def _wait(self, keys: Sequence[str], scope: RequestScope | None) -> list[Any]:
        deadline = self._deadline(scope)
        waiter = Waiter(
            keys,
            scope,
            deadline,
            asyncio.get_running_loop().create_future(),
            contextvars.copy_context(),
        )
        batch = self._join(waiter)
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                answers = await waiter.future
        except TimeoutError as exc:
            self._leave(batch, waiter, cancelled=False)
            if self._on_timeout is not None:
                self._on_timeout()
            raise UpstreamTimeoutError(
                "the service did not answer in time",
                service=self.name,
                detail="waited for a shared call until the deadline",
            ) from exc
        except asyncio.CancelledError:
            self._leave(batch, waiter, cancelled=True)
            raise
        return [answers[key] for key in keys]

    def _join(self, waiter: Waiter) -> Batch:
        batch = self._pending[-1] if self._pending else None
        if batch is None or len(batch.keys | set(waiter.keys)) > self.max_keys:
            # A new batch is one more call waiting: refused where the bulkhead would refuse it.
            self._bulkhead.check_room(len(self._pending))
            batch = Batch()
            batch.timer = asyncio.get_running_loop().call_later(
                self.max_wait_s(), self._overdue, batch
            )
            self._pending.append(batch)
        batch.waiters.append(waiter)
        batch.keys.update(waiter.keys)
        return batch

    def _leave(self, batch: Batch, waiter: Waiter, *, cancelled: bool) -> None:
        """``waiter`` gives up: it leaves its batch; a call none is left waiting for is dropped
        (not sent yet) or, when the last one left by cancellation, cancelled."""
        waiter.future.cancel()
        if waiter in batch.waiters:
            batch.waiters.remove(waiter)
        if batch.waiters:
            return
        if batch.task is None:
            if batch in self._pending:
                self._pending.remove(batch)
            if batch.timer is not None:
                batch.timer.cancel()
        elif cancelled:
            batch.task.cancel()

    def _dispatch(self) -> None:
        """Send waiting batches while fewer than ``after`` calls are in flight."""
        while self._pending and self.in_flight < self.after:
            self._start(self._pending.popleft())

    def _overdue(self, batch: Batch) -> None:
        """``batch`` has waited its longest for a call to finish: send it now."""
        if batch.task is None and batch in self._pending:
            self._pending.remove(batch)
            self._start(batch)

    def _start(self, batch: Batch) -> None:
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        if not batch.waiters:
            return
        self.in_flight += 1
        # A batch of one is that read's call, in its context (its trace); a shared call
        # belongs to no single request, so it starts from an empty one.
        context = batch.waiters[0].context if len(batch.waiters) == 1 else contextvars.Context()
        batch.task = asyncio.get_running_loop().create_task(self._run(batch), context=context)

    async def _run(self, batch: Batch) -> None:
        try:
            keys = batch.wanted()
            try:
                results = await self._shared(keys, list(batch.waiters))
            except asyncio.CancelledError:
                for waiter in batch.waiters:
                    if not waiter.future.done():
                        waiter.future.set_exception(
                            UpstreamUnavailableError(
                                "the service is unavailable",
                                service=self.name,
                                detail="shared call cancelled",
                            )
                        )
                raise
            except Exception as exc:
                for waiter in batch.waiters:
                    if not waiter.future.done():
                        waiter.future.set_exception(_copy(exc))
                return
            answers = dict(zip(keys, results, strict=True))
            for waiter in batch.waiters:
                if not waiter.future.done():
                    waiter.future.set_result(answers)
        finally:
            self.in_flight -= 1
            self._dispatch()


def _copy(exc: Exception) -> Exception:
    """A copy of ``exc`` for one waiter, so that raising it in several requests does not
    chain their tracebacks into one object."""
    try:
        twin = copy.copy(exc)
    except Exception:
        return exc
    twin.__traceback__ = None
    return twin
