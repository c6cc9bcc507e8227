"""SQL write commands on every engine: legacy encodings, one transaction, deduplicated by id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fixtures.generate import generate
from fixtures.sqldb.testing import (
    ENGINES,
    SHARED_VRM,
    Deployment,
    add_shared_notices,
    deploy_population,
)
from fixtures.writes import commands
from legacy_connectors.errors import (
    ConfigurationError,
    InvalidInputError,
    LegacyError,
    RecordNotFoundError,
)
from legacy_connectors.sql import SqlConnector
from legacy_connectors.sql.commands import SqlCommand, ValueSpec, encode_value

NOW = datetime(2026, 3, 4, 5, 6, 7)


@pytest.fixture(scope="module", params=ENGINES)
async def writable(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    """A small population's SQL sources on one engine, for writing (dropped afterwards)."""
    engine: str = request.param
    population = generate(people=250, seed=5, noise="clean", as_of=date(2026, 1, 1))
    add_shared_notices(population)
    folder = tmp_path_factory.mktemp(f"sql-write-{engine}")
    async with deploy_population(engine, population, folder) as deployment:
        yield deployment


@pytest.fixture
async def open_source(
    writable: Deployment,
) -> AsyncIterator[Any]:
    opened: list[SqlConnector] = []

    def make(source: str) -> SqlConnector:
        options = writable.options(source, commands=commands(source, Path(".")))
        connector = SqlConnector.from_options(source, options)
        assert isinstance(connector, SqlConnector)
        opened.append(connector)
        return connector

    yield make
    for connector in opened:
        await connector.aclose()


def _shared(writable: Deployment) -> list[tuple[str, str, str]]:
    """(council name, PCN, schema variant) of the shared vehicle's notice from each council."""
    return [
        (c.name, f"{c.code}{90000000 + n}", c.engine_schema)
        for n, c in enumerate(writable.population.councils, start=1)
    ]


async def _notices(connector: SqlConnector) -> dict[str, dict[str, Any]]:
    [found] = await connector.load_many([SHARED_VRM])
    assert isinstance(found, list)
    return {r["pcn"]: r for r in found}


async def test_payment_in_each_schema_variant_is_applied_once(
    writable: Deployment, open_source: Any
) -> None:
    """Each council stores PAID and the amount its own way; a resent delivery changes nothing."""
    parking = open_source("parking")
    for council, pcn, variant in _shared(writable):
        payload = {"council": council, "pcn": pcn, "paid_total": "35.00"}
        first = await parking.submit("pay_penalty", payload, delivery_id=f"pay-{pcn}")
        assert first == {"outcome": "ACCEPTED", "database": council}, variant
        again = await parking.submit("pay_penalty", payload, delivery_id=f"pay-{pcn}")
        assert again["outcome"] == "DUPLICATE"
        with pytest.raises(InvalidInputError) as refused:
            await parking.submit("pay_penalty", payload, delivery_id=f"other-{pcn}")
        assert "changed 0 rows" in refused.value.message
    stored = await _notices(parking)
    assert {stored[pcn]["status"] for _, pcn, _ in _shared(writable)} == {"PAID"}
    assert {stored[pcn]["paid_amount"] for _, pcn, _ in _shared(writable)} == {Decimal("35.00")}


def _open_notices(writable: Deployment) -> list[tuple[str, str, str]]:
    """(council name, PCN, VRM) of payable notices other than the shared vehicle's."""
    names = {c.code: c.name for c in writable.population.councils}
    return [
        (names[n.council_code], n.pcn, n.vrm)
        for p in writable.population.people
        for n in p.penalty_notices
        if n.status in ("OPEN", "CHARGE_CERTIFICATE") and n.vrm != SHARED_VRM
    ]


async def test_concurrent_deliveries_of_one_payment_apply_it_once(
    writable: Deployment, open_source: Any
) -> None:
    """Ten at once with one delivery id: one ACCEPTED, nine DUPLICATE."""
    council, pcn, _ = _open_notices(writable)[0]
    parking = open_source("parking")
    payload = {"council": council, "pcn": pcn, "paid_total": "70.00"}
    outcomes = await asyncio.gather(
        *(parking.submit("pay_penalty", payload, delivery_id="same-id") for _ in range(10))
    )
    assert sorted(o["outcome"] for o in outcomes) == ["ACCEPTED"] + ["DUPLICATE"] * 9


async def test_concurrent_payments_with_their_own_ids_pay_an_open_notice_once(
    writable: Deployment, open_source: Any
) -> None:
    """Ten different delivery ids at once for one payable notice: exactly one is accepted."""
    council, pcn, vrm = _open_notices(writable)[1]
    parking = open_source("parking")
    payload = {"council": council, "pcn": pcn, "paid_total": "35.00"}
    outcomes = await asyncio.gather(
        *(parking.submit("pay_penalty", payload, delivery_id=f"race-{i}") for i in range(10)),
        return_exceptions=True,
    )
    accepted = [o for o in outcomes if isinstance(o, dict)]
    assert len(accepted) == 1, outcomes
    assert all(isinstance(o, InvalidInputError) for o in outcomes if not isinstance(o, dict))
    [found] = await parking.load_many([vrm])
    assert isinstance(found, list)
    [paid] = [r for r in found if r["pcn"] == pcn]
    assert (paid["status"], paid["paid_amount"]) == ("PAID", Decimal("35.00"))


async def test_address_change_and_renewal_in_the_passport_office(
    writable: Deployment, open_source: Any
) -> None:
    """CHAR columns padded, YYYYMMDD dates, a new application row; an unknown passport refused."""
    passports = open_source("passports")
    holder = next(p for p in writable.population.people if p.passport is not None)
    assert holder.passport is not None
    number = holder.passport.passport_number
    address = {"lines": ["9 Orchard Close"], "town": "Appleby", "postcode": "AP1 9OC"}
    change = {"passport_number": number, "address": address}
    assert (await passports.submit("change_address", change, delivery_id="move-1"))[
        "outcome"
    ] == "ACCEPTED"
    renewal = {"reference": "RN0000000001", "passport_number": number}
    assert (await passports.submit("apply_renewal", renewal, delivery_id="renew-1"))[
        "outcome"
    ] == "ACCEPTED"
    assert (await passports.submit("apply_renewal", renewal, delivery_id="renew-1"))[
        "outcome"
    ] == "DUPLICATE"
    [record] = await passports.load_many([number])
    assert isinstance(record, dict)
    assert (record["address_line1"], record["town"], record["postcode"]) == (
        "9 Orchard Close",
        "Appleby",
        "AP1 9OC",
    )
    [made] = [a for a in record["applications"] if a["reference"] == "RN0000000001"]
    assert made["status"] == "RECEIVED" and made["received"] == date.today()
    with pytest.raises(InvalidInputError):
        await passports.submit(
            "change_address", {**change, "passport_number": "000000000"}, delivery_id="move-2"
        )


async def test_bad_commands_are_typed_errors(writable: Deployment, open_source: Any) -> None:
    """Missing payload field, unknown council, command, table or column: typed errors."""
    parking = open_source("parking")
    council, pcn, _ = _shared(writable)[0]
    with pytest.raises(InvalidInputError) as missing:
        await parking.submit("pay_penalty", {"council": council, "pcn": pcn}, delivery_id="m")
    assert "'paid_total'" in missing.value.message
    with pytest.raises(RecordNotFoundError):
        await parking.submit(
            "pay_penalty", {"council": "Nowhere", "pcn": pcn, "paid_total": "1"}, delivery_id="n"
        )
    with pytest.raises(NotImplementedError):
        await parking.submit("no_such_command", {}, delivery_id="x")
    assert all(isinstance(e, LegacyError) for e in (missing.value,))
    wrong = writable.options(
        "passports",
        commands={
            "bad_table": {"statements": [{"action": "insert", "table": "NOPE", "values": {}}]},
            "bad_column": {
                "statements": [
                    {"action": "insert", "table": "PSPT_APPL", "values": {"NOPE": {"value": 1}}}
                ]
            },
        },
    )
    connector = SqlConnector.from_options("passports", wrong)
    try:
        for command, named in (("bad_table", "'NOPE'"), ("bad_column", "['NOPE']")):
            with pytest.raises(ConfigurationError) as bad:
                await connector.submit(command, {}, delivery_id=f"cfg-{command}")
            assert named in bad.value.message
    finally:
        await connector.aclose()


def test_values_are_encoded_as_the_legacy_columns_store_them() -> None:
    """Pence, CYYMMDD, YYYYMMDD, text dates, codes, slices and patterns."""
    payload = {"amount": "12.5", "day": "2025-01-31", "vrm": "AB12 CDE", "pcn": "EM12345678"}

    def enc(**spec: Any) -> Any:
        return encode_value(ValueSpec.model_validate(spec), payload, NOW, "C")

    assert enc(field="amount", type="decimal", scale=2) == 1250
    assert enc(field="amount", type="decimal", format="{:.2f}") == "12.50"
    assert enc(field="day", type="cyymmdd") == 1250131
    assert enc(field="day", type="yyyymmdd") == 20250131
    assert enc(field="day", type="date", format="%d/%m/%Y") == "31/01/2025"
    assert enc(now="date", type="yyyymmdd") == 20260304
    assert enc(field="vrm", pattern=" ", replace="") == "AB12CDE"
    assert enc(field="pcn", slice=[2, 10], type="int") == 12345678
    assert enc(value=["OPEN", "PAID"], type="code", values={"OPEN": "O", "PAID": "P"}) == [
        "O",
        "P",
    ]
    with pytest.raises(InvalidInputError) as bad:
        enc(value="GONE", type="code", values={"OPEN": "O"})
    assert "GONE" not in bad.value.message
    with pytest.raises(InvalidInputError):
        enc(field="vrm", type="int")
    with pytest.raises(ValueError):
        SqlCommand.model_validate(
            {"statements": [{"action": "update", "table": "T", "values": {}}]}
        )
