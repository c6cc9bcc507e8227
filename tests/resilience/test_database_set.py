"""One council's database failing in a set: the others' notices stay, with an error naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fixtures import sqldb
from tests.harness import RunningGateway
from tests.resilience.stack import errors_for, me, persona, serve, settings_for

pytestmark = pytest.mark.asyncio(loop_scope="session")

DATABASES = "query { services { name databases { name breaker consecutiveFailures } } }"


async def test_one_council_down_leaves_the_others_and_its_breaker_opens(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    baseline: dict[str, Any],
    tmp_path: Path,
) -> None:
    """A missing council database gives partial notices, an error naming it, and its breaker."""
    person = persona(gateway.population)
    slug = {c.code: sqldb.council_slug(c) for c in gateway.population.councils}
    down = slug[person.penalty_notices[0].council_code]
    kept = {n.pcn for n in person.penalty_notices if slug[n.council_code] != down}
    options = sqldb.source_options("parking", gateway.data_dir)
    databases = [dict(db) for db in options["databases"]]
    for db in databases:
        if db["name"] == down:
            db["url"] = f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'council.sqlite'}"
    settings = settings_for(
        gateway.data_dir,
        faulty_tax,
        index_url,
        sources={"parking": {"options": {"databases": databases}}},
    )
    async with serve(settings) as served:
        for _ in range(2):
            body = await me(served, gateway, citizen)
        response = await served.client.post(
            "/graphql", json={"query": DATABASES}, headers=gateway.headers("citizen", citizen)
        )
    fines = body["data"]["me"]["parkingFines"]
    assert fines is not None
    assert {f["pcn"] for f in fines} == kept
    errs = errors_for(body, "parkingFines")
    assert [e["extensions"]["service"] for e in errs] == [f"parking/{down}"]
    assert errs[0]["extensions"]["code"] == "UPSTREAM_UNAVAILABLE"
    assert body["data"]["me"]["passport"] == baseline["passport"]
    services = {s["name"]: s for s in response.json()["data"]["services"]}
    assert services["parking"]["databases"] == [
        {"name": f"parking/{down}", "breaker": "OPEN", "consecutiveFailures": 2}
    ]
