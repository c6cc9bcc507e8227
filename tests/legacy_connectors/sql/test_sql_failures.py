"""How the SQL connector fails: stopped or missing databases, timeouts, read-only sessions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SERVERS, SHARED_VRM, Deployment
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from fixtures.model import Population
from fixtures.sqldb import drop_database, load_source
from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import UpstreamTimeoutError, UpstreamUnavailableError
from legacy_connectors.sql import SqlConnector, async_url


@pytest.fixture
async def closing() -> AsyncIterator[list[SqlConnector]]:
    """Connectors appended here are closed after the test."""
    opened: list[SqlConnector] = []
    yield opened
    for connector in opened:
        await connector.aclose()


def _open(opened: list[SqlConnector], name: str, options: dict[str, Any]) -> SqlConnector:
    connector = SqlConnector.from_options(name, options)
    assert isinstance(connector, SqlConnector)
    opened.append(connector)
    return connector


def _missing_url(deployment: Deployment, tmp_path: Path) -> str:
    if deployment.engine == "sqlite":
        return f"sqlite:///{tmp_path / 'never-created.sqlite'}"
    return SERVERS[deployment.engine][2].format(db=f"gg_test_missing_{uuid.uuid4().hex[:8]}")


async def test_stopped_council_mid_session(
    deployment: Deployment,
    population: Population,
    closing: list[SqlConnector],
    tmp_path: Path,
) -> None:
    """A council database that disappears after serving leaves the others' notices and one error."""
    council = population.councils[-1]
    copy = (
        f"sqlite:///{tmp_path / 'copy.sqlite'}"
        if deployment.engine == "sqlite"
        else SERVERS[deployment.engine][2].format(db=f"gg_test_stop_{uuid.uuid4().hex[:8]}")
    )
    await load_source(f"parking:{council.code}", population, copy)
    options = deployment.options("parking")
    for db in options["databases"]:
        if db["label"] == council.name:
            db["url"] = copy
            service = f"parking/{db['name']}"
    source = _open(closing, "parking", options)
    if deployment.engine != "sqlite":
        [before] = await source.load_many([SHARED_VRM])
        assert isinstance(before, list) and len(before) == len(population.councils)
    try:
        if deployment.engine == "sqlite":
            (tmp_path / "copy.sqlite").unlink()
        else:
            await drop_database(copy)
        [after] = await source.load_many([SHARED_VRM])
    finally:
        await drop_database(copy)
    assert isinstance(after, PartialRecords)
    assert {r["authority"] for r in after.records} == {
        c.name for c in population.councils if c is not council
    }
    [error] = after.errors
    assert isinstance(error, UpstreamUnavailableError)
    assert error.service == service
    assert error.retryable


async def test_missing_database_is_unavailable(
    deployment: Deployment, closing: list[SqlConnector], tmp_path: Path
) -> None:
    """A single-database source whose database is missing raises UpstreamUnavailableError."""
    options = deployment.options("passports", url=_missing_url(deployment, tmp_path))
    source = _open(closing, "passports", options)
    with pytest.raises(UpstreamUnavailableError) as caught:
        await source.load_many(["123456789"])
    assert caught.value.service == "passports"
    assert "SELECT" not in caught.value.message
    health = await source.health()
    assert health.status == "down"
    assert not (tmp_path / "never-created.sqlite").exists()


async def test_closed_port_is_unavailable(
    deployment: Deployment, closing: list[SqlConnector]
) -> None:
    """A server that refuses connections gives UpstreamUnavailableError naming the source."""
    if deployment.engine == "sqlite":
        url = "sqlite:////nonexistent-directory/passports.sqlite"
    else:
        url = SERVERS[deployment.engine][2].replace(":5432", ":1").replace(":3306", ":1")
        url = url.format(db="none")
    source = _open(closing, "passports", deployment.options("passports", url=url))
    with pytest.raises(UpstreamUnavailableError) as caught:
        await source.load_many(["123456789"])
    assert caught.value.service == "passports"


async def test_sessions_are_read_only(deployment: Deployment, closing: list[SqlConnector]) -> None:
    """With read_only on (the default) the connector's sessions refuse writes."""
    source = _open(closing, "passports", deployment.options("passports"))
    await source.load_many(["123456789"])
    engine = source.databases[0].engine
    quote = "`" if deployment.engine == "mariadb" else '"'
    with pytest.raises(DBAPIError):
        async with engine.connect() as conn:
            await conn.execute(text(f"DELETE FROM {quote}PSPT_APPL{quote}"))
            await conn.commit()


async def test_pool_size_is_applied(deployment: Deployment, closing: list[SqlConnector]) -> None:
    """pool_size from the settings sizes each database's connection pool."""
    source = _open(closing, "passports", deployment.options("passports", pool_size=3))
    assert source.databases[0].engine.pool.size() == 3  # type: ignore[attr-defined]


_SLOW_VIEWS = {
    "postgresql": 'CREATE VIEW "SLOW_PSPT" AS SELECT m.* FROM "PSPT_MSTR" m CROSS JOIN pg_sleep(2)',
    "mariadb": "CREATE VIEW SLOW_PSPT AS SELECT m.* FROM PSPT_MSTR m WHERE SLEEP(2) = 0",
}


@pytest.mark.parametrize("deployment", ["postgresql", "mariadb"], indirect=True)
async def test_statement_timeout(
    deployment: Deployment, population: Population, closing: list[SqlConnector]
) -> None:
    """A statement running past statement_timeout_ms is UpstreamTimeoutError (server engines)."""
    url = deployment.urls["passports"]
    admin = create_async_engine(async_url(url, create=True))
    try:
        async with admin.begin() as conn:
            await conn.execute(text(_SLOW_VIEWS[deployment.engine]))
    finally:
        await admin.dispose()
    options = deployment.options("passports", statement_timeout_ms=200)
    options["mapping"] = {**options["mapping"], "table": "SLOW_PSPT", "children": {}}
    source = _open(closing, "passports", options)
    held = next(p.passport.passport_number for p in population.people if p.passport)
    with pytest.raises(UpstreamTimeoutError) as caught:
        await source.load_many([held])
    assert caught.value.service == "passports"
    assert caught.value.retryable
