"""A valid citizen token for a citizen the index does not hold: `me` is null, nothing ledgered."""

from __future__ import annotations

import httpx
import pytest

from govgraph.ledger import AccessLedger
from tests.security.support import BareFactory, add_citizen

pytestmark = pytest.mark.asyncio(loop_scope="session")

ME = "{ me { id name { fullName } address { town } } }"


async def _ledgered(url: str, citizen_id: str) -> int:
    ledger = AccessLedger(url)
    await ledger.open()
    try:
        return len(await ledger.for_citizen(citizen_id))
    finally:
        await ledger.aclose()


async def test_an_unknown_citizen_gets_me_null_with_not_found_and_no_ledger_entry(
    bare_gateway_factory: BareFactory,
) -> None:
    """Signed token, unknown id: `me` null, NOT_FOUND at `me`; a known citizen still gets `me`."""
    gw = await bare_gateway_factory()
    await add_citizen(gw, "cz_known")
    url = gw.settings.gateway.ledger_url or gw.settings.gateway.index_url
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        unknown = await client.post(
            "/graphql", json={"query": ME}, headers=gw.headers("citizen", "cz_nobody")
        )
        known = await client.post(
            "/graphql", json={"query": ME}, headers=gw.headers("citizen", "cz_known")
        )
    assert unknown.status_code == 200
    body = unknown.json()
    assert body["data"] == {"me": None}
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["path"]) == ("NOT_FOUND", ["me"])
    assert await _ledgered(url, "cz_nobody") == 0
    assert known.json()["data"]["me"]["name"]["fullName"] == "Ada Testperson"
    assert await _ledgered(url, "cz_known") == 1
