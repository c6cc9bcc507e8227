"""Every object with an `id` is a `Node`: its id fetches it again with `node(id:)`, for whoever
may read it and nobody else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.helpers import citizen_id_for, gql
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

IDS = """
{ me {
    id
    passport { id }
    drivingLicence { id }
    vehicles { id }
    benefits { id }
    parkingFines { id }
} }
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename id } }"


def _ids(me: dict[str, Any]) -> dict[str, str]:
    """One id of each type the citizen has, by type."""
    out = {"Citizen": me["id"]}
    for field, type_name in (
        ("passport", "Passport"),
        ("drivingLicence", "DrivingLicence"),
        ("vehicles", "Vehicle"),
        ("benefits", "BenefitClaim"),
        ("parkingFines", "PenaltyNotice"),
    ):
        value = me[field]
        item = value[0] if isinstance(value, list) and value else value
        if item:
            out[type_name] = item["id"]
    return out


async def test_node_returns_each_department_type_to_its_citizen_and_refuses_others(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """Each id in a citizen's records fetches the same object with `node` for that citizen and
    for a caseworker; another citizen gets FORBIDDEN and no data."""
    person = next(
        p
        for p in gateway.population.people
        if p.tax is not None and p.benefits and p.passport and p.licence and p.penalty_notices
    )
    other = next(p for p in gateway.population.people if p.tax is not None and p is not person)
    index_url = gateway.settings.gateway.index_url
    mine = await citizen_id_for(index_url, "tax", person.tax.nino)
    theirs = await citizen_id_for(index_url, "tax", other.tax.nino)
    assert mine and theirs and mine != theirs
    own = gateway.headers("citizen", mine)
    body = await gql(client, IDS, None, own)
    ids = _ids(body["data"]["me"])
    assert set(ids) == {
        "Citizen",
        "Passport",
        "DrivingLicence",
        "Vehicle",
        "BenefitClaim",
        "PenaltyNotice",
    }
    for type_name, global_id in ids.items():
        for headers in (own, gateway.headers("caseworker")):
            found = await gql(client, NODE, {"id": global_id}, headers)
            assert found["data"]["node"] == {"__typename": type_name, "id": global_id}, found
        refused = await gql(client, NODE, {"id": global_id}, gateway.headers("citizen", theirs))
        assert refused["data"]["node"] is None
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


ITEMS = """
{ me {
    obligations { id kind reference }
    entitlements { id kind reference }
    documents { id kind reference }
    tasks { id kind reference }
} }
"""
ITEM_NODE = """
query Node($id: ID!) { node(id: $id) {
    __typename id
    ... on Obligation { obligationKind: kind reference }
    ... on Entitlement { entitlementKind: kind reference }
    ... on Document { documentKind: kind reference }
    ... on Task { taskKind: kind reference }
} }
"""
VIEW_TYPES = {
    "obligations": "Obligation",
    "entitlements": "Entitlement",
    "documents": "Document",
    "tasks": "Task",
}


async def _citizen_with_items(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> tuple[str, dict[str, Any]]:
    """A citizen with obligations, documents and tasks, and their items."""
    index_url = gateway.settings.gateway.index_url
    for person in gateway.population.people:
        if person.tax is None or not person.penalty_notices or person.passport is None:
            continue
        cid = await citizen_id_for(index_url, "tax", person.tax.nino)
        if cid is None:
            continue
        body = await gql(client, ITEMS, None, gateway.headers("citizen", cid))
        me = body["data"]["me"]
        if me["obligations"] and me["documents"] and me["tasks"]:
            return cid, me
    raise AssertionError("no citizen with obligations, documents and tasks")


async def test_view_items_have_stable_ids_that_node_fetches_for_their_citizen_only(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """Every obligation, entitlement, document and task has an id, the same on the next request,
    that `node` fetches back for its citizen and a caseworker; another citizen is refused."""
    mine, me = await _citizen_with_items(gateway, client)
    own = gateway.headers("citizen", mine)
    assert (await gql(client, ITEMS, None, own))["data"]["me"] == me
    ids = [item["id"] for view in VIEW_TYPES for item in me[view]]
    assert len(set(ids)) == len(ids)
    other = next(p for p in gateway.population.people if p.tax is not None)
    theirs = await citizen_id_for(gateway.settings.gateway.index_url, "tax", other.tax.nino)
    assert theirs and theirs != mine
    for view, type_name in VIEW_TYPES.items():
        for item in me[view][:2]:
            expected = {
                "__typename": type_name,
                "id": item["id"],
                f"{view[:-1]}Kind": item["kind"],
                "reference": item["reference"],
            }
            for headers in (own, gateway.headers("caseworker")):
                found = await gql(client, ITEM_NODE, {"id": item["id"]}, headers)
                assert found["data"]["node"] == expected, found
            refused = await gql(
                client, ITEM_NODE, {"id": item["id"]}, gateway.headers("citizen", theirs)
            )
            assert refused["data"]["node"] is None
            assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


async def test_an_item_id_of_no_kind_is_invalid_and_of_no_item_not_found(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """An item id naming a kind no department adds is BAD_USER_INPUT; one naming an item the citizen
    does not have is NOT_FOUND; neither returns data."""
    from resolvers.ids import encode_id

    mine, me = await _citizen_with_items(gateway, client)
    own = gateway.headers("citizen", mine)
    kind = me["obligations"][0]["kind"]
    for local, code in (
        ("NO_SUCH_KIND:1", "BAD_USER_INPUT"),
        (f"{kind}:NOT-A-REFERENCE", "NOT_FOUND"),
    ):
        body = await gql(client, ITEM_NODE, {"id": encode_id("Obligation", mine, local)}, own)
        assert body["data"]["node"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code], body
