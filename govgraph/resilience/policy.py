"""Settings of the gateway's policy for one source: timeouts, limits, retries, the breaker."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govgraph.resilience.coalesce import CoalesceSettings
from govgraph.resilience.stale import StaleSettings

__all__ = [
    "BreakerSettings",
    "ChaosSettings",
    "CoalesceSettings",
    "RetrySettings",
    "SourceSettings",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class RetrySettings(_Model):
    """Retries of reads (``load_many``, ``scan``, ``health``) after a retriable error.

    Writes are never retried. Waits grow exponentially with full jitter; a service that says
    it is busy and when to come back (``UpstreamBusyError.retry_after_s``) is not called before
    then. No retry starts if its wait would pass the call's or the request's deadline.
    """

    max_retries: int = Field(default=2, ge=0, le=10)
    """Further attempts after the first one fails with a retriable error (0 turns retries off)."""
    backoff_initial_s: float = Field(default=0.05, ge=0)
    """Upper bound of the wait before the first retry (each wait is drawn from 0 to the bound)."""
    backoff_max_s: float = Field(default=1.0, ge=0)
    """Largest upper bound a wait may grow to (the bound doubles after each retry)."""
    max_retry_after_s: float = Field(default=5.0, ge=0)
    """Longest a service's own "retry after" is honoured; a longer one is not retried."""


class BreakerSettings(_Model):
    """A circuit breaker: after repeated failures, calls fail fast until a trial call succeeds."""

    enabled: bool = True
    """Whether this source has a breaker."""
    failure_threshold: int = Field(default=5, ge=1)
    """Consecutive failed calls (timeouts, unavailability, busy or unusable answers) that open
    the breaker."""
    recovery_s: float = Field(default=5.0, gt=0)
    """How long an open breaker fails calls fast before letting trial calls through."""
    half_open_calls: int = Field(default=1, ge=1)
    """Trial calls let through at once while half-open; one success closes the breaker."""


class ChaosSettings(_Model):
    """Fault injection for drills and benchmarks (off unless set), like a proxy's fault filter."""

    latency_ms: float = Field(default=0.0, ge=0)
    """Delay added before every call to this source."""


class SourceSettings(_Model):
    """One legacy source: which connector kind serves it, and the gateway's policy for it."""

    kind: str
    """Connector kind, e.g. ``soap``, ``flatfile``, ``sql`` or a plugin's name."""
    timeout_s: float = Field(default=5.0, gt=0)
    """Longest one call may take in total: queueing, every attempt and the waits between them
    (never past the request's deadline)."""
    read_timeout_s: float | None = Field(default=None, gt=0)
    """Longest one attempt may wait for an answer; ``timeout_s`` when unset."""
    connect_timeout_s: float = Field(default=10.0, gt=0)
    """Longest opening the connector may take (at start-up, and when reopening later)."""
    health_timeout_s: float = Field(default=2.0, gt=0)
    scan_page_timeout_s: float = Field(default=60.0, gt=0)
    """Longest one page of a scan may take (a whole-source read for linkage or statistics pages
    through the source; each page gets this deadline instead of ``timeout_s``)."""
    scan_page_retries: int = Field(default=2, ge=0, le=10)
    """Further attempts at a scan page that failed with a retriable error (the scan restarts
    and skips the pages already read); then the scan fails and names the source."""
    """Longest a readiness check of this source may take."""
    max_concurrency: int = Field(default=16, ge=1)
    """Most calls in flight to this source at once (a bulkhead)."""
    max_queue: int = Field(default=256, ge=0)
    """Most calls waiting for a slot when ``max_concurrency`` are in flight; more are refused
    at once (``UPSTREAM_BUSY``), and a waiting call gives up at its deadline."""
    retries: RetrySettings = Field(default_factory=RetrySettings)
    """Retries of reads after retriable errors (writes are never retried)."""
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)
    """The circuit breaker of this source."""
    stale: StaleSettings = Field(default_factory=StaleSettings)
    """Serving last-known data, marked stale, while the source cannot answer (off by default)."""
    coalesce: CoalesceSettings = Field(default_factory=CoalesceSettings)
    """Concurrent reads sharing one upstream call once the source is busy (on by default)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """The connector kind's own settings."""
    chaos: ChaosSettings = Field(default_factory=ChaosSettings)
    """Fault injection (drills only)."""
