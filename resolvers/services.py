"""``Query.services``: each source's status, breaker state and recent latency."""

from __future__ import annotations

from datetime import UTC, datetime

from govgraph.resilience.status import SourceStatus, check_sources
from resolvers.context import RequestContext
from resolvers.errors import Unauthenticated
from schema.services import BreakerState, DatabaseStatus, Service, ServiceStatus

__all__ = ["services"]


def _when(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, UTC) if timestamp is not None else None


def _service(s: SourceStatus) -> Service:
    return Service(
        name=s.name,
        kind=s.kind,
        status=ServiceStatus(s.status),
        breaker=BreakerState(s.breaker),
        breaker_retry_in_seconds=s.breaker_retry_in_s,
        consecutive_failures=s.consecutive_failures,
        calls_in_flight=s.in_flight,
        calls_queued=s.queued,
        last_latency_ms=s.last_latency_ms,
        p50_latency_ms=s.p50_latency_ms,
        p95_latency_ms=s.p95_latency_ms,
        last_error_code=s.last_error_code,
        last_error_at=_when(s.last_error_at),
        last_success_at=_when(s.last_success_at),
        databases=[
            DatabaseStatus(
                name=m.name, breaker=BreakerState(m.breaker), consecutive_failures=m.failures
            )
            for m in s.members
        ],
    )


async def services(ctx: RequestContext) -> list[Service]:
    """Every configured source's status (any signed-in caller; no personal data)."""
    if ctx.principal is None:
        raise Unauthenticated("sign in to see the services' status")
    statuses = await check_sources(ctx.sources)  # type: ignore[arg-type]
    return [_service(s) for s in statuses]
