"""Cost of writes: SQL commands, input-batch appends and the outbox's idempotency bookkeeping.

Runs on a fresh copy of generated data (SQLite councils, the flat-file input folder and a
gateway store in a temporary folder):

- SQL ``change_address`` on one council, applied and then resent (the journal's duplicate path);
- flat-file ``change_address`` appends to the day's input batch file as it grows (each append
  rewrites the file, so the cost grows with the day's size);
- ``Outbox.begin_mutation`` + ``finish_mutation`` per request, and 20 concurrent identical
  requests resolved by the unique constraint.

    python bench/writes.py [--n 300] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import data_dir  # noqa: E402
from fixtures.sqldb.sources import source_options  # noqa: E402
from fixtures.writes import commands  # noqa: E402
from govgraph.outbox import Outbox  # noqa: E402
from legacy_connectors.flatfile.writes.command_model import FlatFileCommand  # noqa: E402
from legacy_connectors.flatfile.writes.commands import InputBatch  # noqa: E402
from legacy_connectors.sql import SqlConnector  # noqa: E402

ADDRESS = {"lines": ["1 Bench Row"], "town": "Testbury", "postcode": "TB1 1BR"}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return _median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000


async def sql_commands(work: Path, n: int) -> dict[str, float]:
    options = source_options("parking", work)
    options["commands"] = commands("parking", work)
    connector = SqlConnector.from_options("parking", options)
    council = options["databases"][0]["label"]
    payload = {"council": council, "vrms": ["AB12 CDE"], "address": ADDRESS}
    applied: list[float] = []
    resent: list[float] = []
    try:
        for i in range(n):
            started = time.perf_counter()
            await connector.submit("change_address", payload, delivery_id=f"b{i}")
            applied.append(time.perf_counter() - started)
        for i in range(n):
            started = time.perf_counter()
            await connector.submit("change_address", payload, delivery_id=f"b{i}")
            resent.append(time.perf_counter() - started)
    finally:
        await connector.aclose()
    p50, p95 = _ms(applied)
    d50, d95 = _ms(resent)
    print(f"SQL command (SQLite council): applied p50 {p50:.2f} ms p95 {p95:.2f} ms")
    print(f"  resent (duplicate) p50 {d50:.2f} ms p95 {d95:.2f} ms")
    return {"sql_p50_ms": p50, "sql_p95_ms": p95, "sql_dup_p50_ms": d50}


async def batch_appends(work: Path, n: int) -> dict[str, float]:
    spec = FlatFileCommand.model_validate(commands("benefits", work)["change_address"])
    batch = InputBatch("benefits", "change_address", spec)
    times: list[float] = []
    for i in range(n):
        started = time.perf_counter()
        await batch.submit({"nino": "AB123456C", "address": ADDRESS}, f"d{i}")
        times.append(time.perf_counter() - started)
    tenth = max(1, n // 10)
    first = _median(times[:tenth]) * 1000
    last = _median(times[-tenth:]) * 1000
    print(f"input batch append: first {tenth} p50 {first:.2f} ms, last {tenth} p50 {last:.2f} ms")
    print(f"  ({n} transactions, file {n * 200 + 400} bytes at the end)")
    return {"append_first_p50_ms": first, "append_last_p50_ms": last, "appends": n}


async def outbox(work: Path, n: int) -> dict[str, float]:
    store = Outbox(f"sqlite+aiosqlite:///{work / 'store.sqlite'}")
    await store.open()
    try:
        times: list[float] = []
        for i in range(n):
            started = time.perf_counter()
            claim = await store.begin_mutation("c1", "bench", f"key-{i}", "h")
            await store.finish_mutation(claim.mutation_id, {"ok": True})
            times.append(time.perf_counter() - started)
        started = time.perf_counter()

        async def same() -> bool:
            claim = await store.begin_mutation("c1", "bench", "shared-key", "h")
            if claim.fresh:
                await asyncio.sleep(0.01)
                await store.finish_mutation(claim.mutation_id, {"ok": True})
            return claim.fresh

        fresh = await asyncio.gather(*(same() for _ in range(20)))
        concurrent = (time.perf_counter() - started) * 1000
    finally:
        await store.aclose()
    p50, p95 = _ms(times)
    print(f"idempotency bookkeeping per mutation: p50 {p50:.2f} ms p95 {p95:.2f} ms")
    print(f"20 concurrent identical requests: {sum(fresh)} ran, answered in {concurrent:.0f} ms")
    return {"idem_p50_ms": p50, "idem_p95_ms": p95, "concurrent20_ms": concurrent}


async def main(n: int, people: int) -> None:
    source = data_dir(people=people, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(source / "parking", work / "parking")
        figures = {}
        figures.update(await sql_commands(work, n))
        figures.update(await batch_appends(work, n))
        figures.update(await outbox(work, n))
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300, help="operations per measurement")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    args = parser.parse_args()
    if args.smoke:
        args.n = 5
    asyncio.run(main(args.n, 60 if args.smoke else 1000))
