"""Throughput: requests/s, latency and gateway CPU per request, beside direct connector calls.

A gateway process over the 1,000-person demo data (no added latency) is driven over loopback
HTTP by an aiohttp client, every protection on (tokens, rate limit, authorization plan, cost
limit, citizen index, access ledger). In one run:

- **dashboard**: the five-department `me` (bench/queries.py) for 50 citizens in turn, 32
  concurrent workers; **direct**: the same data fetched in this process by calling the index
  and each source's connector (sources in parallel), 32 workers; ``ratio`` = gateway / direct;
- **tax**: `me { tax { ... } }` with citizen tokens, 32 workers (``p99_ms_tax``) and one
  connection (``p50_ms_c1_tax``); **tax_caseworker**: `citizen(id:) { tax { ... } }` with
  caseworker tokens (a purpose, so every answer writes a ledger row);
- gateway CPU per request (user + system time of its process over the phase, divided by the
  answers), and its resident memory after warm-up and at the end of the run (``rss_start_mb``,
  ``rss_end_mb`` over ``memory_window_s``, about six phases);
- **dashboard again** as the last phase (``rps_end``, ``cpu_ms_per_request_end``): the same
  load as the first, so a gateway still warming up (or slowing down) shows as a difference.

Each operation is warmed up first (the dashboard 10 s, the caseworker and citizen `tax` 2 s
each), so every document, plan and pool is in place before anything is measured: under load
the gateway's resident memory climbs for its first ~10 s (connection pools opening, caches
filling) and is nearly flat after, so the memory window starts once that is done.

Every answer is checked: HTTP 200, no errors, the queried data present. Each client token is
a different principal, so the rate limit (3000/minute each) is not what is measured.

The gateway's sources share upstream calls between concurrent requests as configured
(``coalesce``, on by default); ``--no-coalesce`` turns that off for every source (through
the environment, ``GOVGRAPH__SOURCES__<NAME>__COALESCE__ENABLED=false``), so that two runs
show both (the JSON line's ``coalesce``). The direct calls never share.

Run: python bench/throughput.py [--seconds 10] [--no-coalesce] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from harness import Stack, citizens_with_all_sources, data_dir, percentile, stack
from queries import ME, SINGLE_SOURCE

from resolvers.ids import encode_id

CONCURRENCY = 32
CASEWORKER_TAX = (
    "query CaseTax($id: ID!) { citizen(id: $id) { tax { taxCode balanceOwed { amount } } } }"
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Phase:
    """One measured phase: answers, their latencies and the gateway's CPU time."""

    requests: int
    seconds: float
    latencies: list[float]
    cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / max(1, self.requests)

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


async def run_gateway(
    s: Stack,
    requests: list[tuple[dict[str, str], bytes]],
    seconds: float,
    expect: bytes,
    concurrency: int = CONCURRENCY,
) -> Phase:
    """Send ``requests`` (headers, body) round-robin from ``concurrency`` workers."""
    latencies: list[float] = []
    done = 0
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(s.base_url, connector=conn) as session:
        cpu_before = cpu_seconds(s.pid)
        started = time.perf_counter()
        deadline = started + seconds

        async def worker(w: int) -> None:
            nonlocal done
            i = w
            while time.perf_counter() < deadline:
                headers, body = requests[i % len(requests)]
                t0 = time.perf_counter()
                async with session.post("/graphql", data=body, headers=headers) as r:
                    answer = await r.read()
                    if r.status != 200 or b'"errors"' in answer or expect not in answer:
                        raise RuntimeError(f"HTTP {r.status}: {answer[:300]!r}")
                latencies.append((time.perf_counter() - t0) * 1000)
                done += 1
                i += concurrency

        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(s.pid) - cpu_before
    return Phase(done, elapsed, latencies, cpu)


async def run_direct(settings: Any, cids: list[str], seconds: float) -> Phase:
    """The dashboard's data fetched in this process: index, then every source in parallel."""
    from govgraph.index import CitizenIndex
    from govgraph.sources import build_sources
    from govgraph.telemetry import Metrics

    sources = build_sources(settings.sources, Metrics())
    index = CitizenIndex(settings.gateway.index_url)
    await index.open()
    await asyncio.gather(*(s.open() for s in sources.values()))
    latencies: list[float] = []
    done = 0
    started = time.perf_counter()
    deadline = started + seconds

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
            t0 = time.perf_counter()
            await one(cids[i % len(cids)])
            latencies.append((time.perf_counter() - t0) * 1000)
            done += 1
            i += CONCURRENCY

    try:
        await asyncio.gather(*(worker(w) for w in range(CONCURRENCY)))
    finally:
        await asyncio.gather(*(s.aclose() for s in sources.values()))
        await index.aclose()
    return Phase(done, time.perf_counter() - started, latencies)


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


def switch_coalescing_off(data: Path) -> None:
    """Turn call sharing off for every demo source, in the environment the gateway inherits."""
    from govgraph import demo

    for name in demo.config_mapping(data, "http://127.0.0.1:1", port=0)["sources"]:
        os.environ[f"GOVGRAPH__SOURCES__{name.upper()}__COALESCE__ENABLED"] = "false"


async def main(seconds: float, people: int = 1000, coalesce: bool = True) -> None:
    data = data_dir(people)
    if not coalesce:
        switch_coalescing_off(data)
    warm = min(2.0, seconds)
    warm_dashboard = min(10.0, seconds)
    run_started = time.perf_counter()
    with stack(data) as s:
        cids = await citizens_with_all_sources(s.settings, 50, require=("tax",))
        citizen = [s.headers("citizen", cid) for cid in cids]
        caseworkers = [s.headers("caseworker") for _ in cids]
        dashboard = [(h, _body(ME)) for h in citizen]
        tax = [(h, _body(SINGLE_SOURCE["tax"])) for h in citizen]
        case_tax = [
            (h, _body(CASEWORKER_TAX, {"id": encode_id("Citizen", c)}))
            for h, c in zip(caseworkers, cids, strict=True)
        ]

        await run_gateway(s, dashboard, warm_dashboard, b'"me"')
        await run_gateway(s, case_tax, warm, b'"taxCode"')
        await run_gateway(s, tax, warm, b'"taxCode"')
        rss_start = rss_mb(s.pid)
        memory_from = time.perf_counter()
        me = await run_gateway(s, dashboard, seconds, b'"me"')
        await run_direct(s.settings, cids, min(1.0, seconds))  # warm-up
        direct = await run_direct(s.settings, cids, seconds)
        tax32 = await run_gateway(s, tax, seconds, b'"taxCode"')
        tax1 = await run_gateway(s, tax, seconds, b'"taxCode"', concurrency=1)
        case32 = await run_gateway(s, case_tax, seconds, b'"taxCode"')
        me_end = await run_gateway(s, dashboard, seconds, b'"me"')
        rss_end = rss_mb(s.pid)
        memory_s = time.perf_counter() - memory_from
    load = os.getloadavg()[0]
    rows = [
        ("dashboard me, 32 conn", me),
        ("direct calls, 32 workers", direct),
        ("me { tax }, citizen, 32", tax32),
        ("me { tax }, citizen, 1", tax1),
        ("citizen(id:) { tax }, caseworker, 32", case32),
        ("dashboard me again, 32 conn", me_end),
    ]
    for name, phase in rows:
        cpu = f"  cpu {phase.cpu_ms_per_request:5.2f} ms/req" if phase.cpu_s else ""
        print(
            f"{name:38s} {phase.rps:7.1f} req/s  p50 {phase.p(50):6.1f} ms"
            f"  p99 {phase.p(99):6.1f} ms{cpu}  ({phase.requests} answers)"
        )
    print(f"gateway / direct (dashboard): {me.rps / direct.rps:.2f} (target >= 0.8)")
    print(f"gateway memory: {rss_start:.1f} MiB -> {rss_end:.1f} MiB over {memory_s:.0f} s")
    print(
        f"load average at the end: {load:.2f}; whole run {time.perf_counter() - run_started:.0f} s"
    )
    print(
        json.dumps(
            {
                "rps": round(me.rps, 1),
                "p50_ms": round(me.p(50), 1),
                "p99_ms": round(me.p(99), 1),
                "cpu_ms_per_request": round(me.cpu_ms_per_request, 2),
                "direct_rps": round(direct.rps, 1),
                "ratio": round(me.rps / direct.rps, 3),
                "tax_rps": round(tax32.rps, 1),
                "p50_ms_tax": round(tax32.p(50), 1),
                "p99_ms_tax": round(tax32.p(99), 1),
                "cpu_ms_per_request_tax": round(tax32.cpu_ms_per_request, 2),
                "p50_ms_c1_tax": round(tax1.p(50), 2),
                "cpu_ms_per_request_c1_tax": round(tax1.cpu_ms_per_request, 2),
                "tax_caseworker_rps": round(case32.rps, 1),
                "p99_ms_tax_caseworker": round(case32.p(99), 1),
                "cpu_ms_per_request_tax_caseworker": round(case32.cpu_ms_per_request, 2),
                "rps_end": round(me_end.rps, 1),
                "cpu_ms_per_request_end": round(me_end.cpu_ms_per_request, 2),
                "rss_start_mb": round(rss_start, 1),
                "rss_end_mb": round(rss_end, 1),
                "memory_window_s": round(memory_s, 1),
                "concurrency": CONCURRENCY,
                "coalesce": coalesce,
                "loadavg": round(load, 2),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument(
        "--no-coalesce",
        action="store_true",
        help="the gateway's sources never share a call between requests",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, seconds: the script still runs"
    )
    args = parser.parse_args()
    if args.smoke:
        asyncio.run(main(0.5, people=60, coalesce=not args.no_coalesce))
    else:
        asyncio.run(main(args.seconds, coalesce=not args.no_coalesce))
