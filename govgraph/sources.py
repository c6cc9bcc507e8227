"""A configured legacy source: its connector plus the gateway's policy around every call.

The policy wraps each batch call in a timeout bounded by the request's deadline, a bulkhead
(at most ``max_concurrency`` calls in flight) and metrics; any exception a connector lets
escape is turned into a typed :class:`~legacy_connectors.errors.LegacyError` naming the source.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextvars import ContextVar

from govgraph.settings import SourceSettings
from govgraph.telemetry import Metrics
from legacy_connectors.base import Connector, Health, PartialRecords, Result
from legacy_connectors.errors import (
    LegacyError,
    ProtocolError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from legacy_connectors.registry import load_kind

__all__ = ["REQUEST_DEADLINE", "Source", "build_sources"]

log = logging.getLogger("govgraph.sources")

REQUEST_DEADLINE: ContextVar[float | None] = ContextVar("govgraph_request_deadline", default=None)
"""Monotonic time by which the current GraphQL request must finish (set per request)."""


class Source:
    """One legacy source as the gateway calls it."""

    def __init__(self, name: str, connector: Connector, policy: SourceSettings, metrics: Metrics):
        self.name = name
        self.connector = connector
        self.policy = policy
        self._metrics = metrics
        self._bulkhead = asyncio.Semaphore(policy.max_concurrency)
        self._calls = metrics.upstream_calls.labels(source=name)
        self._latency = metrics.upstream_latency.labels(source=name)
        self._batch = metrics.batch_size.labels(source=name)
        self._in_flight = metrics.in_flight.labels(source=name)
        self.opened = False
        self.last_latency_ms: float | None = None

    async def open(self) -> None:
        """Open the connector; a source that cannot open now stays closed and reports down."""
        try:
            await asyncio.wait_for(self.connector.open(), timeout=max(self.policy.timeout_s, 30))
            self.opened = True
        except Exception as exc:
            log.warning("source %s did not open: %s", self.name, _safe(exc))

    def _timeout(self) -> float:
        timeout = self.policy.timeout_s
        deadline = REQUEST_DEADLINE.get()
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
        return timeout

    async def load_many(self, keys: Sequence[str]) -> list[Result]:
        """Call the connector for a batch; raise a typed error if the whole batch fails."""
        if not self.opened:
            await self.open()
            if not self.opened:
                raise UpstreamUnavailableError("the service is unavailable", service=self.name)
        self._calls.inc()
        self._batch.observe(len(keys))
        started = time.perf_counter()
        self._in_flight.inc()
        try:
            timeout = self._timeout()
            if timeout <= 0:
                raise UpstreamTimeoutError("the request deadline has passed", service=self.name)
            async with asyncio.timeout(timeout):
                async with self._bulkhead:
                    if self.policy.chaos.latency_ms:
                        await asyncio.sleep(self.policy.chaos.latency_ms / 1000)
                    results = await self.connector.load_many(keys)
        except TimeoutError as exc:
            self._count_error("UPSTREAM_TIMEOUT")
            raise UpstreamTimeoutError(
                "the service did not answer in time", service=self.name
            ) from exc
        except LegacyError as exc:
            self._count_error(exc.code)
            raise exc.with_service(self.name) from None
        except Exception as exc:
            self._count_error("UPSTREAM_PROTOCOL_ERROR")
            log.error("source %s failed: %s", self.name, _safe(exc))
            raise ProtocolError("the service gave an unusable answer", service=self.name) from exc
        finally:
            self._in_flight.dec()
            elapsed = time.perf_counter() - started
            self._latency.observe(elapsed)
            self.last_latency_ms = elapsed * 1000
        if len(results) != len(keys):
            raise ProtocolError(
                f"connector returned {len(results)} results for {len(keys)} keys",
                service=self.name,
            )
        for result in results:
            if isinstance(result, LegacyError):
                self._count_error(result.code)
                result.with_service(self.name)
            elif isinstance(result, PartialRecords):
                for err in result.errors:
                    self._count_error(err.code)
                    err.with_service(self.name)
        return results

    def _count_error(self, code: str) -> None:
        self._metrics.upstream_errors.labels(source=self.name, code=code).inc()

    async def health(self) -> Health:
        """The connector's own health, or ``down`` if it cannot say in time."""
        if not self.opened:
            await self.open()
            if not self.opened:
                return Health(status="down", detail="not opened")
        try:
            async with asyncio.timeout(self.policy.timeout_s):
                return await self.connector.health()
        except TimeoutError:
            return Health(status="down", detail="health check timed out")
        except Exception as exc:
            return Health(status="down", detail=_safe(exc))

    async def aclose(self) -> None:
        try:
            await self.connector.aclose()
        except Exception as exc:
            log.warning("source %s did not close cleanly: %s", self.name, _safe(exc))


def _safe(exc: BaseException) -> str:
    """A loggable description: typed errors' safe message, else only the exception type."""
    if isinstance(exc, LegacyError):
        return f"{exc.code}: {exc.message}"
    return type(exc).__name__


def build_sources(settings: dict[str, SourceSettings], metrics: Metrics) -> dict[str, Source]:
    """Build (but do not open) every configured source's connector."""
    sources = {}
    for name, policy in settings.items():
        cls = load_kind(policy.kind)
        sources[name] = Source(name, cls.from_options(name, policy.options), policy, metrics)
    return sources
