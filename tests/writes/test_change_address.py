"""`changeAddress` over HTTP: recorded once, delivered to every department, read back."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import citizen_id_for, gql
from tests.harness import RunningGateway
from tests.writes.departments import (
    benefits_transactions,
    council_postcodes,
    passport_address,
    tax_changes,
    tax_record_address,
)
from tests.writes.stores import held_keys

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHANGE = """
mutation Move($address: AddressInput!, $key: String!) {
  changeAddress(newAddress: $address, idempotencyKey: $key) {
    id complete deliveries { department authority status attempts lastError }
  }
}
"""
TRACK = """
query Track($id: ID!) {
  addressChange(id: $id) {
    id complete address { lines town postcode }
    deliveries { department authority status attempts lastError deliveredAt }
  }
}
"""
ME = "query { me { address { lines town postcode } } }"


def _everywhere(population: Any) -> Any:
    """A person held by tax, benefits, the passport office and a council."""
    return next(
        p
        for p in population.people
        if p.tax is not None and p.benefits and p.passport is not None and p.penalty_notices
    )


def _taxpayers(population: Any, count: int, skip: int) -> list[Any]:
    """``count`` people held by tax, after ``skip`` of them, never the everywhere persona."""
    persona = _everywhere(population)
    people = [p for p in population.people if p.tax is not None and p is not persona]
    return people[skip : skip + count]


async def wait_delivered(
    client: httpx.AsyncClient, headers: dict[str, str], change_id: str
) -> dict[str, Any]:
    """Poll `addressChange` until every delivery is done (at most about a minute)."""
    for _ in range(600):
        body = await gql(client, TRACK, {"id": change_id}, headers)
        change = body["data"]["addressChange"]
        if change["complete"]:
            return change  # type: ignore[no-any-return]
        await asyncio.sleep(0.1)
    raise AssertionError(f"deliveries not done: {change['deliveries']}")


async def test_a_change_reaches_every_department_once_and_reads_see_it(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient, write_tax_url: str
) -> None:
    """Tax (SOAP), benefits (input batch), passports and councils (SQL) each get it once."""
    person = _everywhere(write_gateway.population)
    index_url = write_gateway.settings.gateway.index_url
    cid = await citizen_id_for(index_url, "tax", person.tax.nino)
    assert cid is not None
    held = await held_keys(index_url, cid)
    headers = write_gateway.headers("citizen", cid)
    address = {"lines": ["12 Quayside Row", "Flat 3"], "town": "Harbourton", "postcode": "hx9 4qt"}
    key = uuid.uuid4().hex

    first = await gql(write_client, CHANGE, {"address": address, "key": key}, headers)
    assert "errors" not in first, first["errors"]
    change_id = first["data"]["changeAddress"]["id"]
    again = await gql(write_client, CHANGE, {"address": address, "key": key}, headers)
    assert again["data"]["changeAddress"]["id"] == change_id

    change = await wait_delivered(write_client, headers, change_id)
    departments = {d["department"] for d in change["deliveries"]}
    assert {"TAX", "BENEFITS", "PASSPORTS", "PARKING"} <= departments
    assert all(d["status"] == "DELIVERED" and d["lastError"] is None for d in change["deliveries"])
    assert change["address"]["postcode"] == "HX9 4QT"

    delivery_count = {d["department"]: 0 for d in change["deliveries"]}
    for d in change["deliveries"]:
        delivery_count[d["department"]] += 1
    for nino in held["tax"]:
        applied = tax_changes(write_gateway.data_dir, nino)
        assert len(applied) == 1 and applied[0]["Address"]["PostCode"] == "HX9 4QT"
        seen = await tax_record_address(write_gateway.data_dir, write_tax_url, nino)
        assert (seen["PostCode"], seen["Town"]) == ("HX9 4QT", "Harbourton")
    for nino in held.get("benefits", []):
        records = await benefits_transactions(write_gateway.data_dir, nino)
        assert len(records) == 1
        assert (records[0]["POSTCODE"], records[0]["ADDRESS_LINE"][0]) == (
            "HX9 4QT",
            "12 Quayside Row",
        )
    for number in held["passports"]:
        assert await passport_address(write_gateway.data_dir, number) == (
            "12 Quayside Row",
            "Harbourton",
            "HX9 4QT",
        )
    postcodes = await council_postcodes(write_gateway.data_dir, held["parking"])
    assert postcodes and all(codes == {"HX9 4QT"} for codes in postcodes.values())
    assert delivery_count["PARKING"] == len(postcodes)

    me = await gql(write_client, ME, None, headers)
    assert me["data"]["me"]["address"] == {
        "lines": ["12 Quayside Row", "Flat 3"],
        "town": "Harbourton",
        "postcode": "HX9 4QT",
    }


async def test_a_malformed_address_gets_typed_errors_and_records_nothing(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """A bad postcode and an empty line: one error per field, no change recorded."""
    [person] = _taxpayers(write_gateway.population, 1, skip=2)
    cid = await citizen_id_for(write_gateway.settings.gateway.index_url, "tax", person.tax.nino)
    assert cid is not None
    headers = write_gateway.headers("citizen", cid)
    before = await gql(write_client, ME, None, headers)
    bad = {"lines": [""], "town": "Harbourton", "postcode": "NOT A CODE"}
    body = await gql(write_client, CHANGE, {"address": bad, "key": uuid.uuid4().hex}, headers)
    assert body["data"] is None
    found = sorted((e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"])
    assert found == [
        ("INVALID_ADDRESS_LINES", "newAddress.lines"),
        ("INVALID_POSTCODE", "newAddress.postcode"),
    ]
    assert await gql(write_client, ME, None, headers) == before


async def test_another_citizens_change_is_not_found(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """`addressChange` shows a change only to the citizen who reported it."""
    people = _taxpayers(write_gateway.population, 2, skip=0)
    index_url = write_gateway.settings.gateway.index_url
    ids = [await citizen_id_for(index_url, "tax", p.tax.nino) for p in people]
    assert None not in ids
    address = {"lines": ["1 Mill Lane"], "town": "Oxbridge", "postcode": "OX1 2AB"}
    mine = await gql(
        write_client,
        CHANGE,
        {"address": address, "key": uuid.uuid4().hex},
        write_gateway.headers("citizen", ids[0]),
    )
    change_id = mine["data"]["changeAddress"]["id"]
    theirs = await gql(
        write_client, TRACK, {"id": change_id}, write_gateway.headers("citizen", ids[1])
    )
    assert theirs["data"] is None
    assert theirs["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_failing_department_is_retried_with_backoff_until_it_has_it(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient, write_tax_url: str
) -> None:
    """Tax faults: its delivery shows RETRYING with the error; once it recovers, it has it."""
    [person] = _taxpayers(write_gateway.population, 1, skip=3)
    cid = await citizen_id_for(write_gateway.settings.gateway.index_url, "tax", person.tax.nino)
    assert cid is not None
    headers = write_gateway.headers("citizen", cid)
    address = {"lines": ["3 Weir Cottages"], "town": "Fenbridge", "postcode": "FB2 9WC"}
    async with httpx.AsyncClient(base_url=write_tax_url) as tax_admin:
        (await tax_admin.post("/admin/faults", json={"mode": "failing"})).raise_for_status()
        try:
            body = await gql(
                write_client, CHANGE, {"address": address, "key": uuid.uuid4().hex}, headers
            )
            change_id = body["data"]["changeAddress"]["id"]
            for _ in range(300):
                track = await gql(write_client, TRACK, {"id": change_id}, headers)
                [tax] = [
                    d
                    for d in track["data"]["addressChange"]["deliveries"]
                    if d["department"] == "TAX"
                ]
                if tax["attempts"] >= 2:
                    break
                await asyncio.sleep(0.1)
            assert tax["status"] == "RETRYING" and tax["attempts"] >= 2
            assert tax["lastError"] and tax["lastError"].startswith("UPSTREAM_")
            assert tax_changes(write_gateway.data_dir, person.tax.nino) == []
        finally:
            (await tax_admin.post("/admin/faults", json={"mode": "ok"})).raise_for_status()
    change = await wait_delivered(write_client, headers, change_id)
    [tax] = [d for d in change["deliveries"] if d["department"] == "TAX"]
    assert tax["attempts"] >= 3 and tax["lastError"] is None
    assert len(tax_changes(write_gateway.data_dir, person.tax.nino)) == 1
