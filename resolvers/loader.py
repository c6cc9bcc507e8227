"""Per-request batch loaders: every key asked for in the same pass of the event loop is loaded
by one call of a batch function, and each key's answer is kept for the rest of the request.

:class:`BatchLoader` keeps the DataLoader contract (the batch function returns exactly one
result per key, in order; an exception value fails that key alone; a batch function that
raises fails every key of its batch, and those keys are not kept, so a later load tries
again) with one task per batch. :class:`DerivedLoader` answers each key from another loader's
answer for it (no batch function, no task of its own).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

__all__ = ["BatchLoader", "DerivedLoader"]

K = TypeVar("K")
V = TypeVar("V")
S = TypeVar("S")

BatchFunction = Callable[[list[K]], Awaitable[Sequence[V | BaseException]]]


class BatchLoader(Generic[K, V]):
    """Loads keys in batches through ``batch_load`` and keeps each key's answer.

    With ``batch`` off, every key is loaded by a call of its own (the same answers, one
    upstream call per key). A batch is dispatched two passes of the event loop after its first
    key is asked for, so that keys asked for by resolvers woken in the meantime join it.
    """

    __slots__ = ("_batch", "_batch_load", "_cache", "_queue", "_running")

    def __init__(self, batch_load: BatchFunction[K, V], *, batch: bool = True) -> None:
        self._batch_load = batch_load
        self._batch = batch
        self._cache: dict[K, asyncio.Future[V]] = {}
        self._queue: list[tuple[K, asyncio.Future[V]]] = []
        self._running: set[asyncio.Task[None]] = set()

    def load(self, key: K) -> asyncio.Future[V]:
        """The answer for ``key`` (the same future for every load of it in this request)."""
        if key is None:
            raise TypeError("a loader's load() needs a key, not None")
        future = self._cache.get(key)
        if future is not None:
            return future
        loop = asyncio.get_running_loop()
        future = self._cache[key] = loop.create_future()
        if not self._batch:
            self._start(loop, [(key, future)])
            return future
        self._queue.append((key, future))
        if len(self._queue) == 1:
            loop.call_soon(loop.call_soon, self._dispatch, loop)
        return future

    def load_many(self, keys: Iterable[K]) -> asyncio.Future[list[V]]:
        """The answers for ``keys``, in order."""
        return asyncio.gather(*[self.load(key) for key in keys])

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        queue, self._queue = self._queue, []
        self._start(loop, queue)

    def _start(
        self, loop: asyncio.AbstractEventLoop, queue: list[tuple[K, asyncio.Future[V]]]
    ) -> None:
        task = loop.create_task(self._run(queue))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, queue: list[tuple[K, asyncio.Future[V]]]) -> None:
        keys = [key for key, _ in queue]
        try:
            values = list(await self._batch_load(keys))
            if len(values) != len(keys):
                raise TypeError(
                    f"a batch function returned {len(values)} results for {len(keys)} keys"
                )
        except Exception as exc:
            for key, future in queue:
                self._cache.pop(key, None)
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), value in zip(queue, values, strict=True):
            if future.done():
                continue
            if isinstance(value, BaseException):
                future.set_exception(value)
            else:
                future.set_result(value)


class DerivedLoader(Generic[K, V, S]):
    """Answers each key with ``derive(key, answer)`` from ``source``'s answer for it, kept for
    the rest of the request (so ``derive`` runs once per key)."""

    __slots__ = ("_cache", "_derive", "_source")

    def __init__(self, source: BatchLoader[K, S], derive: Callable[[K, S], V]) -> None:
        self._source = source
        self._derive = derive
        self._cache: dict[K, asyncio.Future[V]] = {}

    def load(self, key: K) -> asyncio.Future[V]:
        """The answer for ``key`` (the same future for every load of it in this request)."""
        future = self._cache.get(key)
        if future is not None:
            return future
        upstream = self._source.load(key)
        future = self._cache[key] = upstream.get_loop().create_future()

        def settle(done: asyncio.Future[S]) -> None:
            if future.done():
                return
            if done.cancelled():
                future.cancel()
                return
            error = done.exception()
            if error is not None:
                self._cache.pop(key, None)
                future.set_exception(error)
                return
            try:
                future.set_result(self._derive(key, done.result()))
            except Exception as exc:
                future.set_exception(exc)

        upstream.add_done_callback(settle)
        return future

    def load_many(self, keys: Iterable[K]) -> asyncio.Future[list[V]]:
        """The answers for ``keys``, in order."""
        return asyncio.gather(*[self.load(key) for key in keys])
