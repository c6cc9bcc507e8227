"""Batching: a 50-citizen query costs at most two upstream calls per source."""

from __future__ import annotations

import httpx
import pytest

from tests.api.helpers import counters, gql
from tests.harness import RunningGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

FIFTY = """
{
  citizens(first: 50) {
    edges { node {
      name { familyName }
      tax { taxCode }
      benefits { reference }
      passport { number }
      drivingLicence { number }
      vehicles { registration }
      parkingFines { pcn }
      obligations { reference }
      documents { reference }
    } }
  }
}
"""


async def test_fifty_citizens_cost_at_most_two_calls_per_source(
    gateway: RunningGateway, client: httpx.AsyncClient
) -> None:
    """Each source's upstream call counter rises by 1 or 2 for a 50-citizen query."""
    before = counters((await client.get("/metrics")).text, "govgraph_upstream_calls_total")
    body = await gql(client, FIFTY, headers=gateway.headers("caseworker"))
    assert "errors" not in body, body.get("errors")
    assert len(body["data"]["citizens"]["edges"]) == 50
    after = counters((await client.get("/metrics")).text, "govgraph_upstream_calls_total")
    for source in ("tax", "benefits", "passports", "vehicles", "parking"):
        rise = after.get(source, 0) - before.get(source, 0)
        assert 1 <= rise <= 2, (source, rise)
