"""Operational status of each legacy source, as the gateway sees it (``Query.services``)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

__all__ = ["BreakerState", "DatabaseStatus", "Service", "ServiceStatus"]


@strawberry.enum(description="Whether a source is answering.")
class ServiceStatus(Enum):
    UP = strawberry.enum_value("up", description="Answering normally.")
    DEGRADED = strawberry.enum_value(
        "degraded",
        description="Answering, but not fully: some of its databases fail, its breaker is not "
        "closed, or it serves an older file than expected.",
    )
    DOWN = strawberry.enum_value("down", description="Not answering; its fields are null.")


@strawberry.enum(description="Where a source's circuit breaker is.")
class BreakerState(Enum):
    CLOSED = strawberry.enum_value("closed", description="Calls flow normally.")
    OPEN = strawberry.enum_value(
        "open", description="Calls fail at once with `CIRCUIT_OPEN` after repeated failures."
    )
    HALF_OPEN = strawberry.enum_value(
        "half_open", description="A trial call is allowed through to see if the source is back."
    )


@strawberry.type(description="One database of a source that reads a set of databases.")
class DatabaseStatus:
    name: str = strawberry.field(description="The database's service name, `source/database`.")
    breaker: BreakerState = strawberry.field(description="Its breaker's state.")
    consecutive_failures: int = strawberry.field(description="Failed calls since its last success.")


@strawberry.type(description="A legacy source behind the gateway and how it is doing.")
class Service:
    name: str = strawberry.field(description="The source's name, as in `extensions.service`.")
    kind: str = strawberry.field(description="Connector kind: `soap`, `flatfile`, `sql`, ...")
    status: ServiceStatus = strawberry.field(description="Whether it is answering.")
    breaker: BreakerState = strawberry.field(description="Its circuit breaker's state.")
    breaker_retry_in_seconds: float = strawberry.field(
        description="Seconds until an open breaker lets a trial call through (0 otherwise)."
    )
    consecutive_failures: int = strawberry.field(description="Failed calls since its last success.")
    calls_in_flight: int = strawberry.field(description="Calls being answered now.")
    calls_queued: int = strawberry.field(description="Calls waiting for a free slot (bulkhead).")
    last_latency_ms: float | None = strawberry.field(
        description="Duration of the last call, in milliseconds."
    )
    p50_latency_ms: float | None = strawberry.field(
        description="Median duration of recent calls, in milliseconds."
    )
    p95_latency_ms: float | None = strawberry.field(
        description="95th percentile duration of recent calls, in milliseconds."
    )
    last_error_code: str | None = strawberry.field(
        description="`extensions.code` of the last failed call, e.g. `UPSTREAM_TIMEOUT`."
    )
    last_error_at: datetime | None = strawberry.field(description="When the last call failed.")
    last_success_at: datetime | None = strawberry.field(description="When the last call succeeded.")
    databases: list[DatabaseStatus] = strawberry.field(
        description="Databases of a set that have failed at least once since start-up."
    )
