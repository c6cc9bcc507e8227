"""Linkage decisions on hand-written tricky records, and re-runs that keep citizen ids stable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fixtures.population.records import MemoryConnector
from govgraph.index import CitizenIndex
from govgraph.linkage import LinkReport, ScanFailed
from govgraph.linkage import link as run_link
from legacy_connectors.base import Connector, Record
from legacy_connectors.errors import UpstreamUnavailableError
from tests.index_stores import STORES, open_index

DOB = date(1990, 5, 6)
HOME = ("12 Mill Lane", "Northbridge", "NB4 2PQ")
OLD_HOME = ("3 Quarry Road", "Westvale", "WV9 1XY")


def tax(
    nino: str,
    given: str,
    surname: str,
    *,
    middle: str = "",
    sex: str = "F",
    dob: date = DOB,
    home: tuple[str, str, str] = HOME,
) -> tuple[str, Record]:
    return nino, {
        "Nino": nino,
        "Utr": None,
        "Name": {"Title": "Ms", "GivenName": given, "MiddleNames": middle, "FamilyName": surname},
        "DateOfBirth": dob,
        "Sex": sex,
        "Address": {"Line": [home[0]], "Town": home[1], "PostCode": home[2]},
    }


def benefit(
    nino: str,
    forenames: str,
    surname: str,
    *,
    sex: str = "F",
    dob: date = DOB,
    home: tuple[str, str, str] = HOME,
) -> tuple[str, Record]:
    return nino, {
        "NINO": nino,
        "SURNAME": surname.upper(),
        "FORENAMES": forenames.upper(),
        "DATE_OF_BIRTH": dob.year * 10000 + dob.month * 100 + dob.day,
        "SEX": sex,
        "ADDRESS_LINE": [home[0].upper()],
        "POST_TOWN": home[1].upper(),
        "POSTCODE": home[2],
    }


def person(
    key_field: str,
    key: str,
    forenames: str,
    surname: str,
    *,
    sex: str = "F",
    dob: date = DOB,
    home: tuple[str, str, str] = HOME,
    **extra: Any,
) -> tuple[str, Record]:
    return key, {
        key_field: key,
        "surname": surname.upper(),
        "forenames": forenames.upper(),
        "date_of_birth": dob,
        "sex": sex,
        "address_line1": home[0].upper(),
        "town": home[1].upper(),
        "postcode": home[2],
        **extra,
    }


def passport(number: str, forenames: str, surname: str, **kw: Any) -> tuple[str, Record]:
    return person("passport_number", number, forenames, surname, **kw)


def licence(
    number: str, forenames: str, surname: str, vrms: Sequence[str] = (), **kw: Any
) -> tuple[str, Record]:
    return person(
        "licence_number", number, forenames, surname, vehicles=[{"vrm": v} for v in vrms], **kw
    )


def notice(vrm: str, pcn: str, surname: str, postcode: str) -> tuple[str, Record]:
    return vrm, {
        "pcn": pcn,
        "vrm": vrm,
        "authority": "NB",
        "keeper_surname": surname.upper(),
        "keeper_forenames": "",
        "keeper_postcode": postcode,
    }


def sources(**records: list[tuple[str, Record]]) -> dict[str, Connector]:
    return {name: MemoryConnector(name, rows) for name, rows in records.items()}


_ENGINE = ["memory"]
"""The engine the running test links with (set by the ``index`` fixture)."""


async def link(*args: Any, **kwargs: Any) -> LinkReport:
    return await run_link(*args, engine=_ENGINE[0], **kwargs)


@pytest.fixture(params=[*STORES, pytest.param("sqlite-duckdb", id="sqlite-duckdb")])
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CitizenIndex]:
    """The index on every store, linked in process; and on SQLite, linked by DuckDB."""
    store, _, engine = str(request.param).partition("-")
    _ENGINE[0] = engine or "memory"
    async with open_index(store, tmp_path, "linkage") as idx:
        yield idx
    _ENGINE[0] = "memory"


async def citizen(index: CitizenIndex, source: str, key: str) -> str | None:
    return (await index.citizens_for(source, [key])).get(key)


async def test_twins_are_not_merged(index: CitizenIndex) -> None:
    """Twins (same surname, date of birth and address) each keep their own records."""
    await link(
        sources(
            tax=[
                tax("AB123456A", "Anna", "Price", middle="Clare"),
                tax("CE654321B", "Emma", "Price", middle="Jane"),
            ],
            passports=[
                passport("100000001", "Anna Clare", "Price"),
                passport("100000002", "Emma Jane", "Price"),
            ],
            vehicles=[licence("PRICE955060AC9AB", "Anna Clare", "Price")],
        ),
        index,
    )
    anna, emma = await citizen(index, "tax", "AB123456A"), await citizen(index, "tax", "CE654321B")
    assert anna and emma and anna != emma
    assert await citizen(index, "passports", "100000001") == anna
    assert await citizen(index, "passports", "100000002") == emma
    assert await citizen(index, "vehicles", "PRICE955060AC9AB") == anna


async def test_twin_without_own_records_is_not_given_the_others(index: CitizenIndex) -> None:
    """A twin's passport is never linked to the other twin's tax record."""
    await link(
        sources(
            tax=[tax("AB123456A", "Anna", "Price")],
            passports=[passport("100000002", "Emma", "Price")],
        ),
        index,
    )
    anna = await citizen(index, "tax", "AB123456A")
    emma = await citizen(index, "passports", "100000002")
    assert anna and emma and anna != emma
    assert await index.open_reviews() == []


async def test_similar_twin_names_are_ambiguous_not_guessed(index: CitizenIndex) -> None:
    """Katherine's passport with twins Katherine and Catherine goes to review, unlinked."""
    report = await link(
        sources(
            tax=[tax("AB123456A", "Katherine", "Price"), tax("CE654321B", "Catherine", "Price")],
            passports=[passport("100000001", "Katherine", "Price")],
        ),
        index,
    )
    assert report.reviews == 2
    pp = await citizen(index, "passports", "100000001")
    assert pp not in {
        await citizen(index, "tax", "AB123456A"),
        await citizen(index, "tax", "CE654321B"),
    }
    reviews = await index.open_reviews()
    assert {r.candidate_key for r in reviews} | {r.key for r in reviews} >= {
        "100000001",
        "AB123456A",
        "CE654321B",
    }
    assert all("within" in r.reason for r in reviews)


async def test_name_change_on_marriage_is_linked(index: CitizenIndex) -> None:
    """A married surname in one department still links on given names, birth date, address."""
    await link(
        sources(
            tax=[tax("AB123456A", "Sarah", "Jones", middle="Louise")],
            passports=[passport("100000001", "Sarah Louise", "Smith")],
        ),
        index,
    )
    cid = await citizen(index, "tax", "AB123456A")
    assert cid and await citizen(index, "passports", "100000001") == cid
    links = {x.source: x for x in (await index.links_for([cid]))[cid]}
    assert links["passports"].method == "exact:passport"
    assert links["tax"].method == "probabilistic"
    assert links["tax"].score >= 0.995


async def test_nickname_with_an_old_address_known_elsewhere_is_linked(
    index: CitizenIndex,
) -> None:
    """Bill at an old address links when the person's benefits record holds that address."""
    await link(
        sources(
            tax=[tax("AB123456A", "William", "Brown", sex="M")],
            benefits=[benefit("AB123456A", "William", "Brown", sex="M", home=OLD_HOME)],
            passports=[passport("100000001", "Bill", "Brown", sex="M", home=OLD_HOME)],
        ),
        index,
    )
    cid = await citizen(index, "tax", "AB123456A")
    assert cid and await citizen(index, "benefits", "AB123456A") == cid
    assert await citizen(index, "passports", "100000001") == cid


async def test_nickname_with_an_unknown_old_postcode_goes_to_review(index: CitizenIndex) -> None:
    """Bill at a postcode no other record knows is kept for a caseworker, not linked."""
    await link(
        sources(
            tax=[tax("AB123456A", "William", "Brown", sex="M")],
            passports=[passport("100000001", "Bill", "Brown", sex="M", home=OLD_HOME)],
        ),
        index,
    )
    william = await citizen(index, "tax", "AB123456A")
    bill = await citizen(index, "passports", "100000001")
    assert william and bill and william != bill
    [review] = await index.open_reviews()
    assert review.candidate_citizen_id in {william, bill}
    assert 0.5 <= review.score < 0.995 and "below" in review.reason


async def test_day_month_swap_is_linked(index: CitizenIndex) -> None:
    """A date of birth with day and month swapped still links when all else agrees."""
    await link(
        sources(
            tax=[tax("AB123456A", "Anna", "Price")],
            passports=[passport("100000001", "Anna", "Price", dob=date(1990, 6, 5))],
        ),
        index,
    )
    assert await citizen(index, "passports", "100000001") == await citizen(
        index, "tax", "AB123456A"
    )


async def test_exact_rule_and_parking_through_vrm(index: CitizenIndex) -> None:
    """Surname, birth date and postcode link exactly; a notice links through the kept VRM."""
    report = await link(
        sources(
            tax=[tax("AB123456A", "Anna", "Price")],
            vehicles=[licence("PRICE955060A99AB", "Anna", "Price", vrms=["AB12 CDE"])],
            parking=[
                notice("AB12 CDE", "NB00000001", "Price", HOME[2]),
                notice("AB12 CDE", "NB00000002", "Price", HOME[2]),
                notice("ZZ99 ZZZ", "NB00000003", "Nobody", "WV1 1AA"),
            ],
        ),
        index,
    )
    cid = await citizen(index, "tax", "AB123456A")
    assert cid and await index.keys_for([cid], "parking") == {cid: ["AB12 CDE"]}
    links = {x.source: x for x in (await index.links_for([cid]))[cid]}
    assert links["vehicles"].method == "exact:surname_dob_postcode"
    assert links["parking"].method == "exact:vrm"
    assert (report.attached["parking"], report.unattached["parking"]) == (1, 1)


async def test_rerun_keeps_ids_and_withdraws_unsupported_links(index: CitizenIndex) -> None:
    """Re-running keeps every citizen id; a key gone from its source is withdrawn."""
    rows = {
        "tax": [tax("AB123456A", "Anna", "Price"), tax("CE654321B", "Omar", "Ali", sex="M")],
        "passports": [passport("100000001", "Anna", "Price")],
    }
    first = await link(sources(**rows), index)
    assert first.citizens == {"new": 2, "dormant": 0}
    anna = await citizen(index, "tax", "AB123456A")
    omar = await citizen(index, "tax", "CE654321B")
    again = await link(sources(**rows), index)
    assert again.links == {"kept": 3} and again.citizens == {"kept": 2, "dormant": 0}
    assert await citizen(index, "tax", "AB123456A") == anna
    rows["passports"] = []
    rows["tax"] = rows["tax"][:1]
    third = await link(sources(**rows), index)
    assert third.links == {"updated": 1, "withdrawn": 2}
    assert third.citizens == {"kept": 1, "dormant": 1}
    assert await citizen(index, "tax", "AB123456A") == anna
    assert await citizen(index, "passports", "100000001") is None
    withdrawn = [x for x in await index.all_links() if x.status == "withdrawn"]
    assert {(x.source, x.key) for x in withdrawn} == {
        ("passports", "100000001"),
        ("tax", "CE654321B"),
    }
    assert omar not in (await index.page(10, None))[0]


class _Down(MemoryConnector):
    async def scan(self, batch_size: int = 1000) -> AsyncIterator[list[tuple[str, Record]]]:
        raise UpstreamUnavailableError("tax service unavailable", service="tax")
        yield []  # pragma: no cover


async def test_a_source_that_cannot_be_read_keeps_its_links(index: CitizenIndex) -> None:
    """When a source's scan fails and its department may be missing, its existing links stay
    active and the error is reported."""
    rows = [tax("AB123456A", "Anna", "Price")]
    await link(sources(tax=rows, passports=[passport("100000001", "Anna", "Price")]), index)
    cid = await citizen(index, "tax", "AB123456A")
    report = await link(
        {"tax": _Down("tax", rows), **sources(passports=[passport("100000001", "Anna", "Price")])},
        index,
        allow_missing={"tax"},
    )
    assert "tax" in report.errors and "unavailable" in report.errors["tax"]
    assert "unavailable" in report.missing["tax"]
    assert await citizen(index, "tax", "AB123456A") == cid
    assert await citizen(index, "passports", "100000001") == cid


async def test_a_source_that_cannot_be_read_fails_the_run_and_writes_nothing(
    index: CitizenIndex,
) -> None:
    """Without ``allow_missing``, a failed scan raises ``ScanFailed`` naming the department and
    the index keeps every link it had."""
    rows = [tax("AB123456A", "Anna", "Price")]
    await link(sources(tax=rows, passports=[passport("100000001", "Anna", "Price")]), index)
    before = sorted((x.citizen_id, x.source, x.key) for x in await index.all_links())
    with pytest.raises(ScanFailed) as caught:
        await link(
            {"tax": _Down("tax", rows), **sources(passports=[passport("100000009", "Bo", "Li")])},
            index,
        )
    assert list(caught.value.failures) == ["tax"]
    assert "unavailable" in caught.value.failures["tax"]
    assert sorted((x.citizen_id, x.source, x.key) for x in await index.all_links()) == before


async def test_caseworker_decision_survives_a_rerun(index: CitizenIndex) -> None:
    """A caseworker's link of a reviewed passport is kept by later runs."""
    rows = {
        "tax": [tax("AB123456A", "William", "Brown", sex="M")],
        "passports": [passport("100000001", "Bill", "Brown", sex="M", home=OLD_HOME)],
    }
    await link(sources(**rows), index)
    william = await citizen(index, "tax", "AB123456A")
    assert william is not None
    await index.link_by_caseworker(william, "passports", "100000001")
    await link(sources(**rows), index)
    assert await citizen(index, "passports", "100000001") == william
    links = {x.source: x for x in (await index.links_for([william]))[william]}
    assert links["passports"].method == "caseworker"


async def test_report_serialises(index: CitizenIndex) -> None:
    """The report has a JSON form with every count and a readable summary."""
    report = await link(sources(tax=[tax("AB123456A", "Anna", "Price")], other=[]), index)
    figures = report.to_json()
    assert figures["sources"]["tax"] == {"records": 1, "skipped": 0}
    assert figures["ignored_sources"] == ["other"]
    assert "linked in" in report.summary()
    assert f"engine {_ENGINE[0]}" in report.summary()
    assert report.to_json()["engine"] == _ENGINE[0]


async def test_one_departments_typo_does_not_keep_agreeing_records_apart(
    index: CitizenIndex,
) -> None:
    """Douglas in tax and passports links although benefits (same NINO) spells him Douglsa."""
    await link(
        sources(
            tax=[tax("AB123456A", "Douglas", "Begum", middle="Richard", sex="M")],
            benefits=[benefit("AB123456A", "Douglsa Richard", "Begum", sex="M")],
            passports=[passport("100000001", "Douglas Richard", "Begum", sex="M")],
            vehicles=[licence("BEGUM905060DR9AB", "Doug Richard", "Begum", sex="M")],
        ),
        index,
    )
    cid = await citizen(index, "tax", "AB123456A")
    assert cid and await citizen(index, "passports", "100000001") == cid
    assert await citizen(index, "vehicles", "BEGUM905060DR9AB") == cid
    assert await index.open_reviews() == []


async def test_a_keyboard_slip_beside_a_nickname_is_linked(index: CitizenIndex) -> None:
    """Tax Hohn Edwards, passport John and licence Jack (same birth date and home) are one man."""
    await link(
        sources(
            tax=[tax("AB123456A", "Hohn", "Edwards", sex="M")],
            passports=[passport("100000001", "John", "Edwards", sex="M")],
            vehicles=[licence("EDWAR905060J99AB", "Jack", "Edwards", sex="M")],
        ),
        index,
    )
    cid = await citizen(index, "tax", "AB123456A")
    assert cid and await citizen(index, "passports", "100000001") == cid
    assert await citizen(index, "vehicles", "EDWAR905060J99AB") == cid


@pytest.mark.parametrize(
    ("typed", "short"),
    [("Eichard", "Rich"), ("Liiz", "Elizabeth"), ("Jooey", "Joseph"), ("Kiim", "Kimberly")],
)
async def test_a_typo_of_a_nickname_is_linked(index: CitizenIndex, typed: str, short: str) -> None:
    """A typo in one name and a nickname (or the formal name) in the other still agree."""
    await link(
        sources(
            tax=[tax("AB123456A", typed, "Chambers", middle="Ann")],
            passports=[passport("100000001", f"{short} Ann", "Chambers")],
        ),
        index,
    )
    cid = await citizen(index, "tax", "AB123456A")
    assert cid and await citizen(index, "passports", "100000001") == cid


async def test_transposed_surname_letters_with_a_dropped_middle_name_are_linked(
    index: CitizenIndex,
) -> None:
    """Dennis Hcapman (no middle name) and Dennis Paul Chapman, same birth date, are linked."""
    await link(
        sources(
            tax=[tax("AB123456A", "Dennis", "Chapman", middle="Paul", sex="M")],
            benefits=[benefit("AB123456A", "Denis Paul", "Chapman", sex="M")],
            passports=[passport("100000001", "Dennis", "Hcapman", sex="M")],
        ),
        index,
    )
    cid = await citizen(index, "tax", "AB123456A")
    assert cid and await citizen(index, "passports", "100000001") == cid


async def test_a_twins_typo_does_not_bridge_to_the_other_twin(index: CitizenIndex) -> None:
    """Anna's benefits typo (Anan) does not let Emma's passport join Anna's records."""
    await link(
        sources(
            tax=[tax("AB123456A", "Anna", "Price"), tax("CE654321B", "Emma", "Price")],
            benefits=[benefit("AB123456A", "Anan", "Price")],
            passports=[passport("100000002", "Emma", "Price")],
            vehicles=[licence("PRICE955060A99AB", "Anna", "Price")],
        ),
        index,
    )
    anna, emma = await citizen(index, "tax", "AB123456A"), await citizen(index, "tax", "CE654321B")
    assert anna and emma and anna != emma
    assert await citizen(index, "passports", "100000002") == emma
    assert await citizen(index, "vehicles", "PRICE955060A99AB") == anna
