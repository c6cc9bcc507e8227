"""A scan is a job, not a request: its pages get their own deadline and are retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from govgraph.settings import SourceSettings
from govgraph.sources import Source
from govgraph.telemetry import Metrics
from legacy_connectors.base import Record
from legacy_connectors.errors import UpstreamTimeoutError, UpstreamUnavailableError
from legacy_connectors.testing.memory import MemoryConnector, MemorySettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

RECORDS = {f"K{i:03d}": {"key": f"K{i:03d}", "balance": i} for i in range(7)}


class Flaky(MemoryConnector):
    """The in-memory kind whose scan fails at chosen page numbers (counted over every attempt)
    and whose pages take ``page_s`` each."""

    def __init__(self, fail_at: set[int], page_s: float = 0.0) -> None:
        super().__init__("memory", MemorySettings(records=RECORDS))
        self.fail_at = fail_at
        self.page_s = page_s
        self.pages = 0

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        async for page in super().scan(batch_size):
            self.pages += 1
            if self.page_s:
                await asyncio.sleep(self.page_s)
            if self.pages in self.fail_at:
                raise UpstreamUnavailableError("memory: the upstream dropped the connection")
            yield page


def _source(connector: MemoryConnector, **policy: Any) -> Source:
    settings = SourceSettings.model_validate({"kind": "memory", **policy})
    source = Source("memory", connector, settings, Metrics())
    source.opened = True
    return source


async def _keys(source: Source) -> list[str]:
    return [key async for page in source.scan(2) for key, _record in page]


async def test_a_failed_page_is_retried_and_every_record_comes_once() -> None:
    """A page that fails once is read again; the scan yields each record exactly once."""
    connector = Flaky(fail_at={3})
    assert await _keys(_source(connector)) == sorted(RECORDS)


async def test_a_page_failing_past_its_retries_fails_the_scan_naming_the_source() -> None:
    """With every retry failing too, the scan raises the typed error naming its source."""
    connector = Flaky(fail_at={2, 4, 6})
    with pytest.raises(UpstreamUnavailableError) as caught:
        await _keys(_source(connector, scan_page_retries=2, breaker={"failure_threshold": 10}))
    assert caught.value.service == "memory"


async def test_scan_pages_keep_to_the_scan_page_timeout_not_the_call_timeout() -> None:
    """A page slower than ``timeout_s`` but within ``scan_page_timeout_s`` is read; a page slower
    than ``scan_page_timeout_s`` times out."""
    slow = Flaky(fail_at=set(), page_s=0.15)
    source = _source(slow, timeout_s=0.05, scan_page_timeout_s=1.0)
    assert await _keys(source) == sorted(RECORDS)
    slower = Flaky(fail_at=set(), page_s=0.3)
    source = _source(slower, scan_page_timeout_s=0.1, scan_page_retries=0)
    with pytest.raises(UpstreamTimeoutError):
        await _keys(source)


class SlowOpening(MemoryConnector):
    """The in-memory kind taking ``open_s`` to open (as a large file is indexed on opening)."""

    def __init__(self, open_s: float) -> None:
        super().__init__("memory", MemorySettings(records=RECORDS))
        self.open_s = open_s
        self.opens = 0

    async def open(self) -> None:
        self.opens += 1
        await asyncio.sleep(self.open_s)
        await super().open()


async def test_a_scan_may_open_its_source_within_the_page_deadline() -> None:
    """A source slower to open than ``connect_timeout_s`` is opened by a scan, which waits up to
    its page deadline; a read by key still gives up after ``connect_timeout_s``."""
    policy = {"connect_timeout_s": 0.05, "timeout_s": 2.0, "scan_page_timeout_s": 2.0}
    settings = SourceSettings.model_validate({"kind": "memory", **policy})
    by_key = Source("memory", SlowOpening(open_s=0.3), settings, Metrics())
    with pytest.raises((UpstreamTimeoutError, UpstreamUnavailableError)):
        await by_key.load_many(["K001"])
    scanning = SlowOpening(open_s=0.3)
    source = Source("memory", scanning, settings, Metrics())
    assert await _keys(source) == sorted(RECORDS)
    assert scanning.opens == 1
