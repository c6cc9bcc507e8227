"""Chaos: steady `me` load while one source flaps and another is slow.

For ``--seconds`` (60), ``--workers`` (16) concurrent clients ask for the `me` dashboard of
citizens linked to every department, over loopback HTTP to a gateway process. Meanwhile the
simulated tax service (SOAP) is dead for 5 s, then up for 5 s, and so on (its admin endpoint,
``mode=dead``: it holds every request without answering), and the passport office (SQL) is
slowed to 3 s per call by the gateway's fault injection.

Reported: requests answered and HTTP 5xx (must be 0); the share of responses in which every
unaffected source's data (benefits, driving licence, vehicles, parking) is complete, i.e. equal
to what it was with everything healthy (must be 100%); the same for the slow source; p50/p99
latency against the request deadline; how long after the tax service comes back its data is
served again (breaker recovery); and the gateway's resident memory at start and end.

Run: python bench/chaos.py [--seconds 60] [--workers 16] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from harness import ROOT, data_dir, free_port, percentile
from queries import ME, SINGLE_SOURCE

from govgraph import demo
from govgraph.idp import DemoIdentityProvider
from govgraph.index import CitizenIndex

FLAPPING = "tax"
SLOW = "passports"
UNAFFECTED_FIELDS = ("benefits", "drivingLicence", "vehicles", "parkingFines")
SLOW_FIELDS = ("passport",)
FLAP_FIELDS = ("tax",)
DEADLINE_S = 10.0
PHASE_S = 5.0

POLICIES: dict[str, dict[str, Any]] = {
    FLAPPING: {
        "timeout_s": 2.0,
        "read_timeout_s": 1.0,
        "breaker": {"failure_threshold": 5, "recovery_s": 2.0},
    },
    SLOW: {"timeout_s": 5.0, "chaos": {"latency_ms": 3000}},
}
"""Gateway policy of the two affected sources; the others keep the defaults."""


def personas(data: Path, limit: int) -> list[dict[str, Any]]:
    """Generator truth of people with records in tax, benefits, passports and vehicles."""
    out = []
    with (data / "truth.jsonl").open() as lines:
        for line in lines:
            row = json.loads(line)
            if all(row.get(s) for s in ("tax", "benefits", "passports", "vehicles")):
                out.append(row)
            if len(out) == limit:
                break
    return out


async def write_index(url: str, people: list[dict[str, Any]]) -> list[str]:
    """A citizen index linking each person's keys exactly (independent of linkage quality)."""
    index = CitizenIndex(url)
    await index.open()
    try:
        ids = []
        for person in people:
            cid: str | None = None
            for source in ("tax", "benefits", "passports", "vehicles", "parking"):
                held = person.get(source) or []
                keys = held if isinstance(held, list) else [held]
                for key in keys:
                    cid = await index.link_by_caseworker(cid, source, key)
            assert cid is not None
            ids.append(cid)
        return ids
    finally:
        await index.aclose()


@dataclass
class Gateway:
    base_url: str
    pid: int
    tax_url: str
    idp: DemoIdentityProvider


@contextlib.contextmanager
def chaos_stack(data: Path, index_url: str) -> Iterator[Gateway]:
    """The simulated tax service and a gateway process with the chaos policies."""
    idp = demo.identity_provider(data)
    with demo.tax_service(data) as tax_url:
        port = free_port()
        mapping = demo.config_mapping(data, tax_url, port=port)
        mapping["gateway"].update({"index_url": index_url, "request_timeout_s": DEADLINE_S})
        for name, policy in POLICIES.items():
            mapping["sources"][name].update(policy)
        config = data / f"chaos-{port}.toml"
        demo.write_config(config, mapping)
        proc = subprocess.Popen(
            [sys.executable, "-m", "govgraph.cli", "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                        break
                time.sleep(0.2)
            else:
                raise RuntimeError("the gateway did not become ready")
            yield Gateway(base, proc.pid, tax_url, idp)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            config.unlink(missing_ok=True)


def rss_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MiB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Outcome:
    started: float
    finished: float
    status: int
    me: dict[str, Any] | None
    cid: str
    codes: list[str]


async def fetch(
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    cid: str,
    query: str = ME,
    name: str = "Dashboard",
) -> Outcome:
    started = time.monotonic()
    payload = json.dumps({"query": query, "operationName": name})
    async with session.post("/graphql", data=payload, headers=headers) as response:
        body = await response.read()
        status = response.status
    me = None
    codes: list[str] = []
    if status == 200:
        answer = json.loads(body)
        me = (answer.get("data") or {}).get("me")
        for error in answer.get("errors") or []:
            ext = error.get("extensions") or {}
            codes.append(f"{ext.get('service')}:{ext.get('code')}")
    return Outcome(started, time.monotonic(), status, me, cid, codes)


async def set_tax(session: aiohttp.ClientSession, tax_url: str, mode: str) -> None:
    async with session.post(f"{tax_url}/admin/faults", json={"mode": mode}) as response:
        response.raise_for_status()


def run(seconds: float, workers: int, people: int, citizens: int = 50) -> dict[str, Any]:
    data = data_dir(people=people)
    cast = personas(data, citizens)
    index_path = data / f"chaos-index-{os.getpid()}.sqlite"
    index_url = f"sqlite+aiosqlite:///{index_path}"
    try:
        cids = asyncio.run(write_index(index_url, cast))
        with chaos_stack(data, index_url) as gw:
            return asyncio.run(drive(gw, cids, seconds, workers))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{index_path}{suffix}").unlink(missing_ok=True)


async def drive(gw: Gateway, cids: list[str], seconds: float, workers: int) -> dict[str, Any]:
    headers = {
        cid: {
            "Authorization": f"Bearer {gw.idp.token(role='citizen', citizen_id=cid)}",
            "Content-Type": "application/json",
        }
        for cid in cids
    }
    timeout = aiohttp.ClientTimeout(total=DEADLINE_S * 3)
    connector = aiohttp.TCPConnector(limit=workers + 4)
    async with aiohttp.ClientSession(gw.base_url, connector=connector, timeout=timeout) as session:
        baseline: dict[str, dict[str, Any]] = {}
        for start in range(0, len(cids), workers):
            batch = cids[start : start + workers]
            for outcome in await asyncio.gather(*(fetch(session, headers[c], c) for c in batch)):
                if outcome.status != 200 or outcome.me is None or outcome.codes:
                    raise RuntimeError(f"warm-up request failed: {outcome.status} {outcome.codes}")
                baseline[outcome.cid] = outcome.me
        rss_start = rss_mb(gw.pid)
        print(f"warm-up: {len(cids)} citizens, gateway RSS {rss_start:.1f} MiB", flush=True)

        outcomes: list[Outcome] = []
        probes: list[Outcome] = []
        failures: list[str] = []
        ups: list[float] = []
        stop = time.monotonic() + seconds

        async def flap() -> None:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True)
            ) as admin:
                while time.monotonic() < stop:
                    await set_tax(admin, gw.tax_url, "dead")
                    await asyncio.sleep(min(PHASE_S, max(0.0, stop - time.monotonic())))
                    await set_tax(admin, gw.tax_url, "ok")
                    ups.append(time.monotonic())
                    await asyncio.sleep(min(PHASE_S, max(0.0, stop - time.monotonic())))

        async def worker(w: int) -> None:
            i = w
            while time.monotonic() < stop:
                cid = cids[i % len(cids)]
                i += workers
                try:
                    outcomes.append(await fetch(session, headers[cid], cid))
                except (aiohttp.ClientError, TimeoutError) as exc:
                    failures.append(type(exc).__name__)

        async def probe() -> None:
            cid = cids[0]
            while time.monotonic() < stop:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    probes.append(
                        await fetch(session, headers[cid], cid, SINGLE_SOURCE["tax"], "Tax")
                    )
                await asyncio.sleep(0.05)

        await asyncio.gather(flap(), probe(), *(worker(w) for w in range(workers)))
        rss_end = rss_mb(gw.pid)
    return summarise(
        outcomes, probes, failures, baseline, ups, rss_start, rss_end, seconds, workers
    )


def _complete(outcome: Outcome, baseline: dict[str, Any], fields: tuple[str, ...]) -> bool:
    return outcome.me is not None and all(outcome.me[f] == baseline[f] for f in fields)


def summarise(
    outcomes: list[Outcome],
    probes: list[Outcome],
    failures: list[str],
    baseline: dict[str, dict[str, Any]],
    ups: list[float],
    rss_start: float,
    rss_end: float,
    seconds: float,
    workers: int,
) -> dict[str, Any]:
    answered = [o for o in outcomes if o.status < 500]
    ok = [o for o in outcomes if o.status == 200 and o.me is not None]
    unaffected = sum(_complete(o, baseline[o.cid], UNAFFECTED_FIELDS) for o in ok)
    slow = sum(_complete(o, baseline[o.cid], SLOW_FIELDS) for o in ok)
    with_tax = sum(_complete(o, baseline[o.cid], FLAP_FIELDS) for o in ok)
    latencies = [(o.finished - o.started) * 1000 for o in outcomes]
    recoveries = []
    for up in ups:
        served = [
            p.finished for p in probes if p.started >= up and p.me and p.me["tax"] is not None
        ]
        if served:
            recoveries.append(min(served) - up)
    codes = Counter(code for o in outcomes for code in o.codes)
    total = len(outcomes) + len(failures)
    print(f"load: {seconds:g} s, {workers} workers; tax dead/up every {PHASE_S:g} s")
    http_5xx = sum(1 for o in outcomes if o.status >= 500)
    print(f"  requests {total}, answered {len(answered)}, HTTP 5xx {http_5xx}")
    print(f"  unanswered (client-side timeout or connection error) {len(failures)}")
    print(f"  unaffected sources complete: {unaffected}/{len(ok)}")
    print(f"  slow source ({SLOW}, 3 s) complete: {slow}/{len(ok)}")
    print(f"  flapping source ({FLAPPING}) served: {with_tax}/{len(ok)}")
    print(
        f"  latency p50 {percentile(latencies, 50):.0f} ms, p99 {percentile(latencies, 99):.0f} ms,"
        f" max {max(latencies, default=0):.0f} ms (deadline {DEADLINE_S * 1000:.0f} ms)"
    )
    if recoveries:
        print(
            "  tax served again after it returned (tax-only probe every 50 ms): "
            f"mean {sum(recoveries) / len(recoveries):.2f} s, max {max(recoveries):.2f} s "
            f"over {len(recoveries)} returns"
        )
    print(f"  errors in responses: {dict(codes.most_common())}")
    print(f"  gateway RSS {rss_start:.1f} MiB at start, {rss_end:.1f} MiB at end")
    return {
        "requests": total,
        "http_5xx": http_5xx,
        "client_failures": len(failures),
        "unaffected_complete_ratio": round(unaffected / len(ok), 4) if ok else 0.0,
        "slow_complete_ratio": round(slow / len(ok), 4) if ok else 0.0,
        "flapping_served_ratio": round(with_tax / len(ok), 4) if ok else 0.0,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
        "deadline_ms": DEADLINE_S * 1000,
        "breaker_recovery_mean_s": round(sum(recoveries) / len(recoveries), 3)
        if recoveries
        else None,
        "breaker_recovery_max_s": round(max(recoveries), 3) if recoveries else None,
        "error_codes": dict(codes),
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="steady load with a flapping and a slow source")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    args = parser.parse_args()
    if args.smoke:
        result = run(seconds=2.0, workers=4, people=60, citizens=4)
    else:
        result = run(args.seconds, args.workers, args.people)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
