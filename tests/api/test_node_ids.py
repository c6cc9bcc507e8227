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
