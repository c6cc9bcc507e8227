"""`changeAddress` over HTTP refuses what any department cannot hold, naming the department."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.api.helpers import citizen_id_for, gql
from tests.harness import RunningGateway
from tests.writes.stores import held_keys, holds_exactly, snapshot
from tests.writes.test_change_address import CHANGE, wait_delivered

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONFIRMED = """
mutation Move($address: AddressInput!, $key: String!) {
  changeAddress(newAddress: $address, idempotencyKey: $key) {
    id address { lines town postcode }
  }
}
"""
LITERAL = (
    "mutation Move($key: String!) { changeAddress(newAddress: ADDRESS, idempotencyKey: $key) "
    "{ id } }"
)
NOT_TEXT = ["\x00", "\x01", "\ufffe", "\x1b", "\u202e"]


def person(population: Any, skip: int) -> Any:
    """A person held by tax, benefits and the passport office (counted from the end, so no
    other write test changes their address)."""
    found = [p for p in population.people if p.tax and p.benefits and p.passport is not None]
    return found[-1 - skip]


async def citizen(gateway: RunningGateway, skip: int) -> tuple[dict[str, str], dict[str, Any]]:
    """Headers of that person and the keys each department holds them under."""
    who = person(gateway.population, skip)
    index_url = gateway.settings.gateway.index_url
    cid = await citizen_id_for(index_url, "tax", who.tax.nino)
    assert cid is not None
    return gateway.headers("citizen", cid), await held_keys(index_url, cid)


def _codes(body: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"])


async def test_characters_that_are_not_text_are_refused_and_nothing_is_written(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """NUL, U+0001, U+FFFE, ESC, U+202E in variables or literals: INVALID_TEXT, no store changes."""
    headers, held = await citizen(write_gateway, 0)
    before = await snapshot(write_gateway.data_dir, held)
    for char in NOT_TEXT:
        address = {"lines": [f"1 Mill{char} Lane"], "town": "Oxbridge", "postcode": "OX1 2AB"}
        body = await gql(
            write_client, CHANGE, {"address": address, "key": uuid.uuid4().hex}, headers
        )
        assert body["data"] is None, (char, body)
        assert _codes(body) == [("INVALID_TEXT", "$address.lines.0")], body
        assert f"U+{ord(char):04X}" in body["errors"][0]["message"]
        town = {"lines": ["1 Mill Lane"], "town": f"Ox{char}bridge", "postcode": "OX1 2AB"}
        literal = LITERAL.replace("ADDRESS", _literal(town))
        body = await gql(write_client, literal, {"key": uuid.uuid4().hex}, headers)
        assert _codes(body) == [("INVALID_TEXT", "newAddress.town")], body
    assert await snapshot(write_gateway.data_dir, held) == before


def _literal(address: dict[str, Any]) -> str:
    def text(value: str) -> str:
        return '"' + "".join(c if " " <= c <= "~" else f"\\u{ord(c):04x}" for c in value) + '"'

    lines = ", ".join(text(line) for line in address["lines"])
    return (
        f"{{ lines: [{lines}], town: {text(address['town'])}, "
        f"postcode: {text(address['postcode'])} }}"
    )


async def test_a_town_too_long_for_the_benefits_office_is_refused_naming_it(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """26 characters fit the tax office and the passport office but not POST-TOWN PIC X(25)."""
    headers, held = await citizen(write_gateway, 1)
    before = await snapshot(write_gateway.data_dir, held)
    town = "Upper Middlewick-on-Severn"
    assert len(town) == 26
    address = {"lines": ["2 Quay Street"], "town": town, "postcode": "SY1 2QS"}
    body = await gql(write_client, CHANGE, {"address": address, "key": uuid.uuid4().hex}, headers)
    assert body["data"] is None
    assert _codes(body) == [("INVALID_TOWN", "newAddress.town")]
    assert body["errors"][0]["message"] == (
        "newAddress.town: Town must be 25 characters or fewer for the benefits office"
    )
    assert await snapshot(write_gateway.data_dir, held) == before


async def test_characters_outside_code_page_037_are_refused_and_latin_1_is_kept_exactly(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """'Łódź' and an emoji are refused naming the benefits office; 'Straße' is stored as typed."""
    headers, held = await citizen(write_gateway, 2)
    before = await snapshot(write_gateway.data_dir, held)
    address = {"lines": ["12 Straße \U0001f600"], "town": "Łódź", "postcode": "LD1 2DZ"}
    body = await gql(write_client, CHANGE, {"address": address, "key": uuid.uuid4().hex}, headers)
    assert body["data"] is None
    assert _codes(body) == [
        ("INVALID_ADDRESS_LINES", "newAddress.lines"),
        ("INVALID_TOWN", "newAddress.town"),
    ]
    messages = {e["extensions"]["field"]: e["message"] for e in body["errors"]}
    assert messages["newAddress.town"] == (
        "newAddress.town: Town cannot hold 'Ł' (U+0141), 'ź' (U+017A) for the benefits office"
    )
    assert "U+1F600" in messages["newAddress.lines"]
    assert "benefits office" in messages["newAddress.lines"]
    assert await snapshot(write_gateway.data_dir, held) == before

    kept = {"lines": ["12 Straße", "Café  Row"], "town": "Güstrow", "postcode": "ld1 2dz"}
    body = await gql(write_client, CONFIRMED, {"address": kept, "key": uuid.uuid4().hex}, headers)
    assert "errors" not in body, body["errors"]
    shown = body["data"]["changeAddress"]
    assert shown["address"] == {
        "lines": ["12 Straße", "Café Row"],
        "town": "Güstrow",
        "postcode": "LD1 2DZ",
    }
    change = await wait_delivered(write_client, headers, shown["id"])
    assert all(d["status"] == "DELIVERED" for d in change["deliveries"])
    await holds_exactly(write_gateway.data_dir, held, shown["address"], shown["id"])
