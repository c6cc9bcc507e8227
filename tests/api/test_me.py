"""`me` over real HTTP: one citizen's records from every department's own legacy system."""

from __future__ import annotations

import gc
from decimal import Decimal

import httpx
import pytest

from tests.api.helpers import citizen_id_for, gql, persona
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

ME = """
query Me {
  me {
    id
    name { givenName familyName }
    dateOfBirth
    departments
    tax { taxCode balanceOwed { amount } paymentsDue { reference dueDate amount { amount } } }
    benefits { reference benefit status awardAmount { amount } overpayment { amount } }
    passport { number expiryDate status }
    drivingLicence { number penaltyPoints }
    vehicles { registration motExpiry taxExpiry }
    parkingFines { pcn authority amount { amount } status }
    obligations { kind department reference amount { amount } dueDate }
    documents { kind reference expiryDate }
  }
}
"""


async def test_me_answers_from_every_department(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """A citizen's `me` returns tax, benefits, passport, licence, vehicles and penalties."""
    person = persona(gateway.population)
    cid = await citizen_id_for(gateway.settings.gateway.index_url, "tax", person.tax.nino)
    assert cid is not None
    body = await gql(client, ME, headers=gateway.headers("citizen", cid))
    assert "errors" not in body, body.get("errors")
    me = body["data"]["me"]

    assert me["tax"]["taxCode"] == person.tax.tax_code
    assert Decimal(me["tax"]["balanceOwed"]["amount"]) == person.tax.balance_owed
    assert {p["reference"] for p in me["tax"]["paymentsDue"]} == {
        p.reference for p in person.tax.payments_due
    }
    assert {b["reference"] for b in me["benefits"]} == {c.claim_id for c in person.benefits}
    by_ref = {c.claim_id: c for c in person.benefits}
    for claim in me["benefits"]:
        assert Decimal(claim["awardAmount"]["amount"]) == by_ref[claim["reference"]].award_amount
    assert me["passport"]["number"] == person.passport.passport_number
    assert me["passport"]["expiryDate"] == person.passport.expiry_date.isoformat()
    assert me["drivingLicence"]["number"] == person.licence.licence_number
    assert {v["registration"] for v in me["vehicles"]} == {v.vrm for v in person.vehicles}
    assert {f["pcn"] for f in me["parkingFines"]} == {n.pcn for n in person.penalty_notices}
    assert set(me["departments"]) == {"TAX", "BENEFITS", "PASSPORTS", "VEHICLES", "PARKING"}


async def test_obligations_are_sorted_and_name_departments(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """`obligations` merges departments, earliest due date first, undated last."""
    person = persona(gateway.population)
    cid = await citizen_id_for(gateway.settings.gateway.index_url, "tax", person.tax.nino)
    body = await gql(client, ME, headers=gateway.headers("citizen", cid))
    items = body["data"]["me"]["obligations"]
    tax_refs = {p.reference for p in person.tax.payments_due}
    assert tax_refs <= {o["reference"] for o in items if o["department"] == "TAX"}
    dated = [o["dueDate"] for o in items if o["dueDate"] is not None]
    assert dated == sorted(dated)
    first_undated = next((i for i, o in enumerate(items) if o["dueDate"] is None), len(items))
    assert all(o["dueDate"] is None for o in items[first_undated:])
    overpaid = {c.claim_id for c in person.benefits if c.overpayment > 0}
    assert overpaid == {o["reference"] for o in items if o["kind"] == "BENEFIT_OVERPAYMENT"}


async def test_me_without_a_token_is_unauthenticated(client: httpx.AsyncClient) -> None:
    """Asking for `me` with no token gives a typed error and no data."""
    body = await gql(client, "{ me { id } }")
    assert body["data"]["me"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_citizen_cannot_read_another_citizen_by_node_id(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """A citizen asking `node` for someone else's id gets FORBIDDEN and none of their data."""
    people = [p for p in gateway.population.people if p.tax is not None][:2]
    index_url = gateway.settings.gateway.index_url
    mine = await citizen_id_for(index_url, "tax", people[0].tax.nino)
    theirs = await citizen_id_for(index_url, "tax", people[1].tax.nino)
    assert mine and theirs and mine != theirs
    other = await gql(
        client,
        "query($id: ID!) { citizen(id: $id) { id } }",
        {"id": _global("Citizen", theirs)},
        headers=gateway.headers("caseworker"),
    )
    other_id = other["data"]["citizen"]["id"]
    body = await gql(
        client,
        "query($id: ID!) { node(id: $id) { id ... on Citizen { name { familyName } } } }",
        {"id": other_id},
        headers=gateway.headers("citizen", mine),
    )
    assert body["data"]["node"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert people[1].surname not in str(body)


def _global(type_name: str, cid: str) -> str:
    from resolvers.ids import encode_id

    return encode_id(type_name, cid)


async def test_a_finished_request_leaves_nothing_for_the_garbage_collector(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """After `me`, its context, loaders and execution are freed by reference counting: none
    of them is left in a reference cycle for the collector."""
    person = persona(gateway.population)
    cid = await citizen_id_for(gateway.settings.gateway.index_url, "tax", person.tax.nino)
    assert cid is not None
    headers = gateway.headers("citizen", cid)
    await gql(client, ME, headers=headers)  # every cache and pool in place first
    kept = ("RequestContext", "BatchLoader", "DerivedLoader", "GatewayExecutor", "RequestScope")
    gc.collect()
    gc.disable()
    try:
        body = await gql(client, ME, headers=headers)
        assert "errors" not in body, body.get("errors")
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        cyclic = sorted({type(o).__name__ for o in gc.garbage} & set(kept))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert cyclic == []
