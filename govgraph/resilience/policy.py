"""Settings of the per-source resilience policy: retries and the circuit breaker."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BreakerSettings", "RetrySettings"]


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
