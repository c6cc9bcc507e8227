"""The bulkhead on its own: slots, the bounded queue, deadlines and its counters."""

from __future__ import annotations

import asyncio
import time

import pytest

from govgraph.resilience import Bulkhead
from legacy_connectors.errors import UpstreamBusyError, UpstreamTimeoutError

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _later(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


async def _hold(bulkhead: Bulkhead, gate: asyncio.Event, entered: list[str], name: str) -> None:
    async with bulkhead.slot(_later()):
        entered.append(name)
        await gate.wait()


async def test_calls_up_to_the_limit_run_at_once() -> None:
    """Two slots: two calls are in flight together, neither queued."""
    bulkhead = Bulkhead("tax", max_concurrent=2, max_queue=0)
    gate = asyncio.Event()
    entered: list[str] = []
    tasks = [asyncio.create_task(_hold(bulkhead, gate, entered, n)) for n in ("a", "b")]
    await asyncio.sleep(0.01)
    assert sorted(entered) == ["a", "b"]
    assert bulkhead.in_flight == 2 and bulkhead.queued == 0 and bulkhead.rejected == 0
    gate.set()
    await asyncio.gather(*tasks)
    assert bulkhead.in_flight == 0


async def test_a_queued_call_runs_when_a_slot_frees() -> None:
    """A call beyond the limit waits in the queue and enters when the running one leaves."""
    bulkhead = Bulkhead("tax", max_concurrent=1, max_queue=1)
    gate = asyncio.Event()
    entered: list[str] = []
    first = asyncio.create_task(_hold(bulkhead, gate, entered, "a"))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(_hold(bulkhead, gate, entered, "b"))
    await asyncio.sleep(0.01)
    assert entered == ["a"]
    assert bulkhead.queued == 1 and bulkhead.in_flight == 1
    gate.set()
    await asyncio.gather(first, second)
    assert entered == ["a", "b"]
    assert bulkhead.queued == 0 and bulkhead.in_flight == 0 and bulkhead.rejected == 0


async def test_a_full_queue_refuses_at_once_naming_the_service() -> None:
    """With every slot busy and max_queue calls waiting, the next call gets UpstreamBusyError."""
    bulkhead = Bulkhead("tax", max_concurrent=1, max_queue=2)
    gate = asyncio.Event()
    entered: list[str] = []
    tasks = [asyncio.create_task(_hold(bulkhead, gate, entered, n)) for n in ("a", "b", "c")]
    await asyncio.sleep(0.01)
    assert bulkhead.queued == 2
    started = time.monotonic()
    with pytest.raises(UpstreamBusyError) as caught:
        async with bulkhead.slot(_later()):
            pytest.fail("a refused call must not run")
    assert time.monotonic() - started < 1.0
    assert caught.value.service == "tax"
    assert caught.value.message == "too many calls to the service are waiting"
    assert caught.value.detail == "bulkhead queue full (2)"
    assert bulkhead.rejected == 1 and bulkhead.queued == 2
    with pytest.raises(UpstreamBusyError):
        async with bulkhead.slot(_later()):
            pass
    assert bulkhead.rejected == 2
    gate.set()
    await asyncio.gather(*tasks)
    assert sorted(entered) == ["a", "b", "c"]


async def test_without_a_queue_a_busy_bulkhead_refuses() -> None:
    """max_queue = 0: a call finding every slot busy is refused, not queued."""
    bulkhead = Bulkhead("tax", max_concurrent=1, max_queue=0)
    gate = asyncio.Event()
    holder = asyncio.create_task(_hold(bulkhead, gate, [], "a"))
    await asyncio.sleep(0.01)
    with pytest.raises(UpstreamBusyError):
        async with bulkhead.slot(_later()):
            pass
    assert bulkhead.queued == 0
    gate.set()
    await holder


async def test_a_queued_call_times_out_at_its_deadline() -> None:
    """A call still queued when its deadline passes gets UpstreamTimeoutError and leaves."""
    bulkhead = Bulkhead("tax", max_concurrent=1, max_queue=1)
    gate = asyncio.Event()
    holder = asyncio.create_task(_hold(bulkhead, gate, [], "a"))
    await asyncio.sleep(0.01)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeoutError) as caught:
        async with bulkhead.slot(_later(0.05)):
            pytest.fail("a timed-out call must not run")
    waited = time.monotonic() - started
    assert 0.04 <= waited < 2.0
    assert caught.value.service == "tax"
    assert caught.value.message == "the service was too busy to take the call in time"
    assert caught.value.detail == "queued behind 1 calls until the deadline"
    assert bulkhead.queued == 0 and bulkhead.rejected == 1 and bulkhead.in_flight == 1
    with pytest.raises(UpstreamTimeoutError):
        async with bulkhead.slot(_later(0.01)):
            pass
    assert bulkhead.rejected == 2
    gate.set()
    await holder
    async with bulkhead.slot(_later()):
        assert bulkhead.in_flight == 1


async def test_a_failing_call_gives_its_slot_back() -> None:
    """An exception in the call frees the slot for the next one."""
    bulkhead = Bulkhead("tax", max_concurrent=1, max_queue=0)
    with pytest.raises(RuntimeError):
        async with bulkhead.slot(_later()):
            raise RuntimeError("upstream crashed")
    assert bulkhead.in_flight == 0
    async with bulkhead.slot(_later()):
        assert bulkhead.in_flight == 1
