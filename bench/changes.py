"""What a change feed costs against a full scan of the same source, with 1 % of records changed.

For each built-in kind over its simulated department:
- ``sql``: the passport office (one SQLite database) and the councils' parking (a set of three
  databases) written from a generated population of ``--people``; ``--changed`` of the keys
  are edited with plain SQL (the databases' triggers raise their row versions);
- ``soap``: the simulated tax service over the same population, on a loopback thread; the
  department changes ``--changed`` of the taxpayers' addresses (its change log);
- ``flatfile``: a benefits batch file of ``--records`` claims (synthetic claims shaped by
  the fixture writer), then the next night's extract with ``--changed`` of the claims' awards
  changed, written as a new generation and taken up by the connector (``refresh``, as its
  poller does; a relink opens the connector on the newest generation anyway) before the feed
  is timed, as the scan is timed on a generation already indexed.

Each source is read whole (``scan``) and through the feed from a cursor taken before the
change (``changes``), with wall and process CPU seconds for each (the process includes the
simulated tax service's thread). The feed must list exactly the changed keys (checked).

Run: ``python bench/changes.py [--people 100000] [--records 400000] [--changed 0.01]
[--smoke]``. The last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fixtures.benefits import COPYBOOK, claim_values
from fixtures.benefits import source_options as benefits_options
from fixtures.benefits.writer import SYSTEM_ID
from fixtures.generate import generate
from fixtures.model import Population
from fixtures.sqldb import source_options as sql_options
from fixtures.sqldb import write as write_sql
from fixtures.sqldb.edits import edit_rows, table_of
from fixtures.tax import source_options as tax_options
from fixtures.tax.runner import serve_in_thread
from fixtures.tax.service import create_app
from fixtures.tax.testing import TaxService
from fixtures.tax.writer import write as write_tax
from legacy_connectors.base import ChangePage, Connector
from legacy_connectors.flatfile import FlatFileConnector, FlatFileSettings, write_batch
from legacy_connectors.soap import SoapConnector
from legacy_connectors.sql import SqlConnector

AS_OF = date(2026, 1, 1)
_LETTERS = "ABCEGHJKLMNPRSTWXYZ"


async def _timed(work: Callable[[], Awaitable[int]]) -> tuple[int, float, float]:
    """(count, wall s, process CPU s) of one run of ``work``."""
    wall, cpu = time.perf_counter(), time.process_time()
    count = await work()
    return count, time.perf_counter() - wall, time.process_time() - cpu


async def _scan(connector: Connector) -> int:
    count = 0
    async for batch in connector.scan(1000):
        count += len(batch)
    return count


async def _feed(connector: Connector, cursor: str, keys: set[str]) -> int:
    listed: set[str] = set()
    records = 0
    pages: AsyncIterator[ChangePage] = connector.changes(cursor, 1000)
    async for page in pages:
        records += len(page.changed)
        listed.update(key for key, _ in page.changed)
        listed.update(page.removed)
    if listed != keys:
        raise SystemExit(
            f"{connector.name}: the feed listed {len(listed)} keys, {len(keys)} changed"
        )
    return records


async def _measure(
    name: str, connector: Connector, change: Callable[[list[str]], Awaitable[None]], share: float
) -> dict[str, Any]:
    keys: list[str] = []
    async for batch in connector.scan(1000):
        keys += [key for key, _ in batch]
    unique = sorted(set(keys))
    chosen = sorted(random.Random(7).sample(unique, max(1, round(len(unique) * share))))
    scanned, scan_s, scan_cpu = await _timed(lambda: _scan(connector))
    cursor = await connector.change_cursor()
    await change(chosen)
    listed, feed_s, feed_cpu = await _timed(lambda: _feed(connector, cursor, set(chosen)))
    return {
        "source": name,
        "records": scanned,
        "keys": len(unique),
        "changed_keys": len(chosen),
        "feed_records": listed,
        "scan_s": round(scan_s, 3),
        "scan_cpu_s": round(scan_cpu, 3),
        "feed_s": round(feed_s, 3),
        "feed_cpu_s": round(feed_cpu, 3),
        "feed_to_scan": round(feed_s / scan_s, 4) if scan_s else None,
        "feed_to_scan_cpu": round(feed_cpu / scan_cpu, 4) if scan_cpu else None,
    }


async def _sql(population: Population, data: Path, share: float) -> list[dict[str, Any]]:
    write_sql(population, data)
    out: list[dict[str, Any]] = []
    for source in ("passports", "parking"):
        options = sql_options(source, data)
        connector = SqlConnector.from_options(source, options)
        targets = (
            [(options["url"], table_of(source))]
            if source == "passports"
            else [(db["url"], table_of(source, db["mapping"])) for db in options["databases"]]
        )

        async def change(keys: list[str], targets: list[tuple[str, str]] = targets) -> None:
            for url, table in targets:
                await edit_rows(url, table, keys, "Edited")

        try:
            out.append(await _measure(source, connector, change, share))
        finally:
            await connector.aclose()
    return out


async def _soap(population: Population, data: Path, share: float) -> dict[str, Any]:
    write_tax(population, data)
    with serve_in_thread(create_app(data)) as url:
        service = TaxService(url, data, population)
        connector = SoapConnector.from_options("tax", tax_options(data, url))
        await connector.open()

        async def change(keys: list[str]) -> None:
            address = {"Line": ["1 Changed Row"], "Town": "Westvale", "PostCode": "WV1 1CR"}
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                await asyncio.to_thread(
                    service.change_records, addresses=dict.fromkeys(part, address)
                )

        try:
            return await _measure("tax", connector, change, share)
        finally:
            await connector.aclose()


def _claims(population: Population, count: int) -> list[dict[str, Any]]:
    """``count`` claims shaped like the department's (each a distinct claimant), from the
    population's claims with fresh NINOs and claim ids."""
    shapes = [claim_values(c) for p in population.people for c in p.benefits]
    claims: list[dict[str, Any]] = []
    for n in range(count):
        values = dict(shapes[n % len(shapes)])
        prefix = _LETTERS[(n // 1_000_000) % 19] + _LETTERS[(n // 19_000_000) % 19]
        values["NINO"] = f"{prefix}{n % 1_000_000:06d}{'ABCD'[n % 4]}"
        values["CLAIM_ID"] = f"C{n:09d}"
        claims.append(values)
    return claims


def _write_extract(folder: Path, claims: list[dict[str, Any]], day: date) -> None:
    settings = FlatFileSettings.model_validate(benefits_options(folder))
    header = {"FILE_DATE": day, "GENERATION_NO": 1, "SYSTEM_ID": SYSTEM_ID}
    write_batch(folder / f"BENEFITS.D{day:%y%m%d}", settings, iter(claims), header=header)


async def _flatfile(
    population: Population, data: Path, records: int, share: float
) -> dict[str, Any]:
    folder = data / "benefits"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(COPYBOOK, folder / "BENEFITS.cpy")
    claims = _claims(population, records)
    started = time.perf_counter()
    _write_extract(folder, claims, AS_OF)
    write_s = time.perf_counter() - started
    connector = FlatFileConnector.from_options("benefits", benefits_options(data))
    await connector.open()

    async def change(keys: list[str]) -> None:
        wanted = set(keys)
        nightly = [
            {**c, "AWARD_AMOUNT": c["AWARD_AMOUNT"] + Decimal("1.00")} if c["NINO"] in wanted else c
            for c in claims
        ]
        await asyncio.to_thread(_write_extract, folder, nightly, date(2026, 1, 2))
        await connector.refresh()

    try:
        figures = await _measure("benefits", connector, change, share)
    finally:
        await connector.aclose()
    figures["write_generation_s"] = round(write_s, 3)
    return figures


async def run(people: int, records: int, share: float) -> dict[str, Any]:
    started = time.perf_counter()
    population = generate(people=people, seed=0, noise="realistic", as_of=AS_OF)
    generate_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-changes-") as tmp:
        data = Path(tmp)
        sources = await _sql(population, data / "sql", share)
        sources.append(await _soap(population, data / "tax", share))
        sources.append(await _flatfile(population, data / "flat", records, share))
    return {
        "bench": "changes",
        "people": people,
        "benefits_records": records,
        "changed_share": share,
        "generate_s": round(generate_s, 2),
        "sources": sources,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=400_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (for the test suite)")
    args = parser.parse_args()
    if args.smoke:
        args.people, args.records = 300, 3000
    figures = asyncio.run(run(args.people, args.records, args.changed))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
