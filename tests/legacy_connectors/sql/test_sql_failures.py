"""How the SQL connector fails: stopped or missing databases, timeouts, read-only sessions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from fixtures.model import Population
from fixtures.sqldb import drop_database, load_source
from fixtures.sqldb.testing import SHARED_VRM, Deployment, server_url
from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import UpstreamTimeoutError, UpstreamUnavailableError
from legacy_connectors.sql import SqlConnector, async_url

Open = Callable[[str, dict[str, Any]], SqlConnector]


async def test_stopped_council_mid_session(
    deployment: Deployment,
    sql_population: Population,
    connect: Open,
    tmp_path: Path,
) -> None:
    """A council database that disappears after serving leaves the others' notices and one error."""
    council = sql_population.councils[-1]
    copy = deployment.fresh_url("stop", tmp_path)
    await load_source(f"parking:{council.code}", sql_population, copy)
    options = deployment.options("parking")
    for db in options["databases"]:
        if db["label"] == council.name:
            db["url"] = copy
            service = f"parking/{db['name']}"
    source = connect("parking", options)
    if deployment.engine != "sqlite":
        [before] = await source.load_many([SHARED_VRM])
        assert isinstance(before, list) and len(before) == len(sql_population.councils)
    try:
        if deployment.engine == "sqlite":
            (tmp_path / "stop.sqlite").unlink()
        else:
            await drop_database(copy)
        [after] = await source.load_many([SHARED_VRM])
    finally:
        await drop_database(copy)
    assert isinstance(after, PartialRecords)
    assert {r["authority"] for r in after.records} == {
        c.name for c in sql_population.councils if c is not council
    }
    [error] = after.errors
    assert isinstance(error, UpstreamUnavailableError)
    assert error.service == service
    assert error.retryable


async def test_missing_database_is_unavailable(
    deployment: Deployment, connect: Open, tmp_path: Path
) -> None:
    """A single-database source whose database is missing raises UpstreamUnavailableError."""
    options = deployment.options("passports", url=deployment.fresh_url("missing", tmp_path))
    source = connect("passports", options)
    with pytest.raises(UpstreamUnavailableError) as caught:
        await source.load_many(["123456789"])
    assert caught.value.service == "passports"
    assert "SELECT" not in caught.value.message
    health = await source.health()
    assert health.status == "down"
    assert not (tmp_path / "missing.sqlite").exists()


async def test_closed_port_is_unavailable(deployment: Deployment, connect: Open) -> None:
    """A server that refuses connections gives UpstreamUnavailableError naming the source."""
    if deployment.engine == "sqlite":
        url = "sqlite:////nonexistent-directory/passports.sqlite"
    else:
        url = server_url(deployment.engine, "none", port=1)
    source = connect("passports", deployment.options("passports", url=url))
    with pytest.raises(UpstreamUnavailableError) as caught:
        await source.load_many(["123456789"])
    assert caught.value.service == "passports"


async def test_sessions_are_read_only(deployment: Deployment, connect: Open) -> None:
    """With read_only on (the default) the connector's sessions refuse writes."""
    source = connect("passports", deployment.options("passports"))
    await source.load_many(["123456789"])
    engine = source.databases[0].engine
    quote = "`" if deployment.engine == "mariadb" else '"'
    with pytest.raises(DBAPIError):
        async with engine.connect() as conn:
            await conn.execute(text(f"DELETE FROM {quote}PSPT_APPL{quote}"))
            await conn.commit()


async def test_pool_size_is_applied(deployment: Deployment, connect: Open) -> None:
    """pool_size from the settings sizes each database's connection pool."""
    source = connect("passports", deployment.options("passports", pool_size=3))
    assert source.databases[0].engine.pool.size() == 3  # type: ignore[attr-defined]


_SLOW_VIEWS = {
    "sqlite": (
        'CREATE VIEW "SLOW_PSPT" AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL '
        "SELECT x + 1 FROM c WHERE x < 500000000) "
        'SELECT m.* FROM "PSPT_MSTR" m WHERE (SELECT max(x) FROM c) > 0'
    ),
    "postgresql": 'CREATE VIEW "SLOW_PSPT" AS SELECT m.* FROM "PSPT_MSTR" m CROSS JOIN pg_sleep(2)',
    "mariadb": "CREATE VIEW SLOW_PSPT AS SELECT m.* FROM PSPT_MSTR m WHERE SLEEP(2) = 0",
}


async def test_statement_timeout(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """A statement running past statement_timeout_ms is UpstreamTimeoutError on every engine."""
    url = deployment.urls["passports"]
    admin = create_async_engine(async_url(url, create=True))
    try:
        async with admin.begin() as conn:
            await conn.execute(text(_SLOW_VIEWS[deployment.engine]))
    finally:
        await admin.dispose()
    options = deployment.options("passports", statement_timeout_ms=200)
    options["mapping"] = {**options["mapping"], "table": "SLOW_PSPT", "children": {}}
    source = connect("passports", options)
    held = next(p.passport.passport_number for p in sql_population.people if p.passport)
    with pytest.raises(UpstreamTimeoutError) as caught:
        await source.load_many([held])
    assert caught.value.service == "passports"
    assert caught.value.retryable


_SLOW_SCAN_VIEWS = {
    "sqlite": (
        'CREATE VIEW "SLOW_SCAN_PSPT" AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL '
        "SELECT x + 1 FROM c WHERE x < 600000) "
        'SELECT m.* FROM "PSPT_MSTR" m WHERE (SELECT max(x) FROM c) > 0'
    ),
    "postgresql": (
        'CREATE VIEW "SLOW_SCAN_PSPT" AS SELECT m.* FROM "PSPT_MSTR" m CROSS JOIN pg_sleep(0.5)'
    ),
    "mariadb": (
        "CREATE VIEW SLOW_SCAN_PSPT AS SELECT m.* FROM PSPT_MSTR m "
        "CROSS JOIN (SELECT SLEEP(0.5) AS z) s"
    ),
}


async def test_a_scan_has_its_own_statement_timeout(
    deployment: Deployment, sql_population: Population, connect: Open
) -> None:
    """A whole-source read's statements run under scan_statement_timeout_ms, not the
    request-sized statement_timeout_ms: with every statement slower than the latter, a read by
    key times out while a scan reads every passport, and the next read by key on the same pool
    is bounded by statement_timeout_ms again."""
    url = deployment.urls["passports"]
    admin = create_async_engine(async_url(url, create=True))
    try:
        async with admin.begin() as conn:
            await conn.execute(text(_SLOW_SCAN_VIEWS[deployment.engine]))
    finally:
        await admin.dispose()
    options = deployment.options(
        "passports", statement_timeout_ms=100, scan_statement_timeout_ms=120_000, pool_size=1
    )
    options["mapping"] = {**options["mapping"], "table": "SLOW_SCAN_PSPT", "children": {}}
    source = connect("passports", options)
    numbers = sorted(p.passport.passport_number for p in sql_population.people if p.passport)
    with pytest.raises(UpstreamTimeoutError):
        await source.load_many(numbers[:1])
    scanned = [key async for page in source.scan(1000) for key, _record in page]
    assert sorted(scanned) == numbers
    with pytest.raises(UpstreamTimeoutError):
        await source.load_many(numbers[:1])
