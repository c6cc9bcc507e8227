"""Retries of reads only: exponential backoff with full jitter, honouring "busy, retry after".

Only the operations in :data:`READ_OPERATIONS` are ever retried: asking twice for the same
records is harmless, sending a write twice is not. A future write method (say ``submit``) goes
through the same policy with one attempt.

The first attempt is made directly (no retry machinery on the fast path); only after it fails
with a retriable error do retries run, under ``tenacity``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)
from tenacity.stop import stop_base

from govgraph.resilience.policy import RetrySettings
from legacy_connectors.errors import CircuitOpenError, RetriableError, UpstreamBusyError

__all__ = ["READ_OPERATIONS", "is_read", "retry_read", "should_retry"]

T = TypeVar("T")

READ_OPERATIONS = frozenset({"load_many", "scan", "health", "aggregate", "distinct_keys"})
"""Operations that only read and so may be retried; every other operation is tried once."""


def is_read(operation: str) -> bool:
    """Whether ``operation`` may be retried."""
    return operation in READ_OPERATIONS


def should_retry(exc: BaseException, settings: RetrySettings) -> bool:
    """Whether asking again may help: retriable errors, except an open breaker or a long busy."""
    if not isinstance(exc, RetriableError) or isinstance(exc, CircuitOpenError):
        return False
    if isinstance(exc, UpstreamBusyError) and exc.retry_after_s is not None:
        return exc.retry_after_s <= settings.max_retry_after_s
    return True


def backoff_s(retry_number: int, exc: BaseException | None, settings: RetrySettings) -> float:
    """The wait before retry ``retry_number`` (1 for the first retry) after ``exc``."""
    bound = min(settings.backoff_max_s, settings.backoff_initial_s * 2 ** (retry_number - 1))
    wait = random.uniform(0, bound)
    if isinstance(exc, UpstreamBusyError) and exc.retry_after_s is not None:
        wait = max(wait, exc.retry_after_s)
    return wait


class _Wait:
    def __init__(self, settings: RetrySettings, first: BaseException) -> None:
        self.settings = settings
        self.first = first

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else self.first
        return backoff_s(state.attempt_number + 1, exc, self.settings)


class _StopAtDeadline(stop_base):
    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __call__(self, state: RetryCallState) -> bool:
        return time.monotonic() + state.upcoming_sleep >= self.deadline


async def retry_read(
    attempt: Callable[[], Awaitable[T]],
    first: BaseException,
    settings: RetrySettings,
    deadline: float,
    on_retry: Callable[[BaseException], None] | None = None,
) -> T:
    """Retry ``attempt`` after its first try failed with ``first``; re-raise the last error.

    Retries stop after ``settings.max_retries``, at the first error that should not be retried,
    or when the next wait would pass ``deadline`` (monotonic seconds).
    """
    if settings.max_retries == 0 or not should_retry(first, settings):
        raise first
    wait = backoff_s(1, first, settings)
    if time.monotonic() + wait >= deadline:
        raise first
    if on_retry is not None:
        on_retry(first)
    await asyncio.sleep(wait)

    def notify(state: RetryCallState) -> None:
        if on_retry is not None and state.outcome is not None:
            exc = state.outcome.exception()
            if exc is not None:
                on_retry(exc)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(settings.max_retries) | _StopAtDeadline(deadline),
        wait=_Wait(settings, first),
        retry=retry_if_exception(lambda exc: should_retry(exc, settings)),
        before_sleep=notify,
        reraise=True,
    )

    async def again() -> T:
        return await attempt()

    return await retrying(again)
