"""Each capability of a ``Source`` (submit, accepts, forget, scan, aggregate) gets its policy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from govgraph.resilience import BreakerState
from govgraph.settings import SourceSettings
from govgraph.sources import RequestScope, Source
from govgraph.telemetry import Metrics
from legacy_connectors.base import Record, Result
from legacy_connectors.errors import (
    CircuitOpenError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from legacy_connectors.testing.memory import MemoryConnector, MemorySettings

pytestmark = pytest.mark.asyncio(loop_scope="session")

RECORDS = {f"K{i:03d}": {"key": f"K{i:03d}", "balance": i} for i in range(5)}


class GatedMemory(MemoryConnector):
    """The in-memory kind, with a switch making its upstream fail and a gate that holds calls."""

    def __init__(self, commands: Sequence[str] = ("change_address",)) -> None:
        settings = MemorySettings(records=RECORDS, commands=list(commands))
        super().__init__("memory", settings)
        self.down = False
        self.gate: asyncio.Event | None = None
        self.reached: dict[str, int] = {}

    async def _enter(self, operation: str) -> None:
        self.reached[operation] = self.reached.get(operation, 0) + 1
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise UpstreamUnavailableError("memory: the upstream is not available")

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        await self._enter("load_many")
        return await super().load_many(keys)

    async def submit(self, command: str, payload: Mapping[str, Any], *, delivery_id: str) -> Record:
        await self._enter("submit")
        return await super().submit(command, payload, delivery_id=delivery_id)

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        async for page in super().scan(batch_size):
            await self._enter("scan")
            yield page


def _source(connector: MemoryConnector, **policy: Any) -> Source:
    settings = SourceSettings.model_validate(
        {
            "kind": "memory",
            "retries": {"max_retries": 0},
            "breaker": {"failure_threshold": 2, "recovery_s": 30},
            **policy,
        }
    )
    source = Source("memory", connector, settings, Metrics())
    source.opened = True
    return source


async def test_submit_goes_through_the_breaker_and_is_attempted_once() -> None:
    """Failed writes count towards the breaker; once open, a write fails fast without being sent."""
    connector = GatedMemory()
    connector.down = True
    source = _source(connector)
    for n in range(2):
        with pytest.raises(UpstreamUnavailableError):
            await source.submit("change_address", {"nino": "QQ123456C"}, delivery_id=f"d{n}")
    assert connector.reached["submit"] == 2
    assert source.breaker.current() is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as caught:
        await source.submit("change_address", {"nino": "QQ123456C"}, delivery_id="d3")
    assert connector.reached["submit"] == 2
    assert caught.value.service == "memory"


async def test_submit_waits_in_the_bulkhead_and_is_refused_when_it_is_full() -> None:
    """A write competes with reads for the bulkhead: with the slot taken, it is refused at once."""
    connector = GatedMemory()
    connector.gate = asyncio.Event()
    source = _source(connector, max_concurrency=1, max_queue=0)
    read = asyncio.create_task(source.load_many(["K001"]))
    await asyncio.sleep(0.01)
    with pytest.raises(UpstreamBusyError):
        await source.submit("change_address", {"nino": "QQ123456C"}, delivery_id="d1")
    assert "submit" not in connector.reached
    connector.gate.set()
    assert await read == [RECORDS["K001"]]
    answer = await source.submit("change_address", {"nino": "QQ123456C"}, delivery_id="d1")
    assert answer["outcome"] == "ACCEPTED"


async def test_submit_keeps_to_the_request_deadline() -> None:
    """A write queued behind a stuck call gives up at the request's deadline, never sent."""
    connector = GatedMemory()
    connector.gate = asyncio.Event()
    source = _source(connector, max_concurrency=1)
    stuck = asyncio.create_task(source.load_many(["K001"]))
    await asyncio.sleep(0.01)
    scope = RequestScope(deadline=time.monotonic() + 0.05)
    with pytest.raises(UpstreamTimeoutError):
        await source.submit("change_address", {"nino": "QQ123456C"}, delivery_id="d1", scope=scope)
    assert "submit" not in connector.reached
    connector.gate.set()
    await stuck


async def test_accepts_names_only_the_configured_commands() -> None:
    """``accepts`` answers from the source's configured write commands."""
    source = _source(GatedMemory(commands=["change_address"]))
    assert source.accepts("change_address")
    assert not source.accepts("pay_penalty")
    assert not _source(GatedMemory(commands=[])).accepts("change_address")


async def test_forget_drops_last_known_answers_after_a_write() -> None:
    """After ``forget``, a failing source no longer answers those keys from its last-known data."""
    connector = GatedMemory()
    source = _source(connector, stale={"enabled": True})
    assert await source.load_many(["K001", "K002"]) == [RECORDS["K001"], RECORDS["K002"]]
    source.forget(["K001"])
    connector.down = True
    answers = await source.load_many(["K001", "K002"])
    assert isinstance(answers[0], UpstreamUnavailableError)
    assert answers[1] == RECORDS["K002"]


async def test_each_scan_page_is_a_call_under_the_breaker() -> None:
    """A scan reads page by page through the policy; with the breaker open it fails fast."""
    connector = GatedMemory()
    source = _source(connector, scan_page_retries=0)
    pages = [page async for page in source.scan(2)]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert connector.reached["scan"] == 3
    connector.down = True
    for _ in range(2):
        with pytest.raises(UpstreamUnavailableError):
            async for _page in source.scan(2):
                pass
    assert connector.reached["scan"] == 5
    with pytest.raises(CircuitOpenError):
        async for _page in source.scan(2):
            pass
    assert connector.reached["scan"] == 5


async def test_aggregate_of_a_kind_without_it_passes_through_and_is_no_failure() -> None:
    """A kind that cannot aggregate raises ``NotImplementedError``; the breaker ignores it."""
    source = _source(GatedMemory(), breaker={"failure_threshold": 1, "recovery_s": 30})
    with pytest.raises(NotImplementedError):
        await source.aggregate()
    with pytest.raises(NotImplementedError):
        await source.distinct_keys()
    assert source.breaker.current() is BreakerState.CLOSED
