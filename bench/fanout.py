"""Fan-out: the `me` query with every source 50 ms away costs about one source, not five.

Each source is given 50 ms of latency (the SOAP service sleeps before answering; the other
sources through the gateway's fault-injection delay). The script measures the median latency
of the full `me` query and of a query touching one source at a time, and prints the ratio of
the full query to the slowest single source.

Run: python bench/fanout.py [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
from harness import citizens_with_all_sources, data_dir, percentile, stack
from queries import ME, SINGLE_SOURCE

LATENCY_MS = 50.0
ROUNDS = 30


async def median_ms(
    client: httpx.AsyncClient, query: str, headers: list[dict[str, str]], rounds: int
) -> float:
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        r = await client.post("/graphql", json={"query": query}, headers=headers[i % len(headers)])
        samples.append((time.perf_counter() - started) * 1000)
        body = r.json()
        assert r.status_code == 200 and "errors" not in body, body
    return percentile(samples, 50)


async def main(smoke: bool) -> None:
    rounds = 3 if smoke else ROUNDS
    data = data_dir(60 if smoke else 1000)
    with stack(data, latency_ms=LATENCY_MS) as s:
        cids = await citizens_with_all_sources(s.settings, 10)
        headers = [s.headers("citizen", cid) for cid in cids]
        async with httpx.AsyncClient(base_url=s.base_url, timeout=30) as client:
            await median_ms(client, ME, headers, rounds)  # warm-up
            single = {
                src: await median_ms(client, q, headers, rounds) for src, q in SINGLE_SOURCE.items()
            }
            full = await median_ms(client, ME, headers, rounds)
    slowest = max(single.values())
    for src, ms in single.items():
        print(f"{src:10s} alone: {ms:7.1f} ms (median of {rounds})")
    print(f"me (all five): {full:7.1f} ms; slowest single source {slowest:.1f} ms")
    ratio = full / slowest
    print(f"ratio full / slowest single source: {ratio:.2f} (target < 1.5)")
    print(
        json.dumps(
            {
                "ratio": round(ratio, 3),
                "me_ms": round(full, 1),
                "slowest_single_ms": round(slowest, 1),
                "latency_ms": LATENCY_MS,
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    asyncio.run(main(parser.parse_args().smoke))
