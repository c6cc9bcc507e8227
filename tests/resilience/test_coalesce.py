"""Coalescing, called on a Source: who shares a call, and what each read owns of it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from govgraph.resilience import BreakerState
from govgraph.settings import SourceSettings
from govgraph.sources import RequestScope, Source
from govgraph.telemetry import Metrics
from legacy_connectors.base import CallContext, Connector, Result, current_call
from legacy_connectors.errors import (
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


class HeldConnector(Connector):
    """Each call waits until the test releases it; records the keys and request id of each."""

    kind: ClassVar[str] = "held"

    def __init__(self) -> None:
        super().__init__("held", Connector.Settings())
        self.calls: list[list[str]] = []
        self.contexts: list[CallContext] = []
        self.gates: list[asyncio.Event] = []
        self.error: Exception | None = None

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        self.calls.append(list(keys))
        self.contexts.append(current_call())
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if self.error is not None:
            raise self.error
        return [{"key": k, "owner": k.split("-")[0]} for k in keys]

    def release(self, call: int) -> None:
        self.gates[call].set()


def _source(connector: Connector, **policy: Any) -> Source:
    coalesce = {"max_wait_ms": 60_000, **policy.pop("coalesce", {})}
    settings = SourceSettings.model_validate(
        {
            "kind": "held",
            "retries": {"max_retries": 0},
            "breaker": {"failure_threshold": 10, "recovery_s": 5},
            "timeout_s": 120,
            "coalesce": coalesce,
            **policy,
        }
    )
    source = Source("held", connector, settings, Metrics())
    source.opened = True
    return source


def _scope(request_id: str, seconds: float = 5.0) -> RequestScope:
    return RequestScope(request_id=request_id, deadline=time.monotonic() + seconds)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_an_idle_source_calls_at_once_and_each_read_alone() -> None:
    """Below ``after`` reads in flight, every read is its own call, sent before any returns."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 2})
    first = asyncio.create_task(source.load_many(["a-1"], scope=_scope("r1")))
    await _settle()
    assert connector.calls == [["a-1"]]
    assert connector.contexts[0].request_id == "r1"
    second = asyncio.create_task(source.load_many(["b-1"], scope=_scope("r2")))
    await _settle()
    assert connector.calls == [["a-1"], ["b-1"]]
    connector.release(0)
    connector.release(1)
    assert await first == [{"key": "a-1", "owner": "a"}]
    assert await second == [{"key": "b-1", "owner": "b"}]


async def test_busy_source_shares_one_call_and_each_read_gets_only_its_keys(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With ``after`` reads in flight, the next reads wait and go as one call: each key once,
    with a request id of its own, logged with the requests it serves; each read gets its own
    keys, in its order."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1})
    first = asyncio.create_task(source.load_many(["a-1"], scope=_scope("r1")))
    await _settle()
    reads = {
        "r2": ["b-2", "b-1", "common"],
        "r3": ["c-1", "common"],
        "r4": ["d-1"],
    }
    tasks = {
        rid: asyncio.create_task(source.load_many(keys, scope=_scope(rid)))
        for rid, keys in reads.items()
    }
    await _settle()
    assert connector.calls == [["a-1"]]
    with caplog.at_level(logging.INFO, logger="govgraph.sources"):
        connector.release(0)
        await _settle()
    assert connector.calls == [["a-1"], ["b-2", "b-1", "common", "c-1", "d-1"]]
    shared_id = connector.contexts[1].request_id
    assert shared_id not in (None, "r1", "r2", "r3", "r4")
    [line] = [r for r in caplog.records if "one call for 3 reads" in r.getMessage()]
    assert line.getMessage().endswith("r2, r3, r4")
    assert getattr(line, "request_id", None) == shared_id
    connector.release(1)
    assert await first == [{"key": "a-1", "owner": "a"}]
    for rid, keys in reads.items():
        answer = await tasks[rid]
        assert [r["key"] for r in answer] == keys
    assert source.breaker.failures == 0


async def test_a_batch_is_capped_at_max_keys() -> None:
    """Reads whose keys would pass ``max_keys`` in the waiting batch start the next one."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1, "max_keys": 3})
    first = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    waiting = [
        asyncio.create_task(source.load_many(keys))
        for keys in (["b-1", "b-2"], ["c-1"], ["d-1", "d-2"])
    ]
    await _settle()
    connector.release(0)
    await _settle()
    assert connector.calls[1] == ["b-1", "b-2", "c-1"]
    connector.release(1)
    await _settle()
    assert connector.calls[2] == ["d-1", "d-2"]
    connector.release(2)
    await first
    assert [len(await t) for t in waiting] == [2, 1, 2]


async def test_a_batch_that_waited_its_longest_goes_beside_a_stuck_call() -> None:
    """A call that does not finish holds no one back: after ``max_wait_ms`` the waiting batch
    is sent beside it, and its reads are answered while the stuck call still runs."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1, "max_wait_ms": 20})
    stuck = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    waiting = [asyncio.create_task(source.load_many([k])) for k in ("b-1", "c-1")]
    for _ in range(400):
        if len(connector.calls) == 2:
            break
        await asyncio.sleep(0.005)
    assert connector.calls == [["a-1"], ["b-1", "c-1"]]
    connector.release(1)
    assert [len(await t) for t in waiting] == [1, 1]
    assert not stuck.done()
    connector.release(0)
    await stuck


async def test_a_read_whose_deadline_passes_leaves_and_the_call_serves_the_others() -> None:
    """A waiting read gets UPSTREAM_TIMEOUT at its own deadline; the shared call carries on
    (its deadline the latest of its reads') and answers the read still waiting."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1})
    first = asyncio.create_task(source.load_many(["a-1"], scope=_scope("r1")))
    await _settle()
    hurried = asyncio.create_task(source.load_many(["b-1"], scope=_scope("r2", 0.15)))
    patient = asyncio.create_task(source.load_many(["c-1"], scope=_scope("r3", 5.0)))
    await _settle()
    connector.release(0)
    await first
    await _settle()
    assert connector.calls[1] == ["b-1", "c-1"]
    with pytest.raises(UpstreamTimeoutError) as caught:
        await hurried
    assert caught.value.service == "held"
    assert not patient.done()
    connector.release(1)
    assert await patient == [{"key": "c-1", "owner": "c"}]
    assert source.breaker.failures == 0


async def test_a_cancelled_read_does_not_cancel_the_call_for_the_others() -> None:
    """A read cancelled while waiting (its client went away) leaves; the others get data."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1})
    first = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    gone = asyncio.create_task(source.load_many(["b-1"]))
    staying = asyncio.create_task(source.load_many(["c-1"]))
    await _settle()
    connector.release(0)
    await first
    await _settle()
    gone.cancel()
    await _settle()
    assert gone.cancelled()
    connector.release(1)
    assert await staying == [{"key": "c-1", "owner": "c"}]
    assert len(connector.calls) == 2


async def test_a_call_whose_every_read_was_cancelled_is_cancelled() -> None:
    """Once every read a shared call serves is cancelled, the call is cancelled too and the
    source's next read goes out at once."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1})
    first = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    gone = [asyncio.create_task(source.load_many([k])) for k in ("b-1", "c-1")]
    await _settle()
    connector.release(0)
    await first
    await _settle()
    for task in gone:
        task.cancel()
    await _settle()
    nxt = asyncio.create_task(source.load_many(["d-1"]))
    await _settle()
    assert connector.calls[-1] == ["d-1"]
    connector.release(len(connector.calls) - 1)
    assert await nxt == [{"key": "d-1", "owner": "d"}]
    assert source.breaker.current() is BreakerState.CLOSED


async def test_a_failed_shared_call_fails_each_read_and_counts_once() -> None:
    """The shared call's failure reaches every read it serves, each as its own error object;
    the breaker counts one failure for it, and no read retries it on its own."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1})
    first = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    reads = [asyncio.create_task(source.load_many([k])) for k in ("b-1", "c-1", "d-1")]
    await _settle()
    connector.release(0)
    await first
    await _settle()
    connector.error = UpstreamUnavailableError("down")
    connector.release(1)
    errors = [await asyncio.gather(t, return_exceptions=True) for t in reads]
    caught = [e[0] for e in errors]
    assert all(isinstance(e, UpstreamUnavailableError) for e in caught)
    assert all(e.service == "held" for e in caught)
    assert len({id(e) for e in caught}) == 3
    assert len(connector.calls) == 2
    assert source.breaker.failures == 1


async def test_stale_answers_are_noted_in_each_reads_own_scope() -> None:
    """A failed shared call with last-known data: each read is answered from it, and only the
    scopes of the reads that were served stale say so."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"after": 1}, stale={"enabled": True})
    warm = asyncio.create_task(source.load_many(["b-1"]))
    await _settle()
    connector.release(0)
    await warm
    first = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    scopes = [_scope("r2"), _scope("r3")]
    reads = [asyncio.create_task(source.load_many(["b-1"], scope=scope)) for scope in scopes]
    await _settle()
    connector.release(1)
    await first
    await _settle()
    connector.error = UpstreamUnavailableError("down")
    connector.release(2)
    for read, scope in zip(reads, scopes, strict=True):
        assert await read == [{"key": "b-1", "owner": "b"}]
        assert set(scope.stale) == {"held"}


async def test_switched_off_every_read_is_its_own_call() -> None:
    """``coalesce.enabled = false``: concurrent reads never share, whatever is in flight."""
    connector = HeldConnector()
    source = _source(connector, coalesce={"enabled": False})
    tasks = [asyncio.create_task(source.load_many([k])) for k in ("a-1", "b-1", "c-1")]
    await _settle()
    assert connector.calls == [["a-1"], ["b-1"], ["c-1"]]
    for i in range(3):
        connector.release(i)
    assert [len(await t) for t in tasks] == [1, 1, 1]


async def test_a_new_batch_is_refused_where_the_bulkhead_would_refuse_a_call() -> None:
    """With every slot taken and no room in the bulkhead's queue, a read that would start a
    batch gets UPSTREAM_BUSY; with room for one waiting call, later reads join that batch."""
    connector = HeldConnector()
    source = _source(connector, max_concurrency=1, max_queue=0, coalesce={"after": 1})
    first = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    with pytest.raises(UpstreamBusyError):
        await source.load_many(["b-1"])
    connector.release(0)
    await first

    connector = HeldConnector()
    source = _source(connector, max_concurrency=1, max_queue=1, coalesce={"after": 1})
    first = asyncio.create_task(source.load_many(["a-1"]))
    await _settle()
    waiting = [asyncio.create_task(source.load_many([k])) for k in ("b-1", "c-1")]
    await _settle()
    connector.release(0)
    await first
    await _settle()
    connector.release(1)
    assert [await t for t in waiting] == [
        [{"key": "b-1", "owner": "b"}],
        [{"key": "c-1", "owner": "c"}],
    ]
    assert len(connector.calls) == 2


async def test_a_shared_call_has_its_own_span_linked_to_each_request() -> None:
    """With tracing on, a shared call's attempt is under a span of its own that names the
    call's request id and the requests it serves and links to each request's span; a call of
    one read stays under that read's span."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    connector = HeldConnector()
    settings = SourceSettings.model_validate(
        {"kind": "held", "coalesce": {"after": 1, "max_wait_ms": 60_000}}
    )
    source = Source("held", connector, settings, Metrics(), tracer)
    source.opened = True

    async def traced(request_id: str, key: str) -> list[Result]:
        with tracer.start_as_current_span(f"request {request_id}"):
            return await source.load_many([key], scope=_scope(request_id))

    first = asyncio.create_task(traced("r1", "a-1"))
    await _settle()
    shared = [asyncio.create_task(traced(rid, k)) for rid, k in (("r2", "b-1"), ("r3", "c-1"))]
    await _settle()
    connector.release(0)
    await first
    await _settle()
    connector.release(1)
    await asyncio.gather(*shared)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    requests = {rid: spans[f"request {rid}"] for rid in ("r1", "r2", "r3")}
    solo_attempt, shared_attempt = [
        s for s in exporter.get_finished_spans() if s.name == "upstream held load_many"
    ]
    assert solo_attempt.parent.span_id == requests["r1"].context.span_id
    wrapper = spans["upstream held load_many shared"]
    assert shared_attempt.parent.span_id == wrapper.context.span_id
    assert wrapper.parent is None
    assert wrapper.attributes["govgraph.request_id"] == connector.contexts[1].request_id
    assert list(wrapper.attributes["govgraph.serves_request_ids"]) == ["r2", "r3"]
    assert {link.context.span_id for link in wrapper.links} == {
        requests["r2"].context.span_id,
        requests["r3"].context.span_id,
    }
