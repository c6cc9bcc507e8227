"""A configured legacy source: its connector plus the gateway's policy around every call.

Every call to a connector goes through :meth:`Source.call`, which applies, in order:

1. the call's deadline: ``timeout_s`` from now, or the request's deadline if sooner;
2. the circuit breaker: while open, calls fail at once with ``CIRCUIT_OPEN``; a set of
   databases also has a breaker per database, and the connector leaves out (answering
   ``CIRCUIT_OPEN`` for them) the databases whose breaker is open;
3. a lazy (re)open of a connector that could not open before, bounded by ``connect_timeout_s``;
4. the bulkhead: at most ``max_concurrency`` calls in flight, ``max_queue`` more waiting;
5. a per-attempt timeout (``read_timeout_s``) and fault injection (``chaos``);
6. retries for reads only (``load_many``, ``health``, ``aggregate``, ``distinct_keys``), with
   backoff and jitter; writes (``submit``) and the pages of a ``scan`` are attempted once.

Reads by key (``load_many``) of concurrent requests share one call once ``coalesce.after`` of
them are in flight (:mod:`govgraph.resilience.coalesce`); every other capability is one call
per caller.

Callers above this module use the capabilities :class:`Source` offers (``load_many``, ``scan``,
``submit``, ``accepts``, ``forget``, ``aggregate``, ``distinct_keys``, ``health``), never its
connector, so every call gets the same policy.

Anything a connector lets escape becomes a typed :class:`~legacy_connectors.errors.LegacyError`
naming the source, and every outcome is counted in the gateway's metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import replace
from typing import Any, TypeVar

from opentelemetry.trace import Link, SpanKind, Tracer, get_current_span

from govgraph.resilience.breaker import STATE_VALUE, BreakerState, CircuitBreaker
from govgraph.resilience.bulkhead import Bulkhead
from govgraph.resilience.coalesce import Coalescer, Waiter
from govgraph.resilience.members import Admission, MemberBreakers
from govgraph.resilience.policy import SourceSettings
from govgraph.resilience.retry import is_read, retry_read
from govgraph.resilience.scope import RequestScope
from govgraph.resilience.stale import StaleCache
from govgraph.telemetry import Metrics
from govgraph.tracing import upstream_span
from legacy_connectors.aggregation import Aggregate, GroupBy, Where
from legacy_connectors.base import (
    CALL_CONTEXT,
    CallContext,
    ChangePage,
    Connector,
    Health,
    PartialRecords,
    Record,
    Result,
    current_call,
)
from legacy_connectors.errors import (
    LegacyError,
    ProtocolError,
    RetriableError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from legacy_connectors.limits import FieldLimit
from legacy_connectors.registry import load_kind

__all__ = ["RequestScope", "Source", "build_sources"]

log = logging.getLogger("govgraph.sources")

T = TypeVar("T")
P = TypeVar("P")

_RECENT = 64
"""How many recent call latencies each source keeps (for ``Query.services``)."""


class Source:
    """One legacy source as the gateway calls it: connector, breaker, bulkhead and retries."""

    def __init__(
        self,
        name: str,
        connector: Connector,
        policy: SourceSettings,
        metrics: Metrics,
        tracer: Tracer | None = None,
    ):
        self.name = name
        self.connector = connector
        self.policy = policy
        self._metrics = metrics
        self._tracer = tracer
        self.breaker = CircuitBreaker(name, policy.breaker, on_change=self._breaker_changed)
        self.bulkhead = Bulkhead(name, policy.max_concurrency, policy.max_queue)
        self.stale = StaleCache(policy.stale) if policy.stale.enabled else None
        """Last-known answers, when serving stale data is on."""
        self.members = MemberBreakers(name, policy.breaker, on_change=self._breaker_changed)
        """Breakers of the databases of a set (they decide which databases a call leaves out)."""
        self._coalescer = (
            Coalescer(
                name,
                policy.coalesce,
                deadline=self._deadline,
                bulkhead=self.bulkhead,
                max_wait_s=self._max_wait_s,
                solo=self._read,
                shared=self._read_shared,
                on_timeout=lambda: self._count_error(UpstreamTimeoutError.code),
            )
            if policy.coalesce.enabled
            else None
        )
        """Shares one call between concurrent reads once the source is busy (``coalesce``)."""
        self._calls = metrics.upstream_calls.labels(source=name)
        self._latency = metrics.upstream_latency.labels(source=name)
        self._batch = metrics.batch_size.labels(source=name)
        self._in_flight = metrics.in_flight.labels(source=name)
        self._retries = metrics.upstream_retries.labels(source=name)
        metrics.breaker_state.labels(source=name).set(0)
        metrics.bulkhead_queued.labels(source=name).set_function(lambda: self.bulkhead.queued)
        self._open_lock = asyncio.Lock()
        self.opened = False
        self.last_latency_ms: float | None = None
        self.recent_latency_ms: deque[float] = deque(maxlen=_RECENT)
        self.last_error: LegacyError | None = None
        self.last_error_at: float | None = None
        """Wall-clock time of the last failed call."""
        self.last_success_at: float | None = None
        """Wall-clock time of the last successful call."""
        self.health_checked_at: float | None = None
        """Monotonic time the last health check answered."""

    def _max_wait_s(self) -> float:
        """How long a batch of reads waits for an in-flight call before it is sent anyway."""
        setting = self.policy.coalesce.max_wait_ms
        if setting is not None:
            return setting / 1000
        recent = sorted(self.recent_latency_ms)
        median_ms = recent[len(recent) // 2] if recent else 1.0
        return min(max(2 * median_ms, 1.0) / 1000, self.policy.timeout_s / 4)

    @property
    def database_breakers(self) -> dict[str, CircuitBreaker]:
        """Breakers of the databases of a set, by service name (``<source>/<database>``)."""
        return self.members.breakers

    def _breaker_changed(self, name: str, old: BreakerState, new: BreakerState) -> None:
        if name == self.name:
            self._metrics.breaker_state.labels(source=name).set(STATE_VALUE[new])
        self._metrics.breaker_transitions.labels(source=name, state=new.value).inc()
        level = logging.WARNING if new is BreakerState.OPEN else logging.INFO
        log.log(level, "breaker %s: %s -> %s", name, old.value, new.value)

    async def open(self, timeout_s: float | None = None) -> None:
        """Open the connector; a source that cannot open now stays closed and reports down."""
        limit = self.policy.connect_timeout_s if timeout_s is None else timeout_s
        try:
            await asyncio.wait_for(self.connector.open(), timeout=max(limit, 0.001))
            self.opened = True
        except Exception as exc:
            self._failed(_as_error(exc, self.name, "the service could not be reached"))
            log.warning("source %s did not open: %s", self.name, _safe(exc))

    async def _ensure_open(self, deadline: float, whole_source: bool = False) -> None:
        """Open the connector if it is not open, within ``connect_timeout_s`` (for a request)
        or, for a page of a whole-source read, within the page's deadline: opening may index a
        large source, and the scan cannot start without it."""
        if self.opened:
            return
        try:
            async with asyncio.timeout(deadline - time.monotonic()), self._open_lock:
                if not self.opened:
                    limit = deadline - time.monotonic()
                    if not whole_source:
                        limit = min(self.policy.connect_timeout_s, limit)
                    await self.open(limit)
        except TimeoutError as exc:
            raise UpstreamTimeoutError(
                "the service did not answer in time", service=self.name, detail="opening"
            ) from exc
        if not self.opened:
            raise UpstreamUnavailableError(
                "the service is unavailable", service=self.name, detail="not opened"
            )

    def _deadline(
        self,
        scope: RequestScope | None,
        request_bound: bool = True,
        timeout_s: float | None = None,
    ) -> float:
        deadline = time.monotonic() + (self.policy.timeout_s if timeout_s is None else timeout_s)
        request_deadline = scope.deadline if request_bound and scope is not None else None
        if request_deadline is not None and request_deadline < deadline:
            return request_deadline
        return deadline

    async def call(
        self,
        operation: str,
        func: Callable[[], Awaitable[T]],
        keys: int | None = None,
        *,
        retry: bool | None = None,
        request_bound: bool = True,
        timeout_s: float | None = None,
        scope: RequestScope | None = None,
    ) -> T:
        """Run ``func`` (one call to the upstream) under this source's whole policy.

        Reads (see :data:`govgraph.resilience.retry.READ_OPERATIONS`) are retried after
        retriable errors unless ``retry`` is false; any other operation is attempted once.
        The deadline is ``timeout_s`` from now, or the request's deadline if sooner unless
        ``request_bound`` is false (work shared beyond one request, such as a scan's pages);
        ``timeout_s`` replaces the source's ``timeout_s`` for this call. ``scope`` is the
        request the call is made for (its deadline, its id for the upstream).
        """
        deadline = self._deadline(scope, request_bound, timeout_s)
        retried = is_read(operation) if retry is None else retry
        # The connector kit's call context (the request's id for the upstream and for log
        # lines written during the call): set for this call only.
        request_id = scope.request_id if scope is not None else None
        token = CALL_CONTEXT.set(CallContext(request_id=request_id)) if request_id else None
        try:
            try:
                return await self._attempt(operation, func, deadline, keys)
            except LegacyError as first:
                if not retried:
                    raise
                return await retry_read(
                    lambda: self._attempt(operation, func, deadline, keys),
                    first,
                    self.policy.retries,
                    deadline,
                    on_retry=lambda _exc: self._retries.inc(),
                )
        except LegacyError as exc:
            self._count_error(exc.code)
            raise exc.with_service(self.name) from None
        finally:
            if token is not None:
                CALL_CONTEXT.reset(token)

    async def _attempt(
        self,
        operation: str,
        func: Callable[[], Awaitable[T]],
        deadline: float,
        keys: int | None,
    ) -> T:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise UpstreamTimeoutError("the request deadline has passed", service=self.name)
        trial = self.breaker.acquire()
        reached = False
        outcome: BaseException | None = None
        try:
            await self._ensure_open(deadline, whole_source=operation == "scan")
            async with self.bulkhead.slot(deadline):
                reached = True
                per_attempt = None if operation == "scan" else self.policy.read_timeout_s
                timeout = min(per_attempt or remaining, deadline - time.monotonic())
                with upstream_span(self._tracer, self.name, operation, keys):
                    return await self._timed(func, timeout)
        except BaseException as exc:
            outcome = exc
            if not self.opened:
                reached = True
            raise
        finally:
            if reached:
                self.breaker.record(outcome, trial)
            else:
                self.breaker.release(trial)

    async def _timed(self, func: Callable[[], Awaitable[T]], limit_s: float) -> T:
        self._calls.inc()
        self._in_flight.inc()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit_s):
                if self.policy.chaos.latency_ms:
                    await asyncio.sleep(self.policy.chaos.latency_ms / 1000)
                result = await func()
        except TimeoutError as exc:
            error: LegacyError = UpstreamTimeoutError(
                "the service did not answer in time", service=self.name
            )
            self._failed(error)
            raise error from exc
        except LegacyError as exc:
            self._failed(exc.with_service(self.name))
            raise
        except NotImplementedError:
            raise
        except Exception as exc:
            log.error("source %s failed: %s", self.name, _safe(exc))
            error = ProtocolError("the service gave an unusable answer", service=self.name)
            self._failed(error)
            raise error from exc
        finally:
            self._in_flight.dec()
            elapsed = time.perf_counter() - started
            self._latency.observe(elapsed)
            self.last_latency_ms = elapsed * 1000
            self.recent_latency_ms.append(self.last_latency_ms)
        self.last_success_at = time.time()
        return result

    def _failed(self, error: LegacyError) -> None:
        self.last_error = error
        self.last_error_at = time.time()

    async def load_many(
        self, keys: Sequence[str], *, scope: RequestScope | None = None
    ) -> list[Result]:
        """Call the connector for a batch; raise a typed error if the whole batch fails.

        With coalescing on (``coalesce``), once ``coalesce.after`` reads of this source are in
        flight this read waits to share the next call with other requests' reads (see
        :mod:`govgraph.resilience.coalesce`); it still gets exactly its own keys' results.
        With ``stale`` on, a batch that fails with a retriable error is answered from the last
        known data where there is some (the rest of the keys get the error), noted in ``scope``.
        """
        try:
            if self._coalescer is None:
                results = await self._read(keys, scope)
            else:
                results = await self._coalescer.load(keys, scope)
        except RetriableError as exc:
            if self.stale is None:
                raise
            return self._serve_stale(keys, exc, scope)
        return results

    async def _read(self, keys: Sequence[str], scope: RequestScope | None) -> list[Result]:
        """One upstream read of ``keys`` for ``scope`` under the whole policy; its answers are
        kept as last-known data when ``stale`` is on."""
        self._batch.observe(len(keys))
        results = await self.call(
            "load_many", lambda: self._load_checked(keys), len(keys), scope=scope
        )
        if self.stale is not None:
            self.stale.put_many(keys, results)
        return results

    async def _read_shared(self, keys: list[str], waiters: list[Waiter]) -> list[Result]:
        """One upstream read of the distinct ``keys`` of ``waiters``' reads.

        For one read, that read's own call. For several, a call of its own: its own request
        id (passed to the upstream), the latest of the reads' deadlines, a log line and a span
        naming the requests it serves."""
        if len(waiters) == 1:
            return await self._read(keys, waiters[0].scope)
        scope = RequestScope(request_id=uuid.uuid4().hex, deadline=max(w.deadline for w in waiters))
        served = list(
            dict.fromkeys(w.scope.request_id for w in waiters if w.scope and w.scope.request_id)
        )
        if log.isEnabledFor(logging.INFO):
            log.info(
                "source %s: one call for %d reads of requests %s",
                self.name,
                len(waiters),
                ", ".join(served),
                extra={
                    "request_id": scope.request_id,
                    "source": self.name,
                    "operation": "load_many",
                },
            )
        with self._shared_span(scope, waiters, served):
            return await self._read(keys, scope)

    @contextlib.contextmanager
    def _shared_span(
        self, scope: RequestScope, waiters: list[Waiter], served: list[str]
    ) -> Iterator[None]:
        """A span around a shared call, linked to the span of each request it serves."""
        if self._tracer is None:
            yield
            return
        links = []
        for waiter in waiters:
            context = waiter.context.run(get_current_span).get_span_context()
            if context.is_valid:
                links.append(Link(context))
        with self._tracer.start_as_current_span(
            f"upstream {self.name} load_many shared",
            kind=SpanKind.INTERNAL,
            links=links,
            attributes={
                "govgraph.source": self.name,
                "govgraph.operation": "load_many",
                "govgraph.request_id": scope.request_id or "",
                "govgraph.serves_request_ids": served,
            },
        ):
            yield

    def _serve_stale(
        self, keys: Sequence[str], error: RetriableError, scope: RequestScope | None
    ) -> list[Result]:
        assert self.stale is not None
        found = [self.stale.get(key) for key in keys]
        served = [f for f in found if f is not None]
        if not served:
            raise error
        if scope is not None:
            scope.note_stale(self.name, max(age for _, age in served))
        self._metrics.stale_served.labels(source=self.name).inc(len(served))
        return [f[0] if f is not None else error for f in found]

    async def _load_checked(self, keys: Sequence[str]) -> list[Result]:
        admission = self.members.admit()
        try:
            results = await self._load_admitted(keys, admission)
        except BaseException:
            self.members.release(admission)
            raise
        return results

    async def _load_admitted(self, keys: Sequence[str], admission: Admission) -> list[Result]:
        """One connector call leaving out the databases ``admission`` skips."""
        skip = self.members.skip_members(admission)
        token = CALL_CONTEXT.set(replace(current_call(), skip_members=skip)) if skip else None
        try:
            results = await self.connector.load_many(keys)
        finally:
            if token is not None:
                CALL_CONTEXT.reset(token)
        if len(results) != len(keys):
            raise ProtocolError(
                f"connector returned {len(results)} results for {len(keys)} keys",
                service=self.name,
            )
        retriable = 0
        failed_members: dict[str, LegacyError] = {}
        for result in results:
            if isinstance(result, LegacyError):
                self._count_error(result.code)
                result.with_service(self.name)
                if isinstance(result, RetriableError):
                    retriable += 1
            elif isinstance(result, PartialRecords):
                for err in result.errors:
                    self._count_error(err.code)
                    err.with_service(self.name)
                    if err.service and err.service != self.name:
                        failed_members.setdefault(err.service, err)
        if results and retriable == len(results):
            first = next(r for r in results if isinstance(r, LegacyError))
            raise first
        self.members.observe(failed_members, admission)
        return results

    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        """Every (key, record) the source holds, in pages (the connector's ``scan``).

        Each page is one call under the breaker and bulkhead with ``scan_page_timeout_s`` as
        its deadline (not a request's: a scan is a job, not a request). A page that fails with
        a retriable error is tried again up to ``scan_page_retries`` times: the connector's scan
        restarts and the pages already yielded are skipped (connectors scan in a stable order).
        ``NotImplementedError`` when the kind cannot scan.
        """
        pages = self._job_pages(
            "scan", lambda delivered: (self.connector.scan(batch_size), delivered)
        )
        async with contextlib.aclosing(pages):
            async for page in pages:
                yield page

    async def _job_pages(
        self, what: str, restart: Callable[[int], tuple[AsyncIterator[P], int]]
    ) -> AsyncGenerator[P, None]:
        """The pages of a job's read (a scan, a change feed), each one call under the breaker
        and bulkhead with ``scan_page_timeout_s`` as its deadline. After a retriable failure
        (up to ``scan_page_retries`` times) the read starts again: ``restart(delivered)`` gives
        the connector's pages from where it can resume and how many of them to skip."""
        delivered = 0
        failures = 0
        while True:
            opened, skip = restart(delivered)
            pages = opened.__aiter__()

            async def next_page(pages: AsyncIterator[P] = pages) -> P | None:
                try:
                    return await pages.__anext__()
                except StopAsyncIteration:
                    return None

            try:
                while True:
                    try:
                        page = await self.call(
                            "scan",
                            next_page,
                            retry=False,
                            request_bound=False,
                            timeout_s=self.policy.scan_page_timeout_s,
                        )
                    except LegacyError as exc:
                        if not exc.retryable or failures >= self.policy.scan_page_retries:
                            raise
                        failures += 1
                        log.warning(
                            "source %s: %s page %d failed (%s), retrying (%d of %d)",
                            self.name,
                            what,
                            delivered + 1,
                            exc.code,
                            failures,
                            self.policy.scan_page_retries,
                        )
                        await asyncio.sleep(min(0.2 * 2**failures, 5.0))
                        break
                    if page is None:
                        return
                    if skip:
                        skip -= 1
                        continue
                    delivered += 1
                    yield page
            finally:
                close = getattr(pages, "aclose", None)
                if close is not None:
                    await close()

    @property
    def tracks_changes(self) -> bool:
        """Whether the connector offers a change feed (:meth:`change_cursor`, :meth:`changes`)."""
        return self.connector.tracks_changes

    async def change_cursor(self) -> str:
        """The change feed's position now (take it before a full scan); one call under the
        breaker and the bulkhead with ``scan_page_timeout_s`` as its deadline, retried as a
        read. ``NotImplementedError`` when the kind has no feed."""
        if not self.connector.tracks_changes:
            raise NotImplementedError(f"source {self.name!r} has no change feed")
        return await self.call(
            "scan",
            self.connector.change_cursor,
            retry=True,
            request_bound=False,
            timeout_s=self.policy.scan_page_timeout_s,
        )

    async def changes(self, since: str, batch_size: int = 1000) -> AsyncIterator[ChangePage]:
        """What changed after the cursor ``since``, in pages (the connector's ``changes``).

        Each page is one call under the breaker and bulkhead with ``scan_page_timeout_s`` as
        its deadline. A page that fails with a retriable error is asked for again, up to
        ``scan_page_retries`` times, from the cursor of the last page delivered (nothing is
        delivered twice). ``ChangesExpiredError`` passes through: the caller reads the source
        whole instead. ``NotImplementedError`` when the kind has no feed.
        """
        if not self.connector.tracks_changes:
            raise NotImplementedError(f"source {self.name!r} has no change feed")
        cursor = since

        def restart(_delivered: int) -> tuple[AsyncIterator[ChangePage], int]:
            return self.connector.changes(cursor, batch_size), 0

        pages = self._job_pages("change feed", restart)
        async with contextlib.aclosing(pages):
            async for page in pages:
                cursor = page.cursor
                yield page
                if not page.more:
                    return

    @property
    def pages_by_position(self) -> bool:
        """Whether the connector reads any page of a scan by its position (the paged-read
        capability): :meth:`read_pages` then reads pages concurrently."""
        return self.connector.pages_by_position

    async def read_pages(
        self, batch_size: int = 1000, fields: Sequence[str] | None = None
    ) -> AsyncIterator[list[tuple[str, Record]]]:
        """Every (key, record) the source holds, in pages in scan order, like :meth:`scan`.

        When the connector reads pages by position (:attr:`pages_by_position`), up to half of
        ``max_concurrency`` pages are asked for at once (the other half of the bulkhead stays
        free for requests), each one call under the breaker and the bulkhead with
        ``scan_page_timeout_s`` as its deadline (a failed page is retried as a read), until a
        page says none follow; otherwise this is :meth:`scan`. ``fields`` (dotted paths into a
        record) are all the caller reads of each record: a page read by position then holds
        only those (see the connector's ``read_page``); a scan gives whole records.
        """
        if not self.connector.pages_by_position:
            async for page in self.scan(batch_size):
                yield page
            return
        window = max(1, self.policy.max_concurrency // 2)
        pending: deque[asyncio.Task[tuple[list[tuple[str, Record]], bool]]] = deque()
        start = 0

        def ask(at: int) -> asyncio.Task[tuple[list[tuple[str, Record]], bool]]:
            return asyncio.create_task(
                self.call(
                    "scan",
                    lambda: (
                        self.connector.read_page(at, batch_size)
                        if fields is None
                        else self.connector.read_page(at, batch_size, fields)
                    ),
                    request_bound=False,
                    timeout_s=self.policy.scan_page_timeout_s,
                )
            )

        try:
            more = True
            while more:
                while len(pending) < window:
                    pending.append(ask(start))
                    start += batch_size
                page, more = await pending.popleft()
                if page:
                    yield page
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def submit(
        self,
        command: str,
        payload: Mapping[str, Any],
        *,
        delivery_id: str,
        scope: RequestScope | None = None,
    ) -> Record:
        """Carry out the write ``command`` once per ``delivery_id`` (the connector's ``submit``).

        Under the deadline, breaker and bulkhead, attempted exactly once (never retried).
        Raises the typed error of a refusal or failure, ``NotImplementedError`` when the
        source has no such command.
        """
        return await self.call(
            "submit",
            lambda: self.connector.submit(command, payload, delivery_id=delivery_id),
            scope=scope,
        )

    def accepts(self, command: str) -> bool:
        """Whether the source is configured to carry out the write ``command``."""
        return self.connector.accepts(command)

    async def write_limits(self, command: str) -> list[FieldLimit]:
        """What each payload field of the write ``command`` can hold (the connector's
        ``write_limits``, read from the upstream's own definitions), under the same policy as
        a read."""
        return await self.call("write_limits", lambda: self.connector.write_limits(command))

    def forget(self, keys: Sequence[str]) -> None:
        """Drop the last-known answers for ``keys`` after a write changed them, so that a later
        failure of the source is never answered with what was true before the write."""
        if self.stale is not None and keys:
            self.stale.discard(list(keys))

    async def aggregate(
        self,
        *,
        group_by: Sequence[GroupBy] = (),
        where: Sequence[Where] = (),
        sums: Sequence[str] = (),
        collection: str | None = None,
    ) -> list[Aggregate]:
        """Groups computed where the data lives (the connector's ``aggregate``), as a read.

        ``NotImplementedError`` when the kind cannot aggregate.
        """
        return await self.call(
            "aggregate",
            lambda: self.connector.aggregate(
                group_by=group_by, where=where, sums=sums, collection=collection
            ),
        )

    async def distinct_keys(
        self,
        *,
        where: Sequence[Where] = (),
        collection: str | None = None,
        group_by: GroupBy | None = None,
    ) -> dict[str, Any]:
        """Keys of records meeting ``where`` with their group value (the connector's
        ``distinct_keys``), as a read."""
        return await self.call(
            "distinct_keys",
            lambda: self.connector.distinct_keys(
                where=where, collection=collection, group_by=group_by
            ),
        )

    @property
    def kind(self) -> str:
        """The connector kind serving this source."""
        return self.connector.kind

    @property
    def member_count(self) -> int:
        """How many upstream systems one call reaches (one per database of a set)."""
        return self.connector.member_count

    @property
    def member_field(self) -> str | None:
        """The record field naming which member of a set answered (``None`` for one system)."""
        return self.connector.member_field

    async def health(self) -> Health:
        """The connector's own health, or ``down`` if it cannot say in time.

        The counts it reports (bad records, rejected files) are exported as metrics.
        """
        health = await self._check_health()
        self.health_checked_at = time.monotonic()
        self._metrics.record_health_facts(self.name, health.facts)
        return health

    async def _check_health(self) -> Health:
        limit = self.policy.health_timeout_s
        if not self.opened:
            async with self._open_lock:
                if not self.opened:
                    await self.open(min(limit, self.policy.connect_timeout_s))
            if not self.opened:
                return Health(status="down", detail="not opened")
        try:
            async with asyncio.timeout(limit):
                return await self.connector.health()
        except TimeoutError:
            return Health(status="down", detail="health check timed out")
        except Exception as exc:
            return Health(status="down", detail=_safe(exc))

    def _count_error(self, code: str) -> None:
        self._metrics.upstream_errors.labels(source=self.name, code=code).inc()

    async def aclose(self) -> None:
        """Close the connector (its connections, threads and files)."""
        try:
            await self.connector.aclose()
        except Exception as exc:
            log.warning("source %s did not close cleanly: %s", self.name, _safe(exc))


def _as_error(exc: BaseException, service: str, message: str) -> LegacyError:
    if isinstance(exc, LegacyError):
        return exc.with_service(service)
    return UpstreamUnavailableError(message, service=service, detail=type(exc).__name__)


def _safe(exc: BaseException) -> str:
    """A loggable description: typed errors' safe message, else only the exception type."""
    if isinstance(exc, LegacyError):
        return f"{exc.code}: {exc.message}"
    return type(exc).__name__


def build_sources(
    settings: dict[str, SourceSettings], metrics: Metrics, tracer: Tracer | None = None
) -> dict[str, Source]:
    """Build (but do not open) every configured source's connector."""
    sources = {}
    for name, policy in settings.items():
        cls = load_kind(policy.kind)
        connector = cls.from_options(name, policy.options)
        sources[name] = Source(name, connector, policy, metrics, tracer)
    return sources
