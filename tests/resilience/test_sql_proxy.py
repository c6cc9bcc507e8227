"""A PostgreSQL source made slow, dead or failing by a fault proxy while the gateway runs.

The database is one these tests create and drop; the shared server itself is never touched.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from fixtures.faultproxy import FaultProxy
from fixtures.sqldb.seed import drop_database
from fixtures.sqldb.sources import load_source
from fixtures.sqldb.testing import engine_unavailable, server_url
from tests.harness import RunningGateway
from tests.resilience.stack import assert_partial, me, serve, settings_for

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.postgres]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def passports_db(gateway: RunningGateway) -> AsyncIterator[str]:
    """A PostgreSQL database holding the passports source (dropped afterwards)."""
    reason = engine_unavailable("postgresql")
    if reason:
        pytest.skip(reason)
    url = server_url("postgresql", f"gg_test_resilience_{uuid.uuid4().hex[:8]}")
    await load_source("passports", gateway.population, url)
    try:
        yield url
    finally:
        await drop_database(url)


@pytest_asyncio.fixture(loop_scope="session")
async def proxy() -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the local PostgreSQL server."""
    async with FaultProxy("127.0.0.1", 5432) as p:
        yield p


@pytest.mark.parametrize(
    ("faults", "code"),
    [
        ({"mode": "slow", "latency_ms": 2000}, "UPSTREAM_TIMEOUT"),
        ({"mode": "dead"}, "UPSTREAM_TIMEOUT"),
        ({"mode": "failing"}, "UPSTREAM_UNAVAILABLE"),
    ],
    ids=["slow", "dead", "failing"],
)
async def test_postgres_fault_gives_typed_partial_result_then_recovers(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    passports_db: str,
    proxy: FaultProxy,
    faults: dict[str, Any],
    code: str,
) -> None:
    """Broken mid-run, `passport` alone is null with its code; repaired, it comes back."""
    database = passports_db.rsplit("/", 1)[1]
    url = server_url("postgresql", database, port=proxy.port)
    settings = settings_for(
        gateway.data_dir, faulty_tax, index_url, sources={"passports": {"options": {"url": url}}}
    )
    async with serve(settings) as served:
        healthy = await me(served, gateway, citizen)
        assert healthy["data"]["me"] == baseline, healthy.get("errors")
        proxy.set(**faults)
        body = await me(served, gateway, citizen)
        assert_partial(body, baseline, "passports", code)
        proxy.set(mode="ok")
        for _ in range(50):
            body = await me(served, gateway, citizen)
            if body["data"]["me"]["passport"] is not None:
                break
            await asyncio.sleep(0.1)
        assert "errors" not in body, body["errors"]
        assert body["data"]["me"] == baseline
