"""`/readyz` and `Query.services` report each source's state, breaker and recent latency."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness import RunningGateway
from tests.resilience.conftest import Faults
from tests.resilience.stack import me, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICES = """
query Services {
  services {
    name kind status breaker breakerRetryInSeconds consecutiveFailures
    callsInFlight callsQueued lastLatencyMs p50LatencyMs p95LatencyMs
    lastErrorCode lastErrorAt lastSuccessAt
  }
}
"""


async def test_services_and_readyz_show_an_open_breaker(
    gateway: RunningGateway,
    faulty_tax: str,
    tax_faults: Faults,
    index_url: str,
    citizen: str,
) -> None:
    """After tax fails repeatedly, both report its breaker open; the other sources stay up."""
    settings = settings_for(gateway.data_dir, faulty_tax, index_url)
    async with serve(settings) as served:
        await me(served, gateway, citizen)
        tax_faults.set(mode="failing", retry_after_s=0)
        await me(served, gateway, citizen)
        response = await served.client.post(
            "/graphql", json={"query": SERVICES}, headers=gateway.headers("citizen", citizen)
        )
        ready = await served.client.get("/readyz")
    body = response.json()
    assert "errors" not in body, body["errors"]
    by_name: dict[str, Any] = {s["name"]: s for s in body["data"]["services"]}
    assert set(by_name) == {"tax", "benefits", "passports", "vehicles", "parking"}
    tax = by_name["tax"]
    assert tax["kind"] == "soap"
    assert tax["breaker"] == "OPEN"
    assert tax["status"] in {"DEGRADED", "DOWN"}
    assert tax["lastErrorCode"] == "UPSTREAM_BUSY"
    assert tax["breakerRetryInSeconds"] > 0
    assert tax["lastSuccessAt"] is not None
    for name in ("benefits", "passports", "vehicles", "parking"):
        assert by_name[name]["status"] == "UP", by_name[name]
        assert by_name[name]["breaker"] == "CLOSED"
        assert by_name[name]["lastLatencyMs"] is not None
        assert by_name[name]["p50LatencyMs"] is not None

    assert ready.status_code == 200
    report = ready.json()
    assert report["status"] == "degraded"
    assert report["sources"]["tax"]["breaker"] == "open"
    assert report["sources"]["passports"]["status"] == "up"


async def test_services_needs_a_signed_in_caller(
    gateway: RunningGateway, faulty_tax: str, index_url: str
) -> None:
    """An anonymous caller gets UNAUTHENTICATED and no service list."""
    settings = settings_for(gateway.data_dir, faulty_tax, index_url)
    async with serve(settings) as served:
        response = await served.client.post("/graphql", json={"query": SERVICES})
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
