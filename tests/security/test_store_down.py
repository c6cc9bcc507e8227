"""PostgreSQL (the gateway's store) unreachable: writes refuse with a typed, retryable error."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from fixtures.faultproxy import FaultProxy
from tests.security.support import BareFactory

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.postgres]

PG = "postgres@127.0.0.1:5432"
PAY = """
mutation Pay($pcn: String!, $amount: Decimal!, $key: String!) {
  payPenaltyNotice(pcn: $pcn, amount: $amount, idempotencyKey: $key) { reference }
}
"""


async def _admin(statement: str) -> None:
    engine = create_async_engine(f"postgresql+asyncpg://{PG}/test", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def database() -> AsyncIterator[str]:
    name = f"gg_i21_down_{secrets.token_hex(4)}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_postgres_down_refuses_writes_with_store_unavailable(
    bare_gateway_factory: BareFactory, database: str
) -> None:
    """With the store's connections reset, a payment gets STORE_UNAVAILABLE (retryable), not
    a 500 or an internal error; a read that needs no store still answers."""
    async with FaultProxy("127.0.0.1", 5432) as proxy:
        gw = await bare_gateway_factory(
            index_url=f"postgresql+asyncpg://postgres@127.0.0.1:{proxy.port}/{database}"
        )
        headers = gw.headers("citizen", "cz_store_down")
        variables = {"pcn": "NB00000001", "amount": "35.00", "key": uuid.uuid4().hex}
        proxy.set(mode="failing")
        async with httpx.AsyncClient(base_url=gw.base_url, timeout=30) as client:
            paid = await client.post(
                "/graphql", json={"query": PAY, "variables": variables}, headers=headers
            )
            ping = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert paid.status_code == 200, paid.text
    [error] = paid.json()["errors"]
    assert error["extensions"]["code"] == "STORE_UNAVAILABLE", error
    assert error["extensions"]["retryable"] is True
    assert "postgres" not in paid.text.lower() and "Traceback" not in paid.text
    assert paid.json()["data"] is None
    assert ping.json() == {"data": {"__typename": "Query"}}
