"""`applyForPassportRenewal` over HTTP: validated, written once, shown in `applications`."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest

from tests.api.helpers import citizen_id_for, gql
from tests.harness import RunningGateway
from tests.writes.support import passport

pytestmark = pytest.mark.asyncio(loop_scope="session")

APPLY = """
mutation Renew($input: PassportRenewalInput!, $key: String!) {
  applyForPassportRenewal(input: $input, idempotencyKey: $key) {
    reference passportNumber received status
  }
}
"""
APPLICATIONS = "query { me { applications { kind reference department received status } } }"


async def _holder(gateway: RunningGateway, skip: int = 0) -> tuple[Any, dict[str, str]]:
    """The ``skip``-th person whose passport has no application under way, signed in."""
    index_url = gateway.settings.gateway.index_url
    found = 0
    for person in gateway.population.people:
        held = person.passport
        if held is None or any(
            a.status in {"RECEIVED", "IN_PROGRESS", "APPROVED"} for a in held.applications
        ):
            continue
        cid = await citizen_id_for(index_url, "passports", held.passport_number)
        if cid is None:
            continue
        if found == skip:
            return person, gateway.headers("citizen", cid)
        found += 1
    raise AssertionError("no passport holder without an application under way")


async def test_a_renewal_is_written_once_and_shown_in_applications(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """The application row appears in the passport office's database and in `applications`."""
    person, headers = await _holder(write_gateway)
    number = person.passport.passport_number
    variables = {
        "input": {"passportNumber": number, "photoCode": "PH0T0C0DE1", "declaration": True},
        "key": uuid.uuid4().hex,
    }
    first = await gql(write_client, APPLY, variables, headers)
    assert "errors" not in first, first["errors"]
    made = first["data"]["applyForPassportRenewal"]
    assert (made["passportNumber"], made["status"]) == (number, "RECEIVED")
    again = await gql(write_client, APPLY, variables, headers)
    assert again["data"]["applyForPassportRenewal"] == made

    stored = await passport(write_gateway.data_dir, number)
    ours = [a for a in stored["applications"] if a["reference"] == made["reference"]]
    assert len(ours) == 1
    assert (ours[0]["status"], ours[0]["received"]) == ("RECEIVED", date.today())

    shown = (await gql(write_client, APPLICATIONS, None, headers))["data"]["me"]["applications"]
    assert shown[0] == {
        "kind": "PASSPORT_RENEWAL",
        "reference": made["reference"],
        "department": "PASSPORTS",
        "received": date.today().isoformat(),
        "status": "RECEIVED",
    }

    second = await gql(write_client, APPLY, {**variables, "key": uuid.uuid4().hex}, headers)
    assert [e["extensions"]["code"] for e in second["errors"]] == ["APPLICATION_IN_PROGRESS"]


async def test_each_invalid_field_gets_its_own_typed_error_and_nothing_is_written(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """Bad number, photo code and declaration: three errors naming fields; no row written."""
    person, headers = await _holder(write_gateway, skip=1)
    number = person.passport.passport_number
    before = await passport(write_gateway.data_dir, number)
    bad = {"passportNumber": "12AB", "photoCode": "x", "declaration": False}
    body = await gql(write_client, APPLY, {"input": bad, "key": uuid.uuid4().hex}, headers)
    assert body["data"] is None
    assert sorted((e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]) == [
        ("DECLARATION_REQUIRED", "input.declaration"),
        ("INVALID_PASSPORT_NUMBER", "input.passportNumber"),
        ("INVALID_PHOTO_CODE", "input.photoCode"),
    ]
    not_mine = {"passportNumber": "000000001", "photoCode": "PH0T0C0DE1", "declaration": True}
    body = await gql(write_client, APPLY, {"input": not_mine, "key": uuid.uuid4().hex}, headers)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNKNOWN_PASSPORT"]
    assert await passport(write_gateway.data_dir, number) == before
