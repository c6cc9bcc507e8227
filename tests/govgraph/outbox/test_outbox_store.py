"""The outbox store: idempotency claims, leases after a crash, and claiming due deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govgraph.outbox import (
    DELIVERED,
    RETRYING,
    IdempotencyConflict,
    NewDelivery,
    Outbox,
    backoff_s,
    new_id,
)
from govgraph.settings import settings_from_mapping


@pytest.fixture
async def outbox(tmp_path: Path) -> AsyncIterator[Outbox]:
    store = Outbox(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite'}", lease_s=0.3, wait_s=5)
    await store.open()
    yield store
    await store.aclose()


async def test_a_key_runs_once_and_later_requests_get_the_first_result(outbox: Outbox) -> None:
    """The first claim runs; concurrent ones wait and get its result; other arguments refused."""
    first = await outbox.begin_mutation("c1", "op", "key-1", "hash-a")
    assert first.fresh
    waiting = asyncio.gather(
        *(outbox.begin_mutation("c1", "op", "key-1", "hash-a") for _ in range(5))
    )
    await asyncio.sleep(0.05)
    await outbox.finish_mutation(first.mutation_id, {"answer": 42})
    for claim in await waiting:
        assert (claim.fresh, claim.result, claim.mutation_id) == (
            False,
            {"answer": 42},
            first.mutation_id,
        )
    with pytest.raises(IdempotencyConflict):
        await outbox.begin_mutation("c1", "op", "key-1", "hash-b")
    other_citizen = await outbox.begin_mutation("c2", "op", "key-1", "hash-b")
    assert other_citizen.fresh


async def test_a_mutation_left_running_by_a_dead_gateway_is_taken_over_with_its_id(
    outbox: Outbox,
) -> None:
    """After the lease, the next request runs it again under the same mutation id."""
    first = await outbox.begin_mutation("c1", "op", "key-2", "h")
    await asyncio.sleep(0.4)
    again = await outbox.begin_mutation("c1", "op", "key-2", "h")
    assert again.fresh and again.mutation_id == first.mutation_id


async def test_an_abandoned_mutation_frees_its_key(outbox: Outbox) -> None:
    """A refused request keeps nothing: the key starts afresh with a new id."""
    first = await outbox.begin_mutation("c1", "op", "key-3", "h")
    await outbox.abandon_mutation(first.mutation_id)
    again = await outbox.begin_mutation("c1", "op", "key-3", "other")
    assert again.fresh and again.mutation_id != first.mutation_id


async def test_deliveries_are_claimed_once_per_lease_and_retried_after_backoff(
    outbox: Outbox,
) -> None:
    """A claimed delivery is not claimed again until its lease ends; failures wait to retry."""
    mutation = await outbox.begin_mutation("c1", "changeAddress", "key-4", "h")
    planned = [
        NewDelivery(new_id(), "TAX", "tax", "change_address", {"nino": "AB123456C"}),
        NewDelivery(new_id(), "PASSPORTS", "passports", "change_address", {"n": "1"}),
    ]
    change_id = new_id()
    address = {"lines": ["1 A Street"], "town": "T", "postcode": "AB1 2CD"}
    await outbox.record_address_change(
        mutation.mutation_id, "c1", address, planned, {"id": change_id}
    )
    claimed = await outbox.claim_due(10)
    assert {d.id for d in claimed} == {d.id for d in planned}
    assert await outbox.claim_due(10) == []
    await outbox.mark_delivered(planned[0].id, "ACCEPTED")
    await outbox.mark_failed(planned[1].id, "UPSTREAM_UNAVAILABLE: down", retry_in_s=0.5)
    assert await outbox.claim_due(10) == []
    await asyncio.sleep(0.6)
    [retry] = await outbox.claim_due(10)
    assert (retry.id, retry.status, retry.attempts) == (planned[1].id, RETRYING, 1)
    change = await outbox.address_change(change_id)
    assert change is not None
    statuses = {d.id: d.status for d in change.deliveries}
    assert statuses[planned[0].id] == DELIVERED
    assert (await outbox.latest_addresses(["c1", "c2"])) == {"c1": address}
    assert await outbox.pending_count() == 1


def test_backoff_doubles_up_to_its_cap() -> None:
    """1, 2, 4 ... seconds, never above the maximum; `[outbox]` and the environment set it."""
    settings = settings_from_mapping(
        {"outbox": {"backoff_max_s": 5}},
        environ={"GOVGRAPH__OUTBOX__CONCURRENCY": "2"},
        check_sources=False,
    ).outbox
    assert [backoff_s(n, settings) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert settings.concurrency == 2
