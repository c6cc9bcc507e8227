"""Resilience policy around legacy calls: circuit breakers, bulkheads and read retries."""

from __future__ import annotations

from govgraph.resilience.breaker import BreakerState, CircuitBreaker, counts_as_failure
from govgraph.resilience.bulkhead import Bulkhead
from govgraph.resilience.members import Admission, MemberBreakers
from govgraph.resilience.policy import BreakerSettings, RetrySettings
from govgraph.resilience.retry import READ_OPERATIONS, is_read, retry_read, should_retry

__all__ = [
    "READ_OPERATIONS",
    "Admission",
    "BreakerSettings",
    "BreakerState",
    "Bulkhead",
    "CircuitBreaker",
    "MemberBreakers",
    "RetrySettings",
    "counts_as_failure",
    "is_read",
    "retry_read",
    "should_retry",
]
