"""govgraph as an Apollo Federation v2 subgraph, composed with a second subgraph by the real
npm composition library and queried through the real npm gateway."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govgraph.ledger import AccessLedger
from resolvers.ids import decode_id
from tests.federation.conftest import Supergraph
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

ME = "{ me { id name { familyName } contactPreference { channel language } } }"
ENQUIRIES = "{ enquiries { reference citizen { id name { familyName } } } }"


async def _through(supergraph: Supergraph, query: str, headers: dict[str, str]) -> Any:
    async with httpx.AsyncClient(timeout=60) as client:
        r = await client.post(supergraph.gateway, json={"query": query}, headers=headers)
    return r.json()


async def _family_name(gw: RunningGateway, global_id: str) -> str:
    headers = gw.headers("caseworker", purpose="case-review")
    query = "query($id: ID!) { citizen(id: $id) { name { familyName } } }"
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=30) as client:
        r = await client.post(
            "/graphql", json={"query": query, "variables": {"id": global_id}}, headers=headers
        )
    return str(r.json()["data"]["citizen"]["name"]["familyName"])


async def _reads(gw: RunningGateway, global_id: str) -> list[tuple[str, str | None]]:
    ledger = AccessLedger(gw.settings.gateway.index_url)
    await ledger.open()
    try:
        found = await ledger.for_citizen(decode_id(global_id)[1], limit=200)
    finally:
        await ledger.aclose()
    return [(r.entry.role, r.entry.request_id) for r in found]


async def test_service_sdl_declares_citizen_as_an_entity(supergraph: Supergraph) -> None:
    """`_service { sdl }` links Federation v2 and keys `Citizen` by `id`; the plain gateway
    has no federation fields."""
    gw = supergraph.govgraph
    headers = gw.headers("caseworker", purpose="case-review")
    async with httpx.AsyncClient(timeout=30) as client:
        sdl = await client.post(
            f"{gw.base_url}/graphql", json={"query": "{ _service { sdl } }"}, headers=headers
        )
    text = sdl.json()["data"]["_service"]["sdl"]
    assert 'type Citizen implements Node @key(fields: "id"' in text
    assert "https://specs.apollo.dev/federation/v2." in text


async def test_plain_gateway_has_no_federation_fields(gateway: RunningGateway) -> None:
    """Without `gateway.federation` the schema has no `_service` or `_entities`."""
    headers = gateway.headers("caseworker", purpose="case-review")
    async with httpx.AsyncClient(base_url=gateway.base_url, timeout=30) as client:
        r = await client.post("/graphql", json={"query": "{ _service { sdl } }"}, headers=headers)
    assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_a_query_through_the_gateway_joins_citizen_with_the_other_subgraph(
    supergraph: Supergraph,
) -> None:
    """`me` from govgraph and `contactPreference` from the second subgraph, in one answer
    through the npm gateway; the read is in govgraph's ledger."""
    gw = supergraph.govgraph
    first = supergraph.citizens[0]
    headers = gw.headers("citizen", decode_id(first)[1])
    family_name = await _family_name(gw, first)
    before = len(await _reads(gw, first))
    body = await _through(supergraph, ME, headers)
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert me["id"] == first
    assert me["name"]["familyName"] == family_name
    assert me["contactPreference"] == {"channel": "email", "language": "en"}
    reads = await _reads(gw, first)
    assert len(reads) == before + 1 and reads[0][0] == "citizen"


async def test_entities_from_the_other_subgraph_are_authorized_and_recorded(
    supergraph: Supergraph,
) -> None:
    """Citizens the second subgraph names are resolved by govgraph's `_entities`: a
    caseworker with a purpose sees each (and each read is in the ledger); a citizen sees only
    themself; without a token nothing is shown."""
    gw = supergraph.govgraph
    ids = supergraph.citizens
    names = [await _family_name(gw, i) for i in ids]
    before = [len(await _reads(gw, i)) for i in ids]

    caseworker = gw.headers("caseworker", purpose="case-review")
    body = await _through(supergraph, ENQUIRIES, caseworker)
    assert "errors" not in body, body
    got = [
        (e["citizen"]["id"], e["citizen"]["name"]["familyName"]) for e in body["data"]["enquiries"]
    ]
    assert got == list(zip(ids, names, strict=True))
    after = [await _reads(gw, i) for i in ids]
    assert [len(a) - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    assert all(reads[0][0] == "caseworker" for reads in after)

    citizen = gw.headers("citizen", decode_id(ids[0])[1])
    body = await _through(supergraph, ENQUIRIES, citizen)
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
    assert "FORBIDDEN" in codes, body
    # Compared by id: two of the three citizens may share a family name (a household).
    shown = [
        e["citizen"]["id"]
        for e in (body.get("data") or {}).get("enquiries") or []
        if e and e.get("citizen") and e["citizen"].get("name")
    ]
    assert set(shown) <= {ids[0]}, body

    no_purpose = gw.headers("caseworker", purpose="curiosity")
    body = await _through(supergraph, ENQUIRIES, no_purpose)
    assert "FORBIDDEN" in {e.get("extensions", {}).get("code") for e in body["errors"]}, body
    assert not any(n in str(body.get("data")) for n in names)

    anonymous = await _through(supergraph, ENQUIRIES, {})
    assert anonymous.get("errors"), anonymous
    assert not any(n in str(anonymous.get("data")) for n in names)


async def test_too_many_representations_are_refused(supergraph: Supergraph) -> None:
    """An `_entities` call with more than 100 representations is refused as too costly,
    without reading any citizen."""
    gw = supergraph.govgraph
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { id } } }"
    many = [{"__typename": "Citizen", "id": supergraph.citizens[0]}] * 101
    headers = gw.headers("caseworker", purpose="case-review")
    before = len(await _reads(gw, supergraph.citizens[0]))
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=30) as client:
        r = await client.post(
            "/graphql", json={"query": query, "variables": {"r": many}}, headers=headers
        )
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "OPERATION_TOO_COSTLY", error
    assert len(await _reads(gw, supergraph.citizens[0])) == before
