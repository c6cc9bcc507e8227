"""Review decisions in the citizen index, on SQLite and PostgreSQL: decided once, confirm moves
the record (its former citizen goes dormant when left with nothing), reject links nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from govgraph.index import CitizenIndex, CitizenProfile, IndexChanges, Link, Review
from tests.index_stores import STORES, open_index

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
A, B, C = "cz_aaaaaaaaaaaaaaaaaaaa", "cz_bbbbbbbbbbbbbbbbbbbb", "cz_cccccccccccccccccccc"


@pytest.fixture(params=STORES)
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CitizenIndex]:
    async with open_index(request.param, tmp_path, "reviews") as idx:
        yield idx


def _profile(cid: str) -> CitizenProfile:
    return CitizenProfile(cid, "Ada", "", "Lovelace", date(1980, 2, 3), (), "", "NB1 2AB", "tax")


async def _seed(index: CitizenIndex) -> list[int]:
    """A holds only passport 123456789; B holds a NINO and passport 987654321; C a licence.
    Two reviews propose passport 123456789 for B's citizen, one proposes the licence."""
    await index.apply(
        IndexChanges(
            new_citizens=[_profile(A), _profile(B), _profile(C)],
            new_links=[
                Link(A, "passports", "123456789", "probabilistic", 0.99, NOW, "m1"),
                Link(B, "tax", "AB123456A", "exact:nino", 1.0, NOW, "m1"),
                Link(B, "passports", "987654321", "exact:nino", 1.0, NOW, "m1"),
                Link(C, "vehicles", "LOVEL802030A99AB", "exact:licence", 1.0, NOW, "m1"),
            ],
            reviews=[
                Review("passports", "123456789", "tax", "AB123456A", B, 0.98, "below", "m1"),
                Review("passports", "123456789", "vehicles", "X", C, 0.97, "below", "m1"),
                Review("vehicles", "LOVEL802030A99AB", "tax", "AB123456A", B, 0.9, "b", "m1"),
            ],
        )
    )
    return [r.id or 0 for r in await index.open_reviews()]


async def test_confirm_moves_the_record_and_leaves_its_former_citizen_dormant(
    index: CitizenIndex,
) -> None:
    """Confirming links the key to the citizen by hand, withdraws its other link, closes the
    key's other open reviews as resolved, and a citizen left with no link goes dormant."""
    first, second, third = await _seed(index)
    assert await index.confirm_review(first, B) is True
    assert await index.citizens_for("passports", ["123456789"]) == {"123456789": B}
    held = {(x.source, x.key, x.method) for x in (await index.links_for([B]))[B]}
    assert ("passports", "123456789", "caseworker") in held
    statuses = [getattr(await index.review(i), "status", None) for i in (first, second, third)]
    assert statuses == ["confirmed", "resolved", "open"]
    ids, _ = await index.page(10, None)
    assert A not in ids and B in ids and C in ids


async def test_reject_closes_the_review_and_changes_no_link(index: CitizenIndex) -> None:
    """Rejecting closes only that review; every link stays as it was."""
    first, second, third = await _seed(index)
    before = await index.all_links()
    assert await index.reject_review(first) is True
    assert await index.all_links() == before
    assert getattr(await index.review(first), "status", None) == "rejected"
    assert [r.id for r in await index.open_reviews()] == [second, third]


async def test_a_review_is_decided_once(index: CitizenIndex) -> None:
    """A decided or unknown review cannot be confirmed or rejected (``False``, no change)."""
    first, _, _ = await _seed(index)
    assert await index.reject_review(first) is True
    links = await index.all_links()
    assert await index.confirm_review(first, B) is False
    assert await index.reject_review(first) is False
    assert await index.all_links() == links
    assert await index.review(999_999) is None
    assert await index.confirm_review(999_999, B) is False
    assert await index.reject_review(999_999) is False


async def test_concurrent_confirms_of_one_review_succeed_once(index: CitizenIndex) -> None:
    """Several confirms of one review at once: exactly one wins, one caseworker link results."""
    first, _, _ = await _seed(index)
    outcomes = await asyncio.gather(*(index.confirm_review(first, B) for _ in range(6)))
    assert sorted(outcomes) == [False] * 5 + [True]
    moved = [x for x in await index.all_links() if x.key == "123456789" and x.status == "active"]
    assert [(x.citizen_id, x.method) for x in moved] == [(B, "caseworker")]


async def test_a_later_run_does_not_raise_a_decided_pair_again(index: CitizenIndex) -> None:
    """A linkage run's reviews leave out pairs a caseworker rejected or confirmed (either way
    round); other pairs are raised as usual."""
    first, _, third = await _seed(index)
    assert await index.reject_review(first) is True
    assert await index.confirm_review(third, B) is True
    again = [
        Review("passports", "123456789", "tax", "AB123456A", B, 0.98, "below", "m2"),
        Review("tax", "AB123456A", "vehicles", "LOVEL802030A99AB", B, 0.9, "b", "m2"),
        Review("passports", "123456789", "vehicles", "X", C, 0.97, "below", "m2"),
    ]
    await index.apply(IndexChanges(reviews=again))
    pending = [(r.source, r.candidate_source, r.model_version) for r in await index.open_reviews()]
    assert pending == [("passports", "vehicles", "m2")]
