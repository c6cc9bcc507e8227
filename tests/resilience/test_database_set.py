"""One council's database failing in a set: the others' notices stay, with an error naming it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from fixtures import sqldb
from govgraph.settings import Settings
from tests.harness import RunningGateway
from tests.resilience.stack import Served, errors_for, me, persona, serve, settings_for

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


def council_down(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    gone: Path,
    recovery_s: float,
) -> tuple[str, str, Settings]:
    """Settings whose persona's first council database is at the missing path ``gone``.

    Returns that council's database name, the path of its real database file and the settings.
    """
    person = persona(gateway.population)
    down = sqldb.council_slug(
        next(
            c
            for c in gateway.population.councils
            if c.code == person.penalty_notices[0].council_code
        )
    )
    databases = [dict(db) for db in sqldb.source_options("parking", gateway.data_dir)["databases"]]
    real = ""
    for db in databases:
        if db["name"] == down:
            real = db["url"].removeprefix("sqlite+aiosqlite:///")
            db["url"] = f"sqlite+aiosqlite:///{gone}"
    breaker = {"failure_threshold": 2, "recovery_s": recovery_s}
    settings = settings_for(
        gateway.data_dir,
        faulty_tax,
        index_url,
        sources={"parking": {"options": {"databases": databases}, "breaker": breaker}},
    )
    return down, real, settings


async def database_breakers(
    served: Served, gateway: RunningGateway, citizen: str
) -> list[dict[str, Any]]:
    """``Query.services``' databases of the parking source."""
    response = await served.client.post(
        "/graphql", json={"query": DATABASES}, headers=gateway.headers("citizen", citizen)
    )
    services = {s["name"]: s for s in response.json()["data"]["services"]}
    databases: list[dict[str, Any]] = services["parking"]["databases"]
    return databases


async def test_open_council_breaker_stops_calls_to_that_database(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    tmp_path: Path,
) -> None:
    """Once a council's breaker opens, its database is not queried and answers CIRCUIT_OPEN."""
    person = persona(gateway.population)
    gone = tmp_path / "gone" / "council.sqlite"
    down, _real, settings = council_down(gateway, faulty_tax, index_url, gone, recovery_s=60)
    slug = {c.code: sqldb.council_slug(c) for c in gateway.population.councils}
    kept = {n.pcn for n in person.penalty_notices if slug[n.council_code] != down}
    service = f"parking/{down}"
    async with serve(settings) as served:
        connector: Any = served.sources["parking"].connector
        for _ in range(2):
            await me(served, gateway, citizen)
        before = connector.queries
        body = await me(served, gateway, citizen)
        after = connector.queries
        breakers = await database_breakers(served, gateway, citizen)
    assert after[service] == before[service]
    assert any(after[s] > before[s] for s in after if s != service)
    fines = body["data"]["me"]["parkingFines"]
    assert fines is not None
    assert {f["pcn"] for f in fines} == kept
    [err] = errors_for(body, "parkingFines")
    assert err["extensions"]["code"] == "CIRCUIT_OPEN"
    assert err["extensions"]["service"] == service
    assert err["extensions"]["retryable"] is True
    assert breakers == [{"name": service, "breaker": "OPEN", "consecutiveFailures": 2}]


async def test_council_breaker_closes_after_a_successful_trial(
    gateway: RunningGateway,
    faulty_tax: str,
    index_url: str,
    citizen: str,
    tmp_path: Path,
) -> None:
    """When the database is back and recovery time passes, one trial call closes its breaker."""
    person = persona(gateway.population)
    gone = tmp_path / "gone" / "council.sqlite"
    down, real, settings = council_down(gateway, faulty_tax, index_url, gone, recovery_s=0.3)
    service = f"parking/{down}"
    async with serve(settings) as served:
        source = served.sources["parking"]
        connector: Any = source.connector
        for _ in range(2):
            await me(served, gateway, citizen)
        opened = await database_breakers(served, gateway, citizen)
        gone.parent.mkdir()
        shutil.copyfile(real, gone)
        await asyncio.sleep(source.database_breakers[service].retry_in_s() + 0.05)
        before = connector.queries[service]
        body = await me(served, gateway, citizen)
        after = connector.queries[service]
        closed = await database_breakers(served, gateway, citizen)
    assert opened[0]["breaker"] in ("OPEN", "HALF_OPEN")
    assert after > before
    assert "errors" not in body, body["errors"]
    assert {f["pcn"] for f in body["data"]["me"]["parkingFines"]} == {
        n.pcn for n in person.penalty_notices
    }
    assert closed == [{"name": service, "breaker": "CLOSED", "consecutiveFailures": 0}]
