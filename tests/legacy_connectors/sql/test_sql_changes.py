"""The SQL change feed on SQLite, PostgreSQL and MariaDB: row versions kept by the databases'
own triggers, read back through the connector (one database, and a set of council databases
under three schemas)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from fixtures.generate import generate
from fixtures.model import Population
from fixtures.sqldb import passports as passport_schema
from fixtures.sqldb.edits import table_of
from fixtures.sqldb.testing import ENGINES, ClerkEdits, Deployment, deploy_population
from legacy_connectors.errors import ChangesExpiredError
from legacy_connectors.sql import SqlConnector
from legacy_connectors.sql.engines import async_url
from legacy_connectors.testing import changes


@pytest.fixture(scope="module")
def feed_population() -> Population:
    return generate(people=120, seed=41, noise="clean", as_of=date(2026, 1, 1))


@pytest.fixture(scope="module", params=ENGINES)
async def deployed(
    request: pytest.FixtureRequest,
    feed_population: Population,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Deployment]:
    engine: str = request.param
    async with deploy_population(
        engine, feed_population, tmp_path_factory.mktemp(f"feed-{engine}")
    ) as d:
        yield d


@pytest.fixture
async def passports(deployed: Deployment) -> AsyncIterator[SqlConnector]:
    connector = SqlConnector.from_options("passports", deployed.options("passports"))
    assert isinstance(connector, SqlConnector)
    yield connector
    await connector.aclose()


@pytest.fixture
async def parking(deployed: Deployment) -> AsyncIterator[SqlConnector]:
    connector = SqlConnector.from_options("parking", deployed.options("parking"))
    assert isinstance(connector, SqlConnector)
    yield connector
    await connector.aclose()


def _passport_clerk(deployed: Deployment) -> ClerkEdits:
    return ClerkEdits([(deployed.urls["passports"], table_of("passports"))])


def _council_clerk(deployed: Deployment) -> ClerkEdits:
    return ClerkEdits(
        [
            (deployed.urls[f"parking:{c.code}"], table_of("parking", c.engine_schema))
            for c in deployed.population.councils
        ]
    )


async def test_passport_changes_are_listed_on_every_engine(
    deployed: Deployment, passports: SqlConnector
) -> None:
    """Updated passports are listed once each with their new values, across pages."""
    assert passports.tracks_changes
    await changes.check_nothing_changed(passports)
    await changes.check_changes_listed(passports, _passport_clerk(deployed))
    await changes.check_cursor_continues(passports, _passport_clerk(deployed))


async def test_passport_change_during_scan_is_not_lost_on_every_engine(
    deployed: Deployment, passports: SqlConnector
) -> None:
    """A passport updated while a full scan runs is listed by the cursor taken before it."""
    await changes.check_change_during_scan(passports, _passport_clerk(deployed))


async def test_deleted_passport_is_listed_as_removed_on_every_engine(
    deployed: Deployment, passports: SqlConnector
) -> None:
    """A deleted passport row is listed as removed (the delete trigger's removals table)."""
    assert await changes.check_removed_keys(passports, _passport_clerk(deployed))


async def test_new_application_raises_its_passport_version_on_every_engine(
    deployed: Deployment, passports: SqlConnector
) -> None:
    """A renewal application inserted in the child table lists its passport as changed."""
    [number] = sorted(await changes.scanned_keys(passports, 1))
    cursor = await passports.change_cursor()
    engine = create_async_engine(async_url(deployed.urls["passports"]))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                passport_schema.metadata.tables["PSPT_APPL"].insert(),
                {
                    "APPL_REF": "FEED00000001",
                    "PSPT_NO": number,
                    "RCVD_YMD": 20260102,
                    "APPL_STAT": "R ",
                },
            )
    finally:
        await engine.dispose()
    _, listed, removed = await changes.read_changes(passports, cursor)
    assert sorted(listed) == [number] and not removed
    [record] = listed[number]
    assert "FEED00000001" in [a["reference"] for a in record["applications"]]


async def test_council_set_changes_and_removals_on_every_engine(
    deployed: Deployment, parking: SqlConnector
) -> None:
    """Across three councils' schemas a changed vehicle's notices come whole from every
    council, and a vehicle deleted everywhere is listed as removed."""
    clerk = _council_clerk(deployed)
    await changes.check_changes_listed(parking, clerk)
    assert await changes.check_removed_keys(parking, clerk)
    await changes.check_bad_cursor(parking)


async def test_cursor_of_other_databases_has_expired(parking: SqlConnector) -> None:
    """A cursor naming other databases than the set's (one was added) must read the source
    whole: ChangesExpiredError."""
    cursor = json.loads(await parking.change_cursor())
    cursor["at"].popitem()
    with pytest.raises(ChangesExpiredError, match="other databases"):
        await changes.read_changes(parking, json.dumps(cursor))
