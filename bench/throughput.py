"""Throughput: requests/s and latency of `me` at concurrency 32, beside direct connector calls.

Gateway: a gateway process serves `me` for 50 citizens in turn over loopback HTTP (aiohttp
client, 32 concurrent workers, no added latency). Direct: in this process, the same data is
fetched by calling the connectors directly (index lookup, then each source's `load_many` for
the citizen's keys, sources in parallel), by 32 concurrent workers. Same duration for both.

A third run sends a query that reads one SOAP source only (`me { tax { ... } }`), the shape
other gateways' SOAP figures are usually quoted for.

Run: python bench/throughput.py [--seconds 10] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp
from harness import citizens_with_all_sources, data_dir, percentile, stack
from queries import ME, SINGLE_SOURCE

CONCURRENCY = 32


async def run_gateway(
    base: str, headers: list[dict[str, str]], seconds: float, query: str = ME
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    done = 0
    deadline = time.perf_counter() + seconds
    payload = json.dumps({"query": query})
    conn = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(base, connector=conn) as session:

        async def worker(w: int) -> None:
            nonlocal done
            i = w
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.post(
                    "/graphql", data=payload, headers=headers[i % len(headers)]
                ) as r:
                    body = await r.read()
                    if r.status != 200 or b'"errors"' in body:
                        raise RuntimeError(body[:300])
                latencies.append((time.perf_counter() - started) * 1000)
                done += 1
                i += CONCURRENCY

        await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
    return done, latencies


async def run_direct(settings, cids: list[str], seconds: float) -> tuple[int, list[float]]:  # type: ignore[no-untyped-def]
    from govgraph.index import CitizenIndex
    from govgraph.sources import build_sources
    from govgraph.telemetry import Metrics

    sources = build_sources(settings.sources, Metrics())
    index = CitizenIndex(settings.gateway.index_url)
    await index.open()
    await asyncio.gather(*(s.open() for s in sources.values()))
    latencies: list[float] = []
    done = 0
    deadline = time.perf_counter() + seconds

    async def one(cid: str) -> None:
        links = (await index.links_for([cid]))[cid]
        by_source: dict[str, list[str]] = {}
        for link in links:
            by_source.setdefault(link.source, []).append(link.key)
        await asyncio.gather(
            index.profiles([cid]),
            *(sources[src].connector.load_many(keys) for src, keys in by_source.items()),
        )

    async def worker(w: int) -> None:
        nonlocal done
        i = w
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await one(cids[i % len(cids)])
            latencies.append((time.perf_counter() - started) * 1000)
            done += 1
            i += CONCURRENCY

    try:
        await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
    finally:
        await asyncio.gather(*(s.aclose() for s in sources.values()))
        await index.aclose()
    return done, latencies


async def main(seconds: float, people: int = 1000) -> None:
    data = data_dir(people)
    with stack(data) as s:
        cids = await citizens_with_all_sources(s.settings, 50)
        headers = [s.headers("citizen", cid) for cid in cids]
        await run_gateway(s.base_url, headers, min(2.0, seconds))  # warm-up
        n, lat = await run_gateway(s.base_url, headers, seconds)
        rps = n / seconds
        await run_direct(s.settings, cids, min(1.0, seconds))  # warm-up
        dn, dlat = await run_direct(s.settings, cids, seconds)
        direct_rps = dn / seconds
        # One SOAP source only: the shape of query other gateways are usually measured on.
        tn, tlat = await run_gateway(s.base_url, headers, seconds, SINGLE_SOURCE["tax"])
        tax_rps = tn / seconds
    p50, p99 = percentile(lat, 50), percentile(lat, 99)
    print(f"gateway: {rps:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  ({n} requests)")
    print(
        f"direct:  {direct_rps:7.1f} req/s  p50 {percentile(dlat, 50):6.1f} ms  "
        f"p99 {percentile(dlat, 99):6.1f} ms  ({dn} fetches)"
    )
    print(f"gateway / direct: {rps / direct_rps:.2f} (target >= 0.4)")
    print(
        f"one SOAP source (me {{ tax }}): {tax_rps:7.1f} req/s  p50 {percentile(tlat, 50):6.1f} ms"
        f"  p99 {percentile(tlat, 99):6.1f} ms"
    )
    print(
        json.dumps(
            {
                "rps": round(rps, 1),
                "p50_ms": round(p50, 1),
                "p99_ms": round(p99, 1),
                "direct_rps": round(direct_rps, 1),
                "ratio": round(rps / direct_rps, 3),
                "tax_only_rps": round(tax_rps, 1),
                "tax_only_p99_ms": round(percentile(tlat, 99), 1),
                "concurrency": CONCURRENCY,
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    args = parser.parse_args()
    if args.smoke:
        asyncio.run(main(0.5, people=60))
    else:
        asyncio.run(main(args.seconds))
