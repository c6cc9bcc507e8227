"""The SQL connector against real databases: batch reads, children, merges and failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fixtures.model import Population
from fixtures.sqldb.testing import SHARED_VRM, Deployment, server_url
from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import (
    ConfigurationError,
    CorruptRecordError,
    UpstreamUnavailableError,
)
from legacy_connectors.sql import SqlConnector

Open = Callable[[str, dict[str, Any]], SqlConnector]


def _forenames(given: str, middle: str) -> str:
    return f"{given} {middle}".strip().upper()


async def test_passports_match_population(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """Each passport comes back once, decoded, with its applications; unknown keys give None."""
    source = connect("passports", deployment.options("passports"))
    holders = [p.passport for p in sql_population.people if p.passport is not None]
    keys = [h.passport_number for h in holders] + ["000000000"]
    results = await source.load_many(keys)
    assert len(results) == len(keys)
    assert results[-1] is None
    for passport, record in zip(holders, results, strict=False):
        assert isinstance(record, dict)
        who = passport.identity
        assert record["passport_number"] == passport.passport_number
        assert record["surname"] == who.surname.upper()
        assert record["forenames"] == _forenames(who.given_name, who.middle_names)
        assert record["date_of_birth"] == who.date_of_birth
        assert record["postcode"] == who.address.postcode
        assert record["issue_date"] == passport.issue_date
        assert record["expiry_date"] == passport.expiry_date
        assert record["status"] == passport.status
        expected = sorted((a.received, a.reference, a.status) for a in passport.applications)
        got = [(a["received"], a["reference"], a["status"]) for a in record["applications"]]
        assert got == expected


async def test_licences_carry_endorsements_and_vehicles(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """Licences decode YYYYMMDD text and 1/2 sex codes; history rows and vehicles attach."""
    source = connect("vehicles", deployment.options("vehicles"))
    people = [p for p in sql_population.people if p.licence is not None]
    results = await source.load_many([p.licence.licence_number for p in people if p.licence])
    blank_tax_seen = False
    for person, record in zip(people, results, strict=True):
        assert isinstance(record, dict) and person.licence is not None
        assert record["date_of_birth"] == person.licence.identity.date_of_birth
        assert record["sex"] == person.licence.identity.sex
        assert record["status"] == person.licence.status
        endorsements = sorted(
            (e.offence_date, e.offence_code, e.points) for e in person.licence.endorsements
        )
        got = [(e["offence_date"], e["offence_code"], e["points"]) for e in record["endorsements"]]
        assert got == endorsements
        kept = {v.vrm: v for v in person.vehicles}
        assert {v["vrm"] for v in record["vehicles"]} == set(kept)
        for vehicle in record["vehicles"]:
            truth = kept[vehicle["vrm"]]
            assert vehicle["tax_expiry"] == truth.tax_expiry
            assert vehicle["mot_expiry"] == truth.mot_expiry
            assert vehicle["first_registered"] == truth.first_registered
            blank_tax_seen |= truth.tax_expiry is None
    assert blank_tax_seen


async def test_parking_merges_every_council(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """A VRM with notices at three councils (three schemas) gets all, each naming its council."""
    source = connect("parking", deployment.options("parking"))
    [records] = await source.load_many([SHARED_VRM.lower().replace(" ", "")])
    assert isinstance(records, list)
    names = {c.code: c.name for c in sql_population.councils}
    assert sorted(r["authority"] for r in records) == sorted(names.values())
    for record in records:
        assert names[record["pcn"][:2]] == record["authority"]
        assert record["vrm"] == SHARED_VRM
        assert record["contravention_code"] == "01"
        assert record["amount"] == Decimal("70.00")
        assert record["discount_amount"] == Decimal("35.00")
        assert record["discount_deadline"] == date(2025, 12, 15)
        assert record["issued_at"].replace(microsecond=0).isoformat() == "2025-12-01T09:30:05"
        assert record["status"] == "OPEN"
        assert record["paid_amount"] == Decimal("0.00")


async def test_parking_matches_every_notice(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """Every notice of the population is found by its VRM, with its status and amounts."""
    source = connect("parking", deployment.options("parking"))
    notices = {n.pcn: n for p in sql_population.people for n in p.penalty_notices}
    vrms = sorted({n.vrm for n in notices.values()})
    results = await source.load_many([*vrms, "ZZ99 ZZZ"])
    assert results[-1] == []
    found = {r["pcn"]: r for records in results if isinstance(records, list) for r in records}
    assert set(found) == set(notices)
    for pcn, notice in notices.items():
        record = found[pcn]
        assert record["vrm"] == notice.vrm
        assert record["status"] == notice.status
        assert record["amount"] == notice.amount
        assert record["paid_amount"] == notice.paid_amount
        assert record["discount_deadline"] == notice.discount_deadline
        assert record["keeper_postcode"] == notice.keeper.address.postcode


async def test_chunks_issue_one_query_per_council_per_chunk(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """With chunk_size 4, ten keys cost three queries per council and the results stay in order."""
    source = connect("parking", deployment.options("parking", chunk_size=4))
    vrms = [*sorted({v.vrm for p in sql_population.people for v in p.vehicles})[:9], SHARED_VRM]
    baseline = dict(source.queries)
    results = await source.load_many(vrms)
    assert all(count - baseline[name] == 3 for name, count in source.queries.items())
    assert len(results[-1]) == len(sql_population.councils)  # type: ignore[arg-type]


async def test_one_council_down_leaves_the_others(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """A stopped council database gives PartialRecords: the others' notices and one typed error."""
    options = deployment.options("parking")
    down = options["databases"][1]
    dead = (
        "sqlite:////nonexistent-directory/council.sqlite"
        if deployment.engine == "sqlite"
        else server_url(deployment.engine, "none", port=1)
    )
    options["databases"][1] = {**down, "url": dead}
    source = connect("parking", options)
    [result] = await source.load_many([SHARED_VRM])
    assert isinstance(result, PartialRecords)
    assert len(result.records) == len(sql_population.councils) - 1
    assert down["label"] not in {r["authority"] for r in result.records}
    [error] = result.errors
    assert isinstance(error, UpstreamUnavailableError)
    assert error.service == f"parking/{down['name']}"
    assert "SELECT" not in error.message and SHARED_VRM not in error.message
    health = await source.health()
    assert health.status == "degraded"


async def test_missing_column_names_the_mapping_key(deployment: Deployment, connect: Open) -> None:
    """A mapped column absent from the database is a ConfigurationError naming the field, no SQL."""
    options = deployment.options("passports")
    mapping = {**options["mapping"], "columns": dict(options["mapping"]["columns"])}
    mapping["columns"]["surname"] = {"column": "SURNAME_GONE", "type": "char"}
    source = connect("passports", {**options, "mapping": mapping})
    with pytest.raises(ConfigurationError) as caught:
        await source.load_many(["123456789"])
    assert "columns.surname" in caught.value.message
    assert "SELECT" not in caught.value.message
    assert caught.value.service == "passports"


async def test_unknown_code_fails_only_its_key(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """A status code the mapping does not know fails that key with CorruptRecordError only."""
    options = deployment.options("passports")
    mapping = {**options["mapping"], "columns": dict(options["mapping"]["columns"])}
    mapping["columns"]["status"] = {"column": "STAT_CD", "type": "code", "values": {"A": "VALID"}}
    source = connect("passports", {**options, "mapping": mapping})
    holders = [p.passport for p in sql_population.people if p.passport is not None]
    valid = next(h for h in holders if h.status == "VALID")
    other = next(h for h in holders if h.status != "VALID")
    good, bad = await source.load_many([valid.passport_number, other.passport_number])
    assert isinstance(good, dict) and good["status"] == "VALID"
    assert isinstance(bad, CorruptRecordError) and bad.service == "passports"
    assert "status" in bad.message


async def test_scan_yields_every_record(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """scan walks every key in batches; many-record sources give one pair per record."""
    passports = connect("passports", deployment.options("passports"))
    seen = [key async for batch in passports.scan(batch_size=25) for key, _ in batch]
    expected = sorted(p.passport.passport_number for p in sql_population.people if p.passport)
    assert sorted(seen) == expected
    parking = connect("parking", deployment.options("parking"))
    pairs = [pair async for batch in parking.scan(batch_size=4) for pair in batch]
    notices = [n for p in sql_population.people for n in p.penalty_notices]
    assert sorted(r["pcn"] for _, r in pairs) == sorted(n.pcn for n in notices)
    assert all(key == record["vrm"] for key, record in pairs)
