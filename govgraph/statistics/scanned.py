"""Sources aggregated by reading them through once: batch files and paged services.

A pass keeps what statistics need of each record (the department's readable statistics fields)
and is reused: a batch file's until the connector serves a new generation, a paged service's for
``tax_ttl_s``. Concurrent requests share one pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, TypeVar

__all__ = ["ScanCache"]

log = logging.getLogger("govgraph.statistics")

Row = TypeVar("Row")
Scan = Callable[[], AsyncIterator[list[tuple[str, dict[str, Any]]]]]


class ScanCache(Generic[Row]):
    """The rows of one full pass over a source, reused while its ``version`` is unchanged.

    With ``ttl_s`` the rows also expire. With ``refresh_ahead``, expired rows are still served
    while a new pass runs in the background, so no caller waits for it once a pass exists.
    """

    def __init__(
        self,
        to_row: Callable[[str, dict[str, Any]], Row],
        ttl_s: float | None,
        *,
        refresh_ahead: bool = False,
        on_page: Callable[[], None] | None = None,
        on_pass: Callable[[], None] | None = None,
    ) -> None:
        self._to_row = to_row
        self._on_pass = on_pass
        self._ttl_s = ttl_s
        self._refresh_ahead = refresh_ahead
        self._on_page = on_page
        self._rows: list[Row] | None = None
        self._version: object = None
        self._taken = 0.0
        self._taken_at = 0.0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.passes = 0
        """Full passes made so far."""
        self.pages = 0
        """Pages (upstream calls) read so far."""

    @property
    def held(self) -> tuple[object, float] | None:
        """What the kept rows came from: the ``version`` their pass was made for and when (wall
        clock) it was made; ``None`` before the first pass."""
        return None if self._rows is None else (self._version, self._taken_at)

    def expired(self) -> bool:
        """Whether the kept rows are older than ``ttl_s`` (or there are none)."""
        if self._rows is None:
            return True
        return self._ttl_s is not None and time.monotonic() - self._taken >= self._ttl_s

    def _fresh(self, version: object) -> bool:
        if self._rows is None or version != self._version:
            return False
        return self._ttl_s is None or time.monotonic() - self._taken < self._ttl_s

    async def rows(
        self,
        scan: Scan,
        version: object = None,
        on_records: Callable[[int], None] | None = None,
    ) -> list[Row]:
        """The cached rows, or a new pass over ``scan()`` when stale (``on_records`` is told
        how many records each page of a pass made here brought)."""
        if self._fresh(version) and self._rows is not None:
            return self._rows
        if self._refresh_ahead and self._rows is not None and version == self._version:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._refresh(scan, version))
            return self._rows
        async with self._lock:
            if self._fresh(version) and self._rows is not None:
                return self._rows
            return await self._pass(scan, version, on_records)

    async def _pass(
        self, scan: Scan, version: object, on_records: Callable[[int], None] | None = None
    ) -> list[Row]:
        rows: list[Row] = []
        async for page in scan():
            self.pages += 1
            if self._on_page is not None:
                self._on_page()
            rows.extend(self._to_row(key, record) for key, record in page)
            if on_records is not None:
                on_records(len(page))
        self._rows, self._version, self._taken = rows, version, time.monotonic()
        self._taken_at = time.time()
        self.passes += 1
        if self._on_pass is not None:
            self._on_pass()
        return rows

    async def _refresh(self, scan: Scan, version: object) -> None:
        async with self._lock:
            try:
                await self._pass(scan, version)
            except Exception as exc:
                log.warning("statistics: a background pass failed (%s)", type(exc).__name__)

    async def aclose(self) -> None:
        """Stop a background pass, if one is running."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
