"""The citizen index on SQLite and PostgreSQL: batched reads, paging, link history, reviews."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from govgraph.index import (
    CitizenIndex,
    CitizenIndexError,
    CitizenProfile,
    IndexChanges,
    Link,
    Review,
    new_citizen_id,
)
from tests.index_stores import STORES, open_index

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture(params=STORES)
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CitizenIndex]:
    async with open_index(request.param, tmp_path, "index") as idx:
        yield idx


def _profile(cid: str, surname: str, source: str = "passports") -> CitizenProfile:
    return CitizenProfile(
        cid,
        "Ada",
        "Mary",
        surname,
        date(1980, 2, 3),
        ("1 High Street", "Flat 2"),
        "Northbridge",
        "NB1 2AB",
        source,
    )


def _link(cid: str, source: str, key: str, method: str = "exact:nino") -> Link:
    return Link(cid, source, key, method, 1.0, NOW, "test-1")


async def _seed(index: CitizenIndex) -> list[str]:
    ids = sorted(new_citizen_id() for _ in range(5))
    await index.apply(
        IndexChanges(
            new_citizens=[_profile(cid, f"Surname{i}") for i, cid in enumerate(ids)],
            new_links=[
                _link(ids[0], "tax", "AB123456A"),
                _link(ids[0], "parking", "AB12 CDE", "exact:vrm"),
                _link(ids[0], "parking", "XY65 ZZZ", "exact:vrm"),
                _link(ids[1], "tax", "CE654321B"),
                _link(ids[2], "passports", "123456789", "exact:surname_dob_postcode"),
            ],
        )
    )
    return ids


def test_citizen_ids_are_opaque_and_distinct() -> None:
    """Citizen ids are ``cz_`` and 20 base32 characters, and never repeat."""
    ids = {new_citizen_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 23 and i.startswith("cz_") and i[3:].isalnum() for i in ids)


async def test_keys_for_returns_every_requested_citizen(index: CitizenIndex) -> None:
    """``keys_for`` gives each citizen's keys in one source, several per citizen, [] if none."""
    ids = await _seed(index)
    got = await index.keys_for([ids[0], ids[1], ids[3], "cz_unknown"], "parking")
    assert got == {ids[0]: ["AB12 CDE", "XY65 ZZZ"], ids[1]: [], ids[3]: [], "cz_unknown": []}
    assert (await index.keys_for([ids[1]], "tax")) == {ids[1]: ["CE654321B"]}
    assert await index.keys_for([], "tax") == {}


async def test_profiles_round_trip(index: CitizenIndex) -> None:
    """Profiles come back with the stored display identity; unknown ids are absent."""
    ids = await _seed(index)
    got = await index.profiles([ids[2], "cz_unknown"])
    assert list(got) == [ids[2]]
    profile = got[ids[2]]
    assert (profile.surname, profile.date_of_birth, profile.address_lines) == (
        "Surname2",
        date(1980, 2, 3),
        ("1 High Street", "Flat 2"),
    )
    assert profile.source == "passports" and profile.created_at is not None
    assert profile.created_at.tzinfo is not None


async def test_page_is_stable_and_complete(index: CitizenIndex) -> None:
    """Paging by cursor visits every active citizen once, in id order, and ends."""
    ids = await _seed(index)
    seen: list[str] = []
    after: str | None = None
    while True:
        page, more = await index.page(2, after)
        seen += page
        if not more:
            break
        after = page[-1]
    assert seen == ids
    assert await index.page(0, None) == ([], True)


async def test_links_for_and_citizens_for(index: CitizenIndex) -> None:
    """Links carry method, score and version; a key maps back to its citizen."""
    ids = await _seed(index)
    got = await index.links_for([ids[0], ids[4]])
    assert [(x.source, x.key, x.method) for x in got[ids[0]]] == [
        ("parking", "AB12 CDE", "exact:vrm"),
        ("parking", "XY65 ZZZ", "exact:vrm"),
        ("tax", "AB123456A", "exact:nino"),
    ]
    assert got[ids[4]] == []
    assert got[ids[0]][0].linked_at == NOW and got[ids[0]][0].model_version == "test-1"
    assert await index.citizens_for("tax", ["AB123456A", "ZZ"]) == {"AB123456A": ids[0]}


async def test_held_with_links_reads_profile_and_links_together(index: CitizenIndex) -> None:
    """One read gives each held citizen's profile and active links (the same as ``profiles``
    and ``links_for`` give); a citizen without links has none; unknown ids are absent."""
    ids = await _seed(index)
    await index.apply(IndexChanges(withdrawals=[(ids[1], "tax", "CE654321B")]))
    asked = [ids[0], ids[1], ids[4], "cz_unknown"]
    got = await index.held_with_links(asked)
    assert set(got) == {ids[0], ids[1], ids[4]}
    profiles, links = await index.profiles(asked), await index.links_for(asked)
    for cid in got:
        profile, held = got[cid]
        assert profile == profiles[cid]
        assert held == links[cid]
    assert got[ids[1]][1] == [] and got[ids[4]][1] == []
    assert [(x.source, x.key) for x in got[ids[0]][1]] == [
        ("parking", "AB12 CDE"),
        ("parking", "XY65 ZZZ"),
        ("tax", "AB123456A"),
    ]
    assert await index.held_with_links([]) == {}


async def test_withdrawn_links_disappear_and_can_return(index: CitizenIndex) -> None:
    """A withdrawn link stops being read, a dormant citizen stops being paged, both can return."""
    ids = await _seed(index)
    await index.apply(
        IndexChanges(withdrawals=[(ids[1], "tax", "CE654321B")], dormant_citizens=[ids[1]])
    )
    assert await index.keys_for([ids[1]], "tax") == {ids[1]: []}
    assert ids[1] not in (await index.page(10, None))[0]
    counts = await index.counts()
    assert counts["links_withdrawn"] == 1 and counts["citizens"] == 4
    await index.apply(
        IndexChanges(
            new_links=[_link(ids[1], "tax", "CE654321B", "probabilistic")],
            profile_updates=[_profile(ids[1], "Renamed", "tax")],
        )
    )
    assert await index.keys_for([ids[1]], "tax") == {ids[1]: ["CE654321B"]}
    assert (await index.links_for([ids[1]]))[ids[1]][0].method == "probabilistic"
    assert (await index.profiles([ids[1]]))[ids[1]].surname == "Renamed"
    assert ids[1] in (await index.page(10, None))[0]
    assert len([x for x in await index.all_links() if x.citizen_id == ids[1]]) == 1


async def test_reviews_are_replaced_per_run(index: CitizenIndex) -> None:
    """Each run's reviews replace the open ones; each keeps its reason and candidate."""
    ids = await _seed(index)
    review = Review("passports", "987654321", "tax", "AB123456A", ids[0], 0.7, "twins?", "m1")
    await index.apply(IndexChanges(reviews=[review, review]))
    await index.apply(IndexChanges(reviews=[review]))
    got = await index.open_reviews()
    assert len(got) == 1
    assert (got[0].reason, got[0].candidate_citizen_id, got[0].score) == ("twins?", ids[0], 0.7)


async def test_caseworker_link_moves_a_key_and_resolves_reviews(index: CitizenIndex) -> None:
    """A caseworker link withdraws the key's other link and closes its reviews."""
    ids = await _seed(index)
    review = Review("passports", "123456789", "tax", "AB123456A", ids[0], 0.6, "why", "m1")
    await index.apply(IndexChanges(reviews=[review]))
    assert await index.link_by_caseworker(ids[0], "passports", "123456789") == ids[0]
    assert await index.citizens_for("passports", ["123456789"]) == {"123456789": ids[0]}
    assert await index.keys_for([ids[2]], "passports") == {ids[2]: []}
    assert await index.open_reviews() == []
    new = await index.link_by_caseworker(None, "vehicles", "SMITH801043J99AB")
    assert new.startswith("cz_") and new not in ids


async def test_closed_index_raises_a_named_error(tmp_path: Path) -> None:
    """Reading an index that is not open raises ``CitizenIndexError``."""
    idx = CitizenIndex(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(CitizenIndexError, match="not open"):
        await idx.keys_for(["cz_a"], "tax")
    await idx.aclose()


async def test_unreachable_database_raises_a_named_error(tmp_path: Path) -> None:
    """An index whose database cannot be opened raises ``CitizenIndexError`` on open."""
    idx = CitizenIndex(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    with pytest.raises(CitizenIndexError, match="could not open"):
        await idx.open()


async def test_batches_larger_than_the_parameter_limit(index: CitizenIndex) -> None:
    """A batch of 40,000 ids is answered in full (split into parts under the database limit)."""
    ids = await _seed(index)
    many = [f"cz_missing{i}" for i in range(40_000)] + [ids[0]]
    got = await index.keys_for(many, "tax")
    assert len(got) == 40_001 and got[ids[0]] == ["AB123456A"]
    assert list(await index.profiles(many)) == [ids[0]]


async def test_small_and_large_batches_read_the_same_values(index: CitizenIndex) -> None:
    """A request's few citizens (read on the calling thread on SQLite) and a batch past the
    inline limit (read through the pool) give equal profiles and links, types included: dates
    of birth as dates, timestamps as aware UTC datetimes."""
    ids = await _seed(index)
    filler = [f"cz_missing{i}" for i in range(500)]
    small = await index.held_with_links([ids[0], ids[2]])
    large = await index.held_with_links([ids[0], ids[2], *filler])
    assert small == large and set(small) == {ids[0], ids[2]}
    profile, held = small[ids[0]]
    assert profile.date_of_birth == date(1980, 2, 3)
    assert profile.created_at is not None and profile.created_at.tzinfo is not None
    assert held[0].linked_at == NOW and isinstance(held[0].score, float)
    assert await index.profiles([ids[1]]) == await index.profiles([ids[1], *filler])
    assert await index.links_for([ids[0]]) == {
        ids[0]: (await index.links_for([ids[0], *filler]))[ids[0]]
    }


async def test_a_later_read_sees_links_written_since_the_last(index: CitizenIndex) -> None:
    """Reads hold no snapshot between requests: a link written after a read is in the next."""
    ids = await _seed(index)
    assert (await index.held_with_links([ids[3]]))[ids[3]][1] == []
    await index.apply(IndexChanges(new_links=[_link(ids[3], "benefits", "BN-9")]))
    assert [(x.source, x.key) for x in (await index.held_with_links([ids[3]]))[ids[3]][1]] == [
        ("benefits", "BN-9")
    ]
    await index.apply(IndexChanges(withdrawals=[(ids[3], "benefits", "BN-9")]))
    assert (await index.held_with_links([ids[3]]))[ids[3]][1] == []
