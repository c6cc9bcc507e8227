"""The breakers of a set's members decide which members a call leaves out or tries."""

from __future__ import annotations

import asyncio

from govgraph.resilience import Admission, BreakerSettings, BreakerState, MemberBreakers
from legacy_connectors.errors import CorruptRecordError, UpstreamUnavailableError

SETTINGS = BreakerSettings(failure_threshold=2, recovery_s=0.05)
DOWN = "parking/north"


def down() -> UpstreamUnavailableError:
    """The error a council database that cannot be reached reports."""
    return UpstreamUnavailableError("the service is unavailable", service=DOWN)


def tripped() -> MemberBreakers:
    """Member breakers where ``parking/north`` has failed twice (its breaker is open)."""
    members = MemberBreakers("parking", SETTINGS)
    for _ in range(2):
        members.observe({DOWN: down()}, members.admit())
    return members


async def half_open() -> MemberBreakers:
    """Tripped member breakers whose recovery time has passed."""
    members = tripped()
    await asyncio.sleep(members.breakers[DOWN].retry_in_s() + 0.01)
    return members


def test_open_member_is_skipped_by_its_configured_name() -> None:
    """An open member is in the admission's skipped set, named without the source prefix."""
    members = tripped()
    admission = members.admit()
    assert admission.skipped == {DOWN}
    assert members.skip_members(admission) == {"north"}
    assert members.breakers[DOWN].state is BreakerState.OPEN


def test_skipped_member_is_left_as_it_is() -> None:
    """The CIRCUIT_OPEN answered for a skipped member neither closes nor counts against it."""
    members = tripped()
    admission = members.admit()
    members.observe({}, admission)
    assert members.breakers[DOWN].state is BreakerState.OPEN
    assert members.breakers[DOWN].failures == 2


def test_record_level_error_does_not_open_a_member() -> None:
    """A corrupt record named after a member says the member answered: no breaker trips."""
    members = MemberBreakers("parking", SETTINGS)
    corrupt = CorruptRecordError("a record could not be decoded", service=DOWN)
    for _ in range(3):
        members.observe({DOWN: corrupt}, members.admit())
    assert members.admit() == Admission()
    assert members.breakers[DOWN].state is BreakerState.CLOSED


async def test_half_open_member_lets_one_trial_through_at_a_time() -> None:
    """After recovery one call tries the member; a concurrent call still leaves it out."""
    members = await half_open()
    first = members.admit()
    second = members.admit()
    assert first.trials == {DOWN} and not first.skipped
    assert second.skipped == {DOWN}


async def test_successful_trial_closes_the_member_breaker() -> None:
    """A trial call the member answers closes its breaker, so the next call is not a trial."""
    members = await half_open()
    members.observe({}, members.admit())
    assert members.breakers[DOWN].state is BreakerState.CLOSED
    assert members.admit() == Admission()


async def test_failed_trial_opens_the_member_breaker_again() -> None:
    """A trial call the member fails opens its breaker again for another recovery time."""
    members = await half_open()
    members.observe({DOWN: down()}, members.admit())
    assert members.breakers[DOWN].state is BreakerState.OPEN
    assert members.admit().skipped == {DOWN}


async def test_released_trial_lets_the_next_call_try() -> None:
    """A call that ended without an answer gives its trial slot back."""
    members = await half_open()
    members.release(members.admit())
    assert members.admit().trials == {DOWN}
