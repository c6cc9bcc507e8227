"""The demo identity provider's token endpoint mints citizen tokens only for indexed citizens."""

from __future__ import annotations

import httpx
import jwt
import pytest

from tests.security.support import BareFactory, add_citizen

pytestmark = pytest.mark.asyncio(loop_scope="session")

ME = {"query": "{ me { id } }"}


async def test_citizen_tokens_only_for_citizens_in_the_index(
    bare_gateway_factory: BareFactory,
) -> None:
    """A citizen id in the citizen index gets a token the gateway accepts; an id it does not
    hold, or an over-long one, gets 400 with a JSON error and no token."""
    gw = await bare_gateway_factory()
    await add_citizen(gw, "cz_known")
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        issued = await client.post("/idp/token", data={"role": "citizen", "citizen_id": "cz_known"})
        assert issued.status_code == 200
        token = issued.json()["access_token"]
        me = await client.post("/graphql", json=ME, headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["data"]["me"]["id"]
        for citizen_id in ("cz_nobody", "cz_" + "k" * 200):
            refused = await client.post(
                "/idp/token", json={"role": "citizen", "citizen_id": citizen_id}
            )
            assert refused.status_code == 400
            assert refused.headers["content-type"].startswith("application/json")
            body = refused.json()
            assert body["error"] == "invalid_request"
            assert "citizen index" in body["error_description"]
            assert "access_token" not in body


async def test_staff_tokens_need_no_citizen(bare_gateway_factory: BareFactory) -> None:
    """Caseworker and analyst tokens are issued without a citizen id, and a citizen id sent
    with them is not carried in the token."""
    gw = await bare_gateway_factory()
    async with httpx.AsyncClient(base_url=gw.base_url, timeout=10) as client:
        for role in ("caseworker", "analyst"):
            issued = await client.post("/idp/token", data={"role": role, "citizen_id": "cz_nobody"})
            assert issued.status_code == 200
            claims = jwt.decode(issued.json()["access_token"], options={"verify_signature": False})
            assert claims["role"] == role and "citizen_id" not in claims
