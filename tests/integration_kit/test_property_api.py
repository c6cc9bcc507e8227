"""A citizen's land registry titles over the API, served by the REST plugin from ``examples/``.

The citizen and their links are written through the citizen index's public write methods
(``apply`` for the profile, ``link_by_caseworker`` for each title), as a caseworker would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from govgraph.idp import DemoIdentityProvider
from govgraph.index import CitizenIndex, CitizenProfile, IndexChanges, new_citizen_id
from govgraph.serve import build_server, wait_started
from govgraph.settings import settings_from_mapping
from tests.integration_kit.land import OWNER, LandRegistry

ISSUER = "integration-kit-idp"
AUDIENCE = "govgraph"

QUERY = """
query MyProperty {
  me {
    properties {
      titleNumber tenure classOfTitle registeredOn leaseExpiresOn proprietorCount
      address { lines town postcode }
      pricePaid { amount }
      charges { lender registeredOn }
    }
  }
}
"""


async def _citizen(index_url: str, registry: LandRegistry | None) -> str:
    """A citizen with ``OWNER``'s identity, linked to their titles when ``registry`` is given."""
    index = CitizenIndex(index_url)
    await index.open()
    try:
        cid = new_citizen_id()
        profile = CitizenProfile(
            cid,
            OWNER["given_names"],
            "",
            OWNER["surname"],
            date.fromisoformat(OWNER["date_of_birth"]),
            ("1 Test Row",),
            "Millbrook",
            OWNER["postcode"],
            "property",
        )
        await index.apply(IndexChanges(new_citizens=[profile]))
        for title in registry.owned if registry else []:
            await index.link_by_caseworker(cid, "property", title["title_number"])
        return cid
    finally:
        await index.aclose()


@asynccontextmanager
async def _gateway(
    tmp: Path, sources: dict[str, Any], registry: LandRegistry | None
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A gateway over ``sources`` on a loopback port; yields a client and citizen headers."""
    idp = DemoIdentityProvider(tmp / "keys", issuer=ISSUER, audience=AUDIENCE)
    index_url = f"sqlite+aiosqlite:///{tmp / 'index.sqlite'}"
    cid = await _citizen(index_url, registry)
    settings = settings_from_mapping(
        {
            "gateway": {"index_url": index_url, "profile": "demo"},
            "auth": {"issuer": ISSUER, "audience": AUDIENCE, "jwks_file": str(idp.jwks_path)},
            "sources": sources,
        },
        environ={},
    )
    server = build_server(settings, port=0)
    task = asyncio.create_task(server.serve())
    try:
        port = await wait_started(server)
        headers = {"Authorization": f"Bearer {idp.token(role='citizen', citizen_id=cid)}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client, headers
    finally:
        server.should_exit = True
        await task


async def _query(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_citizen_sees_their_titles_over_http(
    land_registry: LandRegistry, tmp_path: Path
) -> None:
    """With a `property` source of kind `rest`, `me.properties` lists the linked titles."""
    sources = {"property": {"kind": "rest", "options": land_registry.options()}}
    async with _gateway(tmp_path, sources, land_registry) as (client, headers):
        body = await _query(client, headers)
    assert "errors" not in body, body
    got = body["data"]["me"]["properties"]
    owned = sorted(land_registry.owned, key=lambda t: (t["registered_on"], t["title_number"]))
    assert [t["titleNumber"] for t in got] == [t["title_number"] for t in owned]
    for title, expected in zip(got, owned, strict=True):
        assert title["tenure"] == expected["tenure"]
        assert title["address"]["postcode"] == expected["property"]["postcode"]
        assert title["registeredOn"] == expected["registered_on"]
        assert title["leaseExpiresOn"] == expected["lease_expires_on"]
        assert Decimal(title["pricePaid"]["amount"]) == Decimal(expected["price_paid"])
        assert title["proprietorCount"] == 1
        assert [c["lender"] for c in title["charges"]] == [c["lender"] for c in expected["charges"]]


async def test_properties_are_empty_without_a_property_source(tmp_path: Path) -> None:
    """With no `property` source configured, `me.properties` is an empty list, not an error."""
    async with _gateway(tmp_path, {}, None) as (client, headers):
        body = await _query(client, headers)
    assert body == {"data": {"me": {"properties": []}}}


async def test_unreachable_registry_nulls_only_properties(
    land_registry: LandRegistry, tmp_path: Path
) -> None:
    """A registry that cannot be reached gives null properties and an error naming it."""
    options = land_registry.options(base_url="http://127.0.0.1:9", timeout_s=2.0)
    sources = {"property": {"kind": "rest", "options": options}}
    async with _gateway(tmp_path, sources, land_registry) as (client, headers):
        body = await _query(client, headers)
    assert body["data"] == {"me": {"properties": None}}
    [error] = body["errors"]
    assert error["path"] == ["me", "properties"]
    assert error["extensions"]["service"] == "property"
    assert error["extensions"]["retryable"] is True
