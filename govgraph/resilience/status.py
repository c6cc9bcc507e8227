"""What each source's state is right now: health, breaker, bulkhead and recent latency.

Shared by ``/readyz`` and ``Query.services``. Nothing here names a record or a person; error
details meant for operators stay in the logs.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from govgraph.resilience.breaker import BreakerState
from legacy_connectors.base import Health

if TYPE_CHECKING:
    from govgraph.sources import Source

__all__ = [
    "HEALTH_MAX_AGE_S",
    "MemberStatus",
    "SourceStatus",
    "check_sources",
    "readiness",
    "refresh_health",
    "source_status",
]

HEALTH_MAX_AGE_S = 15.0
"""Oldest health check ``/metrics`` reports from before checking again."""


@dataclass(slots=True)
class MemberStatus:
    """One database of a set, as far as the gateway has seen it fail or recover."""

    name: str
    breaker: str
    failures: int


@dataclass(slots=True)
class SourceStatus:
    """A source's state: ``up``, ``degraded`` (answering, not fully) or ``down``."""

    name: str
    kind: str
    status: str
    detail: str
    """The health check's own words (for operators; not shown to API clients)."""
    breaker: str
    breaker_retry_in_s: float
    breaker_trips: int
    consecutive_failures: int
    opened: bool
    in_flight: int
    queued: int
    health_latency_ms: float | None
    last_latency_ms: float | None
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    last_error_code: str | None
    last_error_at: float | None
    last_success_at: float | None
    members: list[MemberStatus] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (for ``/readyz``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "members"}
        if self.members:
            out["members"] = [
                {"name": m.name, "breaker": m.breaker, "failures": m.failures} for m in self.members
            ]
        return out


def _percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[min(98, max(0, round(q) - 1))]


def source_status(source: Source, health: Health) -> SourceStatus:
    """Combine a source's health check with the gateway's own view of it."""
    breaker = source.breaker.current()
    status = health.status
    if breaker is not BreakerState.CLOSED and status == "up":
        status = "degraded"
    if any(b.current() is not BreakerState.CLOSED for b in source.database_breakers.values()):
        status = "degraded" if status == "up" else status
    recent = list(source.recent_latency_ms)
    error = source.last_error
    return SourceStatus(
        name=source.name,
        kind=source.policy.kind,
        status=status,
        detail=health.detail,
        breaker=breaker.value,
        breaker_retry_in_s=round(source.breaker.retry_in_s(), 3),
        breaker_trips=source.breaker.trips,
        consecutive_failures=source.breaker.failures,
        opened=source.opened,
        in_flight=source.bulkhead.in_flight,
        queued=source.bulkhead.queued,
        health_latency_ms=health.latency_ms,
        last_latency_ms=source.last_latency_ms,
        p50_latency_ms=_percentile(recent, 50),
        p95_latency_ms=_percentile(recent, 95),
        last_error_code=error.code if error is not None else None,
        last_error_at=source.last_error_at,
        last_success_at=source.last_success_at,
        members=[
            MemberStatus(name=b.name, breaker=b.current().value, failures=b.failures)
            for b in source.database_breakers.values()
        ],
    )


async def check_sources(sources: Mapping[str, Source]) -> list[SourceStatus]:
    """Every source's status, health checks run in parallel (each bounded by its timeout)."""
    names = list(sources)
    healths = await asyncio.gather(*(sources[n].health() for n in names))
    return [source_status(sources[n], h) for n, h in zip(names, healths, strict=True)]


async def refresh_health(
    sources: Mapping[str, Source], max_age_s: float = HEALTH_MAX_AGE_S
) -> None:
    """Check again the opened sources whose last health check is older than ``max_age_s``
    (in parallel, each bounded by its timeout), so metrics drawn from health stay current."""
    now = time.monotonic()
    due = [
        source
        for source in sources.values()
        if source.opened
        and (source.health_checked_at is None or now - source.health_checked_at > max_age_s)
    ]
    await asyncio.gather(*(source.health() for source in due))


def readiness(statuses: Sequence[SourceStatus]) -> dict[str, Any]:
    """The ``/readyz`` body: ``ready`` when every source is up, else ``degraded``.

    The gateway serves in both cases (a source that is down only nulls its own fields), so
    the HTTP status stays 200; an orchestrator must not take the gateway out of service
    because one department is down.
    """
    ready = all(s.status == "up" for s in statuses)
    return {
        "status": "ready" if ready else "degraded",
        "sources": {s.name: s.as_dict() for s in statuses},
    }
