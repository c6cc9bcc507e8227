"""The citizen app's home page against the one API call it makes: server time of each.

Signs in through the app (OpenID Connect code flow with the demo persona page), then times
``GET /app/`` and ``POST /graphql`` with the app's own ``Home`` operation and the same persona's
token, alternating, on loopback; then the gateway process's CPU time per request of each, over
blocks of requests of one kind in turn. Prints one JSON line: medians, p95s and their ratio
(the target is a home page within 1.2x of its API call), and the CPU-time ratio, which other
load on a shared machine distorts less than wall-clock times.

    python bench/app_home.py [--people 1000] [--rounds 200] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import data_dir, percentile, stack
from bench.throughput import cpu_seconds
from govgraph.index import CitizenIndex
from govgraph.personas import find_personas
from govgraph.webapp.queries import HOME


def _sign_in(client: httpx.Client, base: str, persona: str) -> None:
    page = client.get(f"{base}/app/")
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    form["persona"] = persona
    home = client.post(str(page.url).split("?")[0], data=form)
    if home.status_code != 200 or str(home.url) != f"{base}/app/":
        raise RuntimeError(f"signing in failed: {home.status_code} {home.url}")


async def _persona(settings: object, data: Path, name: str) -> str:
    index = CitizenIndex(settings.gateway.index_url)  # type: ignore[attr-defined]
    await index.open()
    try:
        return {p.name: p.citizen_id for p in await find_personas(data, index)}[name]
    finally:
        await index.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--persona", default="parking-fine")
    parser.add_argument("--smoke", action="store_true", help="a quick run that checks it works")
    args = parser.parse_args()
    if args.smoke:
        args.people, args.rounds = 200, 10
    data = data_dir(args.people, seed=2 if args.smoke else 0)
    with stack(data) as s:
        citizen = asyncio.run(_persona(s.settings, data, args.persona))
        api_headers = s.headers("citizen", citizen)
        with httpx.Client(timeout=30, follow_redirects=True) as browser:
            _sign_in(browser, s.base_url, args.persona)
            with httpx.Client(base_url=s.base_url, timeout=30) as api:
                for _ in range(5):
                    browser.get(f"{s.base_url}/app/")
                    api.post("/graphql", json={"query": HOME}, headers=api_headers)
                page_ms: list[float] = []
                api_ms: list[float] = []
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    r = browser.get(f"{s.base_url}/app/")
                    page_ms.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200 and "Your account" in r.text
                    t0 = time.perf_counter()
                    a = api.post("/graphql", json={"query": HOME}, headers=api_headers)
                    api_ms.append((time.perf_counter() - t0) * 1000)
                    assert a.status_code == 200 and a.json()["data"]["me"]
                page_cpu = api_cpu = 0.0
                block = max(1, args.rounds // 4)
                for _ in range(4):
                    c0 = cpu_seconds(s.pid)
                    for _ in range(block):
                        browser.get(f"{s.base_url}/app/")
                    c1 = cpu_seconds(s.pid)
                    for _ in range(block):
                        api.post("/graphql", json={"query": HOME}, headers=api_headers)
                    page_cpu += c1 - c0
                    api_cpu += cpu_seconds(s.pid) - c1
    page_p50 = statistics.median(page_ms)
    api_p50 = statistics.median(api_ms)
    print(
        json.dumps(
            {
                "bench": "app_home",
                "people": args.people,
                "rounds": args.rounds,
                "persona": args.persona,
                "home_page_p50_ms": round(page_p50, 2),
                "home_page_p95_ms": round(percentile(page_ms, 95), 2),
                "api_call_p50_ms": round(api_p50, 2),
                "api_call_p95_ms": round(percentile(api_ms, 95), 2),
                "ratio_p50": round(page_p50 / api_p50, 3),
                "home_page_cpu_ms": round(page_cpu / (4 * block) * 1000, 2),
                "api_call_cpu_ms": round(api_cpu / (4 * block) * 1000, 2),
                "ratio_cpu": round(page_cpu / api_cpu, 3) if api_cpu else None,
                "load_average": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
