"""A circuit breaker (closed, open, half-open) for one upstream or one database of a set."""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

from govgraph.resilience.policy import BreakerSettings
from legacy_connectors.errors import (
    CircuitOpenError,
    LegacyError,
    ProtocolError,
    RetriableError,
)

__all__ = ["BreakerState", "CircuitBreaker", "counts_as_failure"]


class BreakerState(enum.Enum):
    """Where a breaker is: calls flow (closed), fail fast (open) or are being tried (half-open)."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


STATE_VALUE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}
"""The breaker state as a number (for the Prometheus gauge)."""


def _says_nothing(exc: BaseException) -> bool:
    """Whether a call's end tells nothing about the upstream: it was cancelled or interrupted
    (not an ``Exception``), another breaker refused it, or the connector lacks the capability."""
    return not isinstance(exc, Exception) or isinstance(exc, CircuitOpenError | NotImplementedError)


def counts_as_failure(exc: BaseException) -> bool:
    """Whether an error says the upstream is unwell: a retriable or protocol error, or any
    unexpected exception; not one bad key or request, nor a call that says nothing."""
    if _says_nothing(exc):
        return False
    if isinstance(exc, LegacyError):
        return isinstance(exc, RetriableError | ProtocolError)
    return True


StateListener = Callable[[str, BreakerState, BreakerState], None]


class CircuitBreaker:
    """Counts consecutive failures of calls to one upstream and suspends calls after too many.

    Use :meth:`acquire` before a call (raises :class:`CircuitOpenError` while open), then
    exactly one of :meth:`success`, :meth:`failure` or :meth:`release` (the call was not made
    or its outcome says nothing about the upstream).
    """

    def __init__(
        self,
        name: str,
        settings: BreakerSettings,
        *,
        on_change: StateListener | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.settings = settings
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.opened_at: float | None = None
        self.changed_at = clock()
        self.trips = 0
        """How many times the breaker has opened."""
        self._trials = 0
        """Trial calls in flight; counted only while half-open (every change of state resets it)."""
        self._clock = clock
        self._on_change = on_change

    def _move(self, state: BreakerState) -> None:
        if state is self.state:
            return
        old, self.state = self.state, state
        self.changed_at = self._clock()
        self._trials = 0
        if state is BreakerState.OPEN:
            self.opened_at = self.changed_at
            self.trips += 1
        if self._on_change is not None:
            self._on_change(self.name, old, state)

    def current(self) -> BreakerState:
        """The state now (an open breaker whose recovery time has passed reads half-open)."""
        if self.state is BreakerState.OPEN and self.retry_in_s() <= 0:
            self._move(BreakerState.HALF_OPEN)
        return self.state

    def retry_in_s(self) -> float:
        """Seconds until an open breaker lets a trial call through (0 when not open)."""
        if self.state is not BreakerState.OPEN or self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.settings.recovery_s - self._clock())

    def acquire(self) -> bool:
        """Permit a call or raise :class:`CircuitOpenError`; True when the call is a trial."""
        if not self.settings.enabled:
            return False
        state = self.current()
        if state is BreakerState.CLOSED:
            return False
        if state is BreakerState.HALF_OPEN and self._trials < self.settings.half_open_calls:
            self._trials += 1
            return True
        raise CircuitOpenError(
            "the service is temporarily suspended after repeated failures",
            service=self.name,
            detail=f"breaker {state.value}; next trial in {self.retry_in_s():.1f}s",
        )

    def success(self, trial: bool = False) -> None:
        """The call succeeded: the upstream is answering.

        A trial's success closes the breaker (one good trial is enough); so does any success
        while half-open. A success of a call let through before the breaker opened does not.
        """
        self.failures = 0
        if self.state is not BreakerState.CLOSED and (
            trial or self.state is BreakerState.HALF_OPEN
        ):
            self._move(BreakerState.CLOSED)

    def failure(self, trial: bool = False) -> None:
        """The call failed in a way that says the upstream is unwell (a trial or not: any failure
        while half-open reopens the breaker)."""
        if not self.settings.enabled:
            return
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN or self.failures >= self.settings.failure_threshold:
            self._move(BreakerState.OPEN)

    def release(self, trial: bool = False) -> None:
        """The permitted call was not made, or its outcome says nothing about the upstream."""
        if trial:
            self._trials = max(0, self._trials - 1)

    def record(self, exc: BaseException | None, trial: bool = False) -> None:
        """Record a call's outcome: ``None`` for success, else the error it ended with."""
        if exc is not None and _says_nothing(exc):
            self.release(trial)
        elif exc is None or not counts_as_failure(exc):
            self.success(trial)
        else:
            self.failure(trial)
