"""A change of address has a global id: `node(id:)` and `addressChange(id:)` fetch it for the
citizen who reported it (also by the bare id given before ids were global), nobody else."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from resolvers.ids import decode_id
from tests.api.helpers import citizen_id_for, gql
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

CHANGE = """
mutation Move($address: AddressInput!, $key: String!) {
  changeAddress(newAddress: $address, idempotencyKey: $key) { id }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) { __typename id ... on AddressChange { address { postcode } } }
}
"""
TRACK = "query Track($id: ID!) { addressChange(id: $id) { id address { postcode } } }"


def _codes(body: dict[str, object]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]  # type: ignore[attr-defined]


async def test_node_fetches_a_change_of_address_for_its_citizen_only(
    write_gateway: RunningGateway, write_client: httpx.AsyncClient
) -> None:
    """`changeAddress` gives a global id that `node` and `addressChange` resolve for the
    reporting citizen; the bare outbox id works too; another citizen and a caseworker are
    refused."""
    people = [p for p in write_gateway.population.people if p.tax is None and p.passport][:2]
    index_url = write_gateway.settings.gateway.index_url
    mine = await citizen_id_for(index_url, "passports", people[0].passport.passport_number)
    theirs = await citizen_id_for(index_url, "passports", people[1].passport.passport_number)
    assert mine and theirs and mine != theirs
    own = write_gateway.headers("citizen", mine)
    address = {"lines": ["4 Node Lane"], "town": "Idford", "postcode": "ID1 4NL"}
    made = await gql(write_client, CHANGE, {"address": address, "key": uuid.uuid4().hex}, own)
    assert "errors" not in made, made
    global_id = made["data"]["changeAddress"]["id"]
    type_name, owner, bare = decode_id(global_id)
    assert (type_name, owner) == ("AddressChange", mine)
    assert bare is not None and re.fullmatch(r"[0-9a-f]{32}", bare)

    for any_id in (global_id, bare):
        found = await gql(write_client, NODE, {"id": any_id}, own)
        assert found["data"]["node"] == {
            "__typename": "AddressChange",
            "id": global_id,
            "address": {"postcode": "ID1 4NL"},
        }, found
        tracked = await gql(write_client, TRACK, {"id": any_id}, own)
        assert tracked["data"]["addressChange"]["id"] == global_id

    refusals = {
        "another citizen": (write_gateway.headers("citizen", theirs), global_id, "FORBIDDEN"),
        "another citizen, bare id": (write_gateway.headers("citizen", theirs), bare, "NOT_FOUND"),
        "caseworker": (write_gateway.headers("caseworker"), global_id, "FORBIDDEN"),
    }
    for label, (headers, any_id, code) in refusals.items():
        refused = await gql(write_client, NODE, {"id": any_id}, headers)
        assert refused["data"]["node"] is None, label
        assert _codes(refused) == [code], (label, refused)
        assert "ID1 4NL" not in str(refused)
