"""Table builder: a three-dimension cross-department table over a generated population, first
answer (cold, and after the gateway warmed up at start) and asked again.

Starts the simulated tax service and a gateway process over a generated population (cached in
the system's temp folder between runs, as ``statistics_query.py``), then asks as an analyst for
people with an active benefit claim who owe tax, by region, age band and tax band (benefits
file, tax service and citizen index joined). The first answer reads the departments; asking
the same table again returns the answer published today (no upstream call, no budget spent).
A second gateway, with ``warm_at_start``, runs every statistics pass in the background when it
starts: the bench waits until they are done (the ``govgraph_statistics_passes`` metric) and
then asks the same table first (on its own fresh answer store). The cached answer is asked once
and then 20 times more (their median). Gateway and tax service CPU seconds are read from /proc
(in clock ticks of 10 ms).

Run: python bench/statistics_builder.py [--people N] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from harness import data_dir, stack

from govgraph import demo

QUERY = """
query Table {
  statistics {
    table(
      purpose: "bench"
      request: {
        by: ["region", "age_band", "tax.tax_band"]
        where: [{ condition: "benefits.active_claim" }, { condition: "tax.owes" }]
      }
    ) { total margin95 charged cells { labels value } }
  }
}
"""


REPEATS = 20
"""Cached asks after the first, for their median (one ask alone varies a lot under load)."""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def age_seconds(pid: int) -> float:
    """Seconds since process ``pid`` started (from /proc)."""
    started = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started / os.sysconf("SC_CLK_TCK")


def tax_service_pid() -> int | None:
    """The simulated tax service this process started (a child running ``fixtures.tax``)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] != me:
                continue
            if b"fixtures.tax" in (stat.parent / "cmdline").read_bytes():
                return int(stat.parent.name)
        except (OSError, IndexError):
            continue
    return None


def calls(base: str) -> float:
    text = httpx.get(f"{base}/metrics").text
    found = re.findall(r"^govgraph_upstream_calls_total\{[^}]*\} ([0-9.e+]+)$", text, re.M)
    return sum(float(v) for v in found)


def passes(base: str) -> dict[str, float]:
    """Completed statistics passes by department (the gateway's metric)."""
    text = httpx.get(f"{base}/metrics").text
    found = re.findall(
        r'^govgraph_statistics_passes_total\{department="(\w+)"\} (\S+)$', text, re.M
    )
    return {dept: float(n) for dept, n in found}


CLIENT = httpx.Client(timeout=900)
"""One client for every ask, so that no ask pays for setting up a client (its TLS context
alone takes tens of milliseconds) and each is timed from a ready connection pool."""


def ask(base: str, headers: dict[str, str]) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    response = CLIENT.post(f"{base}/graphql", json={"query": QUERY}, headers=headers)
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text[:800]
    return elapsed, body["data"]["statistics"]["table"]


@contextmanager
def fresh_ledger() -> Iterator[str]:
    """The URL of an empty ledger and answer store in a temporary folder, removed afterwards,
    so that the first answer is computed (an answer published today by an earlier run would
    otherwise be served from the store)."""
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-ledger-") as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'ledger.sqlite'}"


def warmed_up(data: Path) -> dict[str, float]:
    """A gateway that warms up at start (``warm_at_start``): how long until every pass is done
    (from the gateway process's start, which includes its own start-up, and from its being
    ready) and its CPU seconds by then, then its first answer (on a fresh answer store)."""
    with (
        fresh_ledger() as ledger_url,
        stack(
            data,
            gateway_options={"ledger_url": ledger_url},
            statistics_options={"warm_at_start": True},
        ) as s,
    ):
        ready = time.perf_counter()
        while set(passes(s.base_url)) < {"tax", "benefits"}:
            time.sleep(0.05)
        after_ready_s = time.perf_counter() - ready
        since_start_s, warm_cpu = age_seconds(s.pid), cpu_seconds(s.pid)
        headers = s.headers("analyst")
        before, cpu = calls(s.base_url), cpu_seconds(s.pid)
        first_s, table = ask(s.base_url, headers)
        cpu_first = cpu_seconds(s.pid) - cpu
        after = calls(s.base_url)
    assert table["charged"] > 0, "the first answer was not computed"
    return {
        "warm_up_done_after_start_s": round(since_start_s, 2),
        "warm_up_done_after_ready_s": round(after_ready_s, 2),
        "gateway_cpu_at_warm_up_done_s": round(warm_cpu, 2),
        "first_s": round(first_s, 2),
        "first_gateway_cpu_s": round(cpu_first, 2),
        "upstream_calls_first": int(after - before),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    args = parser.parse_args()
    if args.smoke:
        args.people = 60
    data = data_dir(people=args.people)
    demo.identity_provider(data)
    warm = warmed_up(data)
    with fresh_ledger() as ledger_url, stack(data, gateway_options={"ledger_url": ledger_url}) as s:
        headers = s.headers("analyst")
        tax = tax_service_pid()
        before = calls(s.base_url)
        cpu = [cpu_seconds(s.pid), cpu_seconds(tax) if tax else 0.0]
        first_s, table = ask(s.base_url, headers)
        cpu_first = [cpu_seconds(s.pid) - cpu[0], cpu_seconds(tax) - cpu[1] if tax else None]
        middle = calls(s.base_url)
        cpu_before_cached = cpu_seconds(s.pid)
        cached_s, again = ask(s.base_url, headers)
        cpu_cached = cpu_seconds(s.pid) - cpu_before_cached
        cpu_before_repeats = cpu_seconds(s.pid)
        repeats = [ask(s.base_url, headers)[0] for _ in range(REPEATS)]
        cpu_repeats = (cpu_seconds(s.pid) - cpu_before_repeats) / REPEATS
        after = calls(s.base_url)
    assert table["charged"] > 0, "the first answer was not computed"
    assert again["cells"] == table["cells"] and again["charged"] == 0
    cells = table["cells"]
    assert isinstance(cells, list)
    print(
        json.dumps(
            {
                "people": args.people,
                "cells": len(cells),
                "population_total": table["total"],
                "margin95": table["margin95"],
                "first_cold_s": round(first_s, 2),
                "first_cold_gateway_cpu_s": round(cpu_first[0], 2),
                "first_cold_tax_service_cpu_s": None
                if cpu_first[1] is None
                else round(cpu_first[1], 2),
                "cached_ms": round(cached_s * 1000, 1),
                "cached_gateway_cpu_ms": round(cpu_cached * 1000, 1),
                "cached_median_ms": round(statistics.median(repeats) * 1000, 1),
                "cached_max_ms": round(max(repeats) * 1000, 1),
                "cached_gateway_cpu_ms_each": round(cpu_repeats * 1000, 1),
                "warm_up_done_after_start_s": warm["warm_up_done_after_start_s"],
                "warm_up_done_after_ready_s": warm["warm_up_done_after_ready_s"],
                "gateway_cpu_at_warm_up_done_s": warm["gateway_cpu_at_warm_up_done_s"],
                "first_after_warm_up_s": warm["first_s"],
                "first_after_warm_up_gateway_cpu_s": warm["first_gateway_cpu_s"],
                "upstream_calls_first_after_warm_up": warm["upstream_calls_first"],
                "upstream_calls_first": int(middle - before),
                "upstream_calls_cached": int(after - middle),
                "first_cold_vs_target_5s": round(first_s / 5, 3),
                "first_after_warm_up_vs_target_5s": round(warm["first_s"] / 5, 3),
                "cached_vs_target_100ms": round(cached_s * 1000 / 100, 3),
                "cached_median_vs_target_100ms": round(statistics.median(repeats) * 10, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
