"""The circuit breaker on its own, on a hand-driven clock: opening, trials, late answers."""

from __future__ import annotations

import asyncio

import pytest

from govgraph.resilience import BreakerSettings, BreakerState, CircuitBreaker, counts_as_failure
from legacy_connectors.errors import (
    CircuitOpenError,
    CorruptRecordError,
    InvalidInputError,
    NotAuthorisedError,
    ProtocolError,
    RecordNotFoundError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

Change = tuple[str, BreakerState, BreakerState]


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _breaker(
    clock: Clock, changes: list[Change] | None = None, **settings: object
) -> CircuitBreaker:
    defaults: dict[str, object] = {"failure_threshold": 3, "recovery_s": 5.0}

    def on_change(name: str, old: BreakerState, new: BreakerState) -> None:
        if changes is not None:
            changes.append((name, old, new))

    return CircuitBreaker(
        "tax",
        BreakerSettings.model_validate({**defaults, **settings}),
        on_change=on_change,
        clock=clock,
    )


def _open(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.settings.failure_threshold):
        assert breaker.acquire() is False
        breaker.failure()
    assert breaker.current() is BreakerState.OPEN


def test_consecutive_failures_open_the_breaker_and_a_success_resets_the_count() -> None:
    """Three failures in a row open it; a success between failures starts the count again."""
    clock = Clock()
    changes: list[Change] = []
    breaker = _breaker(clock, changes)
    assert breaker.changed_at == 1000.0 and breaker.opened_at is None
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    assert breaker.current() is BreakerState.CLOSED and breaker.trips == 0
    assert changes == []
    clock.now = 1001.0
    breaker.failure()
    assert breaker.current() is BreakerState.OPEN
    assert breaker.trips == 1
    assert breaker.opened_at == 1001.0 and breaker.changed_at == 1001.0
    assert changes == [("tax", BreakerState.CLOSED, BreakerState.OPEN)]


def test_an_open_breaker_refuses_naming_the_service_and_the_wait() -> None:
    """While open, acquire raises CircuitOpenError with the service and seconds to the trial."""
    clock = Clock()
    breaker = _breaker(clock)
    _open(breaker)
    assert breaker.retry_in_s() == 5.0
    clock.now += 2.0
    assert breaker.retry_in_s() == 3.0
    with pytest.raises(CircuitOpenError) as caught:
        breaker.acquire()
    assert caught.value.service == "tax"
    assert caught.value.code == "CIRCUIT_OPEN"
    assert caught.value.detail == "breaker open; next trial in 3.0s"
    assert caught.value.message == "the service is temporarily suspended after repeated failures"


def test_the_breaker_turns_half_open_exactly_when_recovery_has_passed() -> None:
    """A hair before recovery_s it is still open; at recovery_s it reads half-open, 0 s to wait."""
    clock = Clock()
    changes: list[Change] = []
    breaker = _breaker(clock, changes)
    _open(breaker)
    clock.now += 4.999
    assert breaker.current() is BreakerState.OPEN
    assert breaker.retry_in_s() == pytest.approx(0.001)
    clock.now += 0.001
    assert breaker.retry_in_s() == 0.0
    assert breaker.current() is BreakerState.HALF_OPEN
    assert breaker.retry_in_s() == 0.0
    assert breaker.changed_at == clock.now
    assert changes[-1] == ("tax", BreakerState.OPEN, BreakerState.HALF_OPEN)
    assert breaker.trips == 1


def test_a_closed_breaker_has_nothing_to_wait_for() -> None:
    """retry_in_s is 0 for a breaker that never opened."""
    breaker = _breaker(Clock())
    assert breaker.retry_in_s() == 0.0


def test_half_open_trials_are_capped_and_a_released_slot_is_reused() -> None:
    """With two trial slots, two calls get through as trials, the third fails fast until one
    of them gives its slot back."""
    clock = Clock()
    breaker = _breaker(clock, half_open_calls=2)
    _open(breaker)
    clock.now += 5.0
    assert breaker.acquire() is True
    assert breaker.acquire() is True
    with pytest.raises(CircuitOpenError) as caught:
        breaker.acquire()
    assert caught.value.detail == "breaker half_open; next trial in 0.0s"
    breaker.release(trial=True)
    assert breaker.acquire() is True
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    assert breaker.current() is BreakerState.HALF_OPEN


def test_a_single_trial_slot_is_given_back_by_release() -> None:
    """With one trial slot, a released trial lets the next call through as a trial."""
    clock = Clock()
    breaker = _breaker(clock, half_open_calls=1)
    _open(breaker)
    clock.now += 5.0
    assert breaker.acquire() is True
    breaker.release(trial=True)
    assert breaker.acquire() is True
    with pytest.raises(CircuitOpenError):
        breaker.acquire()


def test_a_trial_that_says_nothing_about_the_upstream_gives_its_slot_back() -> None:
    """A trial ending in NotImplementedError or CircuitOpenError frees its slot, state unchanged."""
    clock = Clock()
    breaker = _breaker(clock, half_open_calls=1)
    _open(breaker)
    clock.now += 5.0
    for error in (NotImplementedError("no writes"), CircuitOpenError("member open")):
        assert breaker.acquire() is True
        breaker.record(error, trial=True)
        assert breaker.current() is BreakerState.HALF_OPEN
    assert breaker.acquire() is True


def test_a_failed_trial_reopens_and_counts_a_new_trip() -> None:
    """A trial that fails sends the breaker back to open for another recovery_s; trips is 2."""
    clock = Clock()
    changes: list[Change] = []
    breaker = _breaker(clock, changes)
    _open(breaker)
    clock.now += 5.0
    assert breaker.acquire() is True
    clock.now += 0.5
    breaker.record(UpstreamTimeoutError("slow"), trial=True)
    assert breaker.current() is BreakerState.OPEN
    assert breaker.trips == 2
    assert breaker.opened_at == clock.now
    assert breaker.retry_in_s() == 5.0
    assert [new for _, _, new in changes] == [
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
    ]


def test_a_good_trial_closes_the_breaker() -> None:
    """A trial that succeeds closes the breaker; later calls are not trials."""
    clock = Clock()
    changes: list[Change] = []
    breaker = _breaker(clock, changes)
    _open(breaker)
    clock.now += 5.0
    assert breaker.acquire() is True
    breaker.record(None, trial=True)
    assert breaker.current() is BreakerState.CLOSED
    assert breaker.failures == 0
    assert changes[-1] == ("tax", BreakerState.HALF_OPEN, BreakerState.CLOSED)
    assert breaker.acquire() is False


def test_a_late_success_of_a_call_admitted_before_opening_keeps_it_open() -> None:
    """A call let through while closed that answers after the breaker opened does not close it."""
    clock = Clock()
    breaker = _breaker(clock)
    assert breaker.acquire() is False
    _open(breaker)
    clock.now += 1.0
    breaker.record(None)
    breaker.success()
    assert breaker.current() is BreakerState.OPEN
    assert breaker.trips == 1
    with pytest.raises(CircuitOpenError):
        breaker.acquire()


def test_a_late_answer_while_half_open_closes_it() -> None:
    """Once recovery_s has passed, any good answer from the upstream closes the breaker."""
    clock = Clock()
    breaker = _breaker(clock)
    assert breaker.acquire() is False
    _open(breaker)
    clock.now += 5.0
    assert breaker.current() is BreakerState.HALF_OPEN
    breaker.success(trial=False)
    assert breaker.current() is BreakerState.CLOSED


def test_a_late_failure_of_a_call_admitted_while_half_open_reopens_it() -> None:
    """A failure reported while half-open reopens the breaker, trial or not."""
    clock = Clock()
    breaker = _breaker(clock)
    _open(breaker)
    clock.now += 5.0
    assert breaker.current() is BreakerState.HALF_OPEN
    breaker.failure(trial=False)
    assert breaker.current() is BreakerState.OPEN
    assert breaker.trips == 2


@pytest.mark.parametrize(
    "error",
    [
        UpstreamTimeoutError("slow"),
        UpstreamUnavailableError("down"),
        UpstreamBusyError("busy"),
        ProtocolError("garbled answer"),
        OSError("connection reset"),
        RuntimeError("the connector crashed"),
        ValueError("unparsable answer"),
    ],
)
def test_errors_that_say_the_upstream_is_unwell_trip_it(error: Exception) -> None:
    """Timeouts, unavailability, busy, protocol errors and unexpected exceptions count."""
    assert counts_as_failure(error)
    breaker = _breaker(Clock(), failure_threshold=1)
    assert breaker.acquire() is False
    breaker.record(error)
    assert breaker.current() is BreakerState.OPEN


@pytest.mark.parametrize(
    "error",
    [
        RecordNotFoundError("no such key"),
        CorruptRecordError("one bad record"),
        InvalidInputError("bad input"),
        NotAuthorisedError("bad credentials"),
    ],
)
def test_errors_about_one_request_are_answers_not_failures(error: Exception) -> None:
    """A missing or corrupt record, bad input or rejected credentials: the upstream answered."""
    assert not counts_as_failure(error)
    breaker = _breaker(Clock(), failure_threshold=2)
    breaker.failure()
    breaker.record(error)
    breaker.failure()
    assert breaker.current() is BreakerState.CLOSED
    assert breaker.failures == 1


@pytest.mark.parametrize(
    "error",
    [
        CircuitOpenError("another breaker"),
        NotImplementedError("capability missing"),
        asyncio.CancelledError(),
        KeyboardInterrupt(),
    ],
)
def test_outcomes_that_say_nothing_about_the_upstream_change_nothing(
    error: BaseException,
) -> None:
    """A call cut short by cancellation, an open breaker or a missing capability neither counts
    as a failure nor as a success."""
    assert not counts_as_failure(error)
    breaker = _breaker(Clock(), failure_threshold=2)
    breaker.failure()
    breaker.record(error)
    assert breaker.failures == 1
    breaker.failure()
    assert breaker.current() is BreakerState.OPEN


def test_a_disabled_breaker_never_opens() -> None:
    """With enabled = false no number of failures opens it and no call is a trial."""
    breaker = _breaker(Clock(), enabled=False, failure_threshold=1)
    for _ in range(5):
        assert breaker.acquire() is False
        breaker.record(UpstreamTimeoutError("slow"))
    assert breaker.current() is BreakerState.CLOSED
    assert breaker.trips == 0


def test_a_call_admitted_before_opening_gives_back_no_trial_slot() -> None:
    """While half-open with its one trial in flight, releasing an older call frees no slot."""
    clock = Clock()
    breaker = _breaker(clock, half_open_calls=1)
    assert breaker.acquire() is False
    _open(breaker)
    clock.now += 5.0
    assert breaker.acquire() is True
    breaker.release()
    with pytest.raises(CircuitOpenError):
        breaker.acquire()


def test_one_good_trial_closes_it_even_after_another_trial_failed() -> None:
    """Two trials in flight: the first fails (reopening the breaker), the second succeeds and
    closes it, with nothing left to wait for."""
    clock = Clock()
    breaker = _breaker(clock, half_open_calls=2)
    _open(breaker)
    clock.now += 5.0
    assert breaker.acquire() is True
    assert breaker.acquire() is True
    breaker.record(UpstreamTimeoutError("slow"), trial=True)
    assert breaker.current() is BreakerState.OPEN
    breaker.record(None, trial=True)
    assert breaker.current() is BreakerState.CLOSED
    assert breaker.retry_in_s() == 0.0
    assert breaker.trips == 2
