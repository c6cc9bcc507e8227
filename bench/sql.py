"""SQL connector throughput against the raw driver, and queries per council for a fan-out.

For each engine (SQLite; PostgreSQL and MariaDB when their local servers run), the passport
office's database is loaded with a generated population and 1,000 passports are read in one
batch (master rows and their applications) through ``SqlConnector.load_many`` and, in the same
run, by the raw driver (aiosqlite, asyncpg, aiomysql) executing the very same SQL statements and
fetching every row. Then a ``parkingFines``-style request for 1,000 citizens' vehicles goes to
every council's database at once, counting the statements each council receives.

Run: ``python bench/sql.py`` (``--rounds N`` to change the repetitions, ``--smoke`` for tiny
sizes). The last line is JSON: ``driver_ratio`` (connector rows/s over driver rows/s, by engine) and
``queries_per_council``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import aiomysql
import aiosqlite
import asyncpg
from sqlalchemy import make_url

from fixtures.generate import generate
from fixtures.model import Population
from fixtures.sqldb import drop_database, load_source
from fixtures.sqldb.testing import ENGINES, Deployment, engine_unavailable, source_urls
from legacy_connectors.sql import SqlConnector
from legacy_connectors.sql.database import Database

BATCH = 1000


def _compiled(db: Database, statement: Any, name: str, values: list[Any]) -> tuple[str, list[Any]]:
    """The statement's SQL as the engine receives it, with its positional parameters."""
    compiled = statement.compile(dialect=db.engine.dialect)
    state = compiled.construct_expanded_state({name: values})
    return state.statement, [state.parameters[p] for p in state.positiontup or []]


async def _raw_reader(
    engine: str, url: str
) -> tuple[Callable[[str, list[Any]], Awaitable[list[Any]]], Callable[[], Awaitable[None]]]:
    parsed = make_url(url)
    if engine == "sqlite":
        conn = await aiosqlite.connect(parsed.database or "")

        async def run_sqlite(sql: str, params: list[Any]) -> list[Any]:
            async with conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())

        return run_sqlite, conn.close
    if engine == "postgresql":
        pg = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
        )

        async def run_pg(sql: str, params: list[Any]) -> list[Any]:
            return list(await pg.fetch(sql, *params))

        return run_pg, pg.close
    my = await aiomysql.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 3306,
        user=parsed.username or "root",
        password="",
        db=parsed.database,
    )

    async def run_my(sql: str, params: list[Any]) -> list[Any]:
        async with my.cursor() as cursor:
            await cursor.execute(sql, params)
            return list(await cursor.fetchall())

    async def close_my() -> None:
        my.close()

    return run_my, close_my


async def _paired(
    first: Callable[[], Awaitable[Any]], second: Callable[[], Awaitable[Any]], rounds: int
) -> tuple[float, float]:
    """Median seconds of each reader, run alternately so both see the same machine load."""
    await first()
    await second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(rounds):
        for run, bucket in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            await run()
            bucket.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


async def driver_ratio(
    deployment: Deployment, population: Population, rounds: int, batch: int = BATCH
) -> float:
    """Connector rows/s over raw-driver rows/s for a ``batch``-passport read on one engine."""
    keys = [p.passport.passport_number for p in population.people if p.passport][:batch]
    assert len(keys) == batch, f"population too small: {len(keys)} passports"
    connector = SqlConnector.from_options("passports", deployment.options("passports"))
    assert isinstance(connector, SqlConnector)
    db = connector.databases[0]
    main_sql, main_params = _compiled(db, db.plan.statement, "keys", keys)
    child = db.plan.children[0]
    raw_query, close = await _raw_reader(deployment.engine, deployment.urls["passports"])
    try:
        rows = await raw_query(main_sql, main_params)
        parents = list(dict.fromkeys(row[0] for row in rows))
        child_sql, child_params = _compiled(db, child.statement, "parents", parents)

        async def through_driver() -> None:
            master = await raw_query(main_sql, main_params)
            assert len(master) == batch
            await raw_query(child_sql, child_params)

        async def through_connector() -> None:
            results = await connector.load_many(keys)
            assert all(isinstance(r, dict) for r in results)

        raw, ours = await _paired(through_driver, through_connector, rounds)
    finally:
        await close()
        await connector.aclose()
    print(
        f"  {deployment.engine:<10} connector {batch / ours:>9,.0f} rows/s   "
        f"driver {batch / raw:>9,.0f} rows/s   ratio {raw / ours:.2f}"
    )
    return raw / ours


async def queries_per_council(
    deployment: Deployment, population: Population, batch: int = BATCH
) -> dict[str, int]:
    """Statements each council receives for ``batch`` citizens' vehicles in one request."""
    citizens = population.people[:batch]
    vrms = sorted({v.vrm for person in citizens for v in person.vehicles})
    connector = SqlConnector.from_options("parking", deployment.options("parking"))
    assert isinstance(connector, SqlConnector)
    try:
        results = await connector.load_many(vrms)
        notices = sum(len(r) for r in results if isinstance(r, list))
        counts = connector.queries
    finally:
        await connector.aclose()
    print(
        f"  {deployment.engine:<10} {len(citizens)} citizens, {len(vrms)} VRMs, {notices} notices: "
        + ", ".join(f"{name} {count}" for name, count in counts.items())
    )
    return counts


async def main(rounds: int, people: int, batch: int = BATCH) -> None:
    population = generate(people=people, seed=42, noise="clean", as_of=date(2026, 1, 1))
    ratios: dict[str, float] = {}
    per_council: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ENGINES:
            reason = engine_unavailable(engine)
            if reason is not None:
                print(f"  {reason}: skipped")
                continue
            urls = source_urls(engine, population, Path(tmp) / engine)
            (Path(tmp) / engine).mkdir()
            try:
                for source, url in urls.items():
                    await load_source(source, population, url)
                deployment = Deployment(engine, urls, population)
                print(f"{engine}: {batch:,}-passport batch read ({rounds} rounds, median)")
                ratios[engine] = round(await driver_ratio(deployment, population, rounds, batch), 3)
                print(f"{engine}: parkingFines for {batch:,} citizens across every council")
                counts = await queries_per_council(deployment, population, batch)
                per_council[engine] = max(counts.values())
            finally:
                for url in urls.values():
                    await drop_database(url)
    print(json.dumps({"driver_ratio": ratios, "queries_per_council": max(per_council.values())}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60, help="timed repetitions per reader")
    parser.add_argument("--people", type=int, default=1500, help="population size")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.people = 2, 200
    asyncio.run(main(args.rounds, args.people, 50 if args.smoke else BATCH))
