"""Access-ledger appends from several gateway processes on one PostgreSQL chain.

Each process opens its own ``AccessLedger`` on a PostgreSQL database made for the run and keeps
``--concurrency`` simulated requests appending one entry each, back to back, for ``--seconds``.
Prints one JSON line: for 1 process and for ``--processes`` processes, entries/s, commit
transactions/s, entries per transaction and p50/p99 append latency; the scaling ratio; and
whether ``verify`` passes on the whole chain afterwards. The chain's single head row is the
one place every replica's appends meet, so this is the figure that bounds ledger throughput.

    python bench/ledger_replicas.py [--seconds 10] [--processes 3] [--concurrency 32] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"


async def _admin(statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"{PG}/test", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def _appender(url: str, seconds: float, concurrency: int, tag: str) -> dict[str, Any]:
    from govgraph.ledger import AccessEntry, AccessLedger

    ledger = AccessLedger(url)
    await ledger.open()
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    async def one(worker: int) -> None:
        n = 0
        while time.monotonic() < stop:
            entry = AccessEntry(
                request_id=f"{tag}-{worker}-{n}",
                actor="bench",
                role="caseworker",
                purpose="case-review",
                citizen_id=f"cz_bench_{n % 1000:04d}",
                sources=("index", "tax"),
                field_groups=("identity", "tax"),
            )
            started = time.perf_counter()
            await ledger.append([entry])
            latencies.append((time.perf_counter() - started) * 1000)
            n += 1

    try:
        await asyncio.gather(*(one(w) for w in range(concurrency)))
    finally:
        transactions = ledger.transactions
        await ledger.aclose()
    return {"entries": len(latencies), "transactions": transactions, "latencies": latencies}


def _process(url: str, seconds: float, concurrency: int, tag: str, out: Any) -> None:
    out.put(asyncio.run(_appender(url, seconds, concurrency, tag)))


def _run(url: str, processes: int, seconds: float, concurrency: int) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    results: Any = context.Queue()
    workers = [
        context.Process(target=_process, args=(url, seconds, concurrency, f"p{i}", results))
        for i in range(processes)
    ]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    entries = sum(r["entries"] for r in collected)
    transactions = sum(r["transactions"] for r in collected)
    latencies = sorted(x for r in collected for x in r["latencies"])
    return {
        "entries_per_s": round(entries / seconds, 1),
        "transactions_per_s": round(transactions / seconds, 1),
        "entries_per_transaction": round(entries / max(1, transactions), 2),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else 0.0,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2) if latencies else 0.0,
    }


async def _verify(url: str) -> tuple[bool, int]:
    from govgraph.ledger import AccessLedger

    ledger = AccessLedger(url)
    await ledger.open()
    try:
        report = await ledger.verify()
    finally:
        await ledger.aclose()
    return report.ok, report.checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--smoke", action="store_true", help="1 s runs with 2 processes")
    args = parser.parse_args()
    if args.smoke:
        args.seconds, args.processes, args.concurrency = 1.0, 2, 4
    figures: dict[str, Any] = {}
    for processes in sorted({1, args.processes}):
        database = f"gg_bench_ledger_{secrets.token_hex(4)}"
        asyncio.run(_admin(f'CREATE DATABASE "{database}"'))
        url = f"{PG}/{database}"
        try:
            run = _run(url, processes, args.seconds, args.concurrency)
            ok, checked = asyncio.run(_verify(url))
        finally:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        figures.update({f"{k}_{processes}p": v for k, v in run.items()})
        figures[f"verified_{processes}p"] = ok and checked == round(
            run["entries_per_s"] * args.seconds
        )
    many = args.processes
    figures["scaling_ratio"] = round(
        figures[f"entries_per_s_{many}p"] / max(1.0, figures["entries_per_s_1p"]), 2
    )
    figures.update(
        processes=many,
        concurrency_per_process=args.concurrency,
        seconds=args.seconds,
        loadavg=round(os.getloadavg()[0], 1),
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
