"""The policy around one source, called directly: retries of reads only, bulkhead, breaker."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from govgraph.resilience import READ_OPERATIONS, BreakerState
from govgraph.settings import SourceSettings
from govgraph.sources import RequestScope, Source
from govgraph.telemetry import Metrics
from legacy_connectors.base import Connector, Result
from legacy_connectors.errors import (
    CircuitOpenError,
    LegacyError,
    NotAuthorisedError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


class CountingConnector(Connector):
    """Fails its first ``fail_first`` calls of each operation with ``error``; counts every call."""

    kind: ClassVar[str] = "counting"

    def __init__(self, error: LegacyError | None = None, fail_first: int = 0) -> None:
        super().__init__("counting", Connector.Settings())
        self.error = error
        self.fail_first = fail_first
        self.calls: dict[str, int] = {}
        self.gate: asyncio.Event | None = None

    async def _count(self, operation: str) -> None:
        self.calls[operation] = self.calls.get(operation, 0) + 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None and self.calls[operation] <= self.fail_first:
            raise self.error

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        await self._count("load_many")
        return [{"key": k} for k in keys]

    async def submit(self, record: dict[str, Any]) -> str:
        """A write: must reach the upstream at most once per request."""
        await self._count("submit")
        return "accepted"


def _source(connector: Connector, **policy: Any) -> Source:
    settings = SourceSettings.model_validate(
        {
            "kind": "memory",
            "retries": {"max_retries": 2, "backoff_initial_s": 0.001, "backoff_max_s": 0.002},
            "breaker": {"failure_threshold": 3, "recovery_s": 0.05},
            **policy,
        }
    )
    source = Source("counting", connector, settings, Metrics())
    source.opened = True
    return source


async def test_reads_are_retried_until_they_succeed() -> None:
    """A read that fails twice with a retriable error is asked again and then answers."""
    connector = CountingConnector(UpstreamUnavailableError("down"), fail_first=2)
    source = _source(connector)
    assert await source.load_many(["a"]) == [{"key": "a"}]
    assert connector.calls["load_many"] == 3
    assert "load_many" in READ_OPERATIONS


async def test_a_write_is_never_repeated() -> None:
    """A write that fails with a retriable error reaches the upstream exactly once."""
    connector = CountingConnector(UpstreamUnavailableError("down"), fail_first=5)
    source = _source(connector)
    with pytest.raises(UpstreamUnavailableError) as caught:
        await source.call("submit", lambda: connector.submit({"amount": 1}))
    assert connector.calls["submit"] == 1
    assert caught.value.service == "counting"
    assert "submit" not in READ_OPERATIONS


async def test_fatal_errors_are_not_retried() -> None:
    """A fatal error (rejected credentials) is raised after one attempt."""
    connector = CountingConnector(NotAuthorisedError("rejected"), fail_first=5)
    with pytest.raises(NotAuthorisedError):
        await _source(connector).load_many(["a"])
    assert connector.calls["load_many"] == 1


async def test_busy_with_a_long_retry_after_is_not_retried() -> None:
    """A service that asks to be called back later than the policy allows is not retried."""
    busy = UpstreamBusyError("busy", retry_after_s=30)
    connector = CountingConnector(busy, fail_first=5)
    with pytest.raises(UpstreamBusyError):
        await _source(connector).load_many(["a"])
    assert connector.calls["load_many"] == 1


async def test_no_retry_starts_past_the_request_deadline() -> None:
    """When the request's deadline leaves no time for a retry's wait, the error is raised."""
    busy = UpstreamBusyError("busy", retry_after_s=0.5)
    connector = CountingConnector(busy, fail_first=5)
    source = _source(connector, retries={"max_retries": 3, "max_retry_after_s": 1})
    scope = RequestScope(deadline=time.monotonic() + 0.2)
    with pytest.raises(UpstreamBusyError):
        await source.load_many(["a"], scope=scope)
    assert connector.calls["load_many"] == 1


async def test_breaker_opens_fails_fast_and_closes_after_a_good_trial() -> None:
    """Three failed calls open the breaker; calls then fail fast; a good trial closes it."""
    connector = CountingConnector(UpstreamTimeoutError("slow"), fail_first=3)
    source = _source(connector, retries={"max_retries": 0})
    for _ in range(3):
        with pytest.raises(UpstreamTimeoutError):
            await source.load_many(["a"])
    assert source.breaker.current() is BreakerState.OPEN
    with pytest.raises(CircuitOpenError) as caught:
        await source.load_many(["a"])
    assert caught.value.code == "CIRCUIT_OPEN" and caught.value.service == "counting"
    assert connector.calls["load_many"] == 3
    await asyncio.sleep(0.06)
    assert source.breaker.current() is BreakerState.HALF_OPEN
    assert await source.load_many(["a"]) == [{"key": "a"}]
    assert source.breaker.current() is BreakerState.CLOSED


async def test_failed_trial_reopens_the_breaker() -> None:
    """A trial call that fails sends a half-open breaker back to open."""
    connector = CountingConnector(UpstreamTimeoutError("slow"), fail_first=4)
    source = _source(connector, retries={"max_retries": 0})
    for _ in range(3):
        with pytest.raises(UpstreamTimeoutError):
            await source.load_many(["a"])
    await asyncio.sleep(0.06)
    with pytest.raises(UpstreamTimeoutError):
        await source.load_many(["a"])
    assert source.breaker.current() is BreakerState.OPEN


async def test_bulkhead_refuses_when_its_queue_is_full() -> None:
    """With one slot busy and a queue of one, a third concurrent call is refused at once."""
    connector = CountingConnector()
    connector.gate = asyncio.Event()
    source = _source(connector, max_concurrency=1, max_queue=1, retries={"max_retries": 0})
    first = asyncio.create_task(source.load_many(["a"]))
    second = asyncio.create_task(source.load_many(["b"]))
    await asyncio.sleep(0.01)
    assert source.bulkhead.queued == 1
    with pytest.raises(UpstreamBusyError):
        await source.load_many(["c"])
    connector.gate.set()
    assert await first == [{"key": "a"}]
    assert await second == [{"key": "b"}]
    assert connector.calls["load_many"] == 2
    assert source.breaker.current() is BreakerState.CLOSED


async def test_queued_call_gives_up_at_its_deadline() -> None:
    """A call queued behind a stuck one times out at its deadline without reaching upstream."""
    connector = CountingConnector()
    connector.gate = asyncio.Event()
    source = _source(connector, max_concurrency=1, retries={"max_retries": 0})
    stuck = asyncio.create_task(source.load_many(["a"]))
    await asyncio.sleep(0.01)
    scope = RequestScope(deadline=time.monotonic() + 0.05)
    with pytest.raises(UpstreamTimeoutError):
        await source.load_many(["b"], scope=scope)
    assert connector.calls["load_many"] == 1
    connector.gate.set()
    assert await stuck == [{"key": "a"}]


async def test_missing_capability_passes_through_and_is_no_failure() -> None:
    """A connector lacking the capability raises NotImplementedError; the breaker ignores it."""

    class ReadOnly(CountingConnector):
        async def submit(self, record: dict[str, Any]) -> str:
            await self._count("submit")
            raise NotImplementedError("this source takes no writes")

    connector = ReadOnly()
    source = _source(connector, breaker={"failure_threshold": 1, "recovery_s": 5})
    with pytest.raises(NotImplementedError):
        await source.call("submit", lambda: connector.submit({"amount": 1}))
    assert connector.calls["submit"] == 1
    assert source.breaker.current() is BreakerState.CLOSED


async def test_half_open_lets_one_trial_through_at_a_time() -> None:
    """While a trial call is in flight, other calls to a half-open breaker fail fast."""
    connector = CountingConnector(UpstreamTimeoutError("slow"), fail_first=3)
    source = _source(connector, retries={"max_retries": 0})
    for _ in range(3):
        with pytest.raises(UpstreamTimeoutError):
            await source.load_many(["a"])
    await asyncio.sleep(0.06)
    connector.gate = asyncio.Event()
    trial = asyncio.create_task(source.load_many(["a"]))
    await asyncio.sleep(0.01)
    with pytest.raises(CircuitOpenError):
        await source.load_many(["b"])
    connector.gate.set()
    assert await trial == [{"key": "a"}]
    assert source.breaker.current() is BreakerState.CLOSED
    assert await source.load_many(["b"]) == [{"key": "b"}]


async def test_cancelled_calls_never_open_the_breaker() -> None:
    """Calls cancelled mid-flight (a client went away) say nothing about the upstream."""
    connector = CountingConnector()
    connector.gate = asyncio.Event()
    source = _source(connector, retries={"max_retries": 0}, breaker={"failure_threshold": 1})
    for key in ("a", "b"):
        call = asyncio.create_task(source.load_many([key]))
        await asyncio.sleep(0.01)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    assert source.breaker.current() is BreakerState.CLOSED
    connector.gate.set()
    assert await source.load_many(["c"]) == [{"key": "c"}]
