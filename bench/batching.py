"""Batching: upstream calls per source for a 50-citizen query, batched vs one call per citizen.

The same query runs against two gateways over the same data: one with batched loaders (the
default) and one with ``gateway.batch_loads = false``, which makes every loader call its
source once per key, and with every source's ``coalesce.enabled = false`` (through the
environment), so that concurrent calls of one source are not shared either. Calls are counted
from each gateway's `/metrics`.

Run: python bench/batching.py [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time

import httpx
from harness import data_dir, stack
from queries import FIFTY

SOURCES = ("tax", "benefits", "passports", "vehicles", "parking")


def calls(base: str) -> dict[str, float]:
    text = httpx.get(f"{base}/metrics").text
    found = re.findall(
        r'^govgraph_upstream_calls_total\{source="([^"]+)"\} ([0-9.e+]+)$', text, re.M
    )
    return {k: float(v) for k, v in found}


def measure(batched: bool, people: int) -> tuple[dict[str, int], float]:
    switches = {f"GOVGRAPH__SOURCES__{src.upper()}__COALESCE__ENABLED": "false" for src in SOURCES}
    if not batched:
        os.environ.update(switches)
    try:
        return _measure(batched, people)
    finally:
        for name in switches:
            os.environ.pop(name, None)


def _measure(batched: bool, people: int) -> tuple[dict[str, int], float]:
    with stack(data_dir(people), gateway_options={"batch_loads": batched}) as s:
        headers = s.headers("caseworker")
        httpx.post(f"{s.base_url}/graphql", json={"query": FIFTY}, headers=headers, timeout=60)
        before = calls(s.base_url)
        started = time.perf_counter()
        r = httpx.post(f"{s.base_url}/graphql", json={"query": FIFTY}, headers=headers, timeout=60)
        elapsed = time.perf_counter() - started
        assert r.status_code == 200 and "errors" not in r.json(), r.text[:500]
        after = calls(s.base_url)
    return {src: int(after.get(src, 0) - before.get(src, 0)) for src in SOURCES}, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    people = 60 if parser.parse_args().smoke else 1000
    batched, t_batched = measure(True, people)
    naive, t_naive = measure(False, people)
    print(f"{'source':10s} {'batched':>8s} {'per-citizen':>12s}")
    for src in SOURCES:
        print(f"{src:10s} {batched[src]:8d} {naive[src]:12d}")
    print(f"wall time: batched {t_batched * 1000:.0f} ms, per-citizen {t_naive * 1000:.0f} ms")
    print(
        json.dumps(
            {
                "max_calls_per_source": max(batched.values()),
                "naive_max_calls_per_source": max(naive.values()),
                "batched_ms": round(t_batched * 1000, 1),
                "naive_ms": round(t_naive * 1000, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
