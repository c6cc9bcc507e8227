"""Statistics: one ``statistics`` query over a 100,000-person population, first and cached.

Starts the simulated tax service and a gateway process over a generated population (cached in
the system's temp folder between runs; generating and linking it the first time takes several
minutes), asks every statistics table as an analyst, then asks again. Upstream calls are the
difference in the gateway's ``govgraph_upstream_calls_total`` across the first answer
(statements, scan pages and citizen-index reads the engine made); the cached answer makes none.

Run: python bench/statistics_query.py [--people N] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import re
import time

import httpx
from harness import data_dir, stack

from govgraph import demo

CELLS = "total { people { value } } cells { people { value suppressed } }"
TABLES = (
    "benefitClaims",
    "penaltyNotices",
    "passportExpiries",
    "taxBalances",
    "unpaidPenaltyAndActiveBenefit",
    "passportAndVehicleRenewals",
)
QUERY = "query Everything { statistics { " + " ".join(f"{t} {{ {CELLS} }}" for t in TABLES) + " } }"


def calls(base: str) -> dict[str, float]:
    text = httpx.get(f"{base}/metrics").text
    found = re.findall(
        r'^govgraph_upstream_calls_total\{source="([^"]+)"\} ([0-9.e+]+)$', text, re.M
    )
    return {k: float(v) for k, v in found}


def ask(base: str, headers: dict[str, str]) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    response = httpx.post(f"{base}/graphql", json={"query": QUERY}, headers=headers, timeout=900)
    elapsed = time.perf_counter() - started
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text[:800]
    return elapsed, body["data"]["statistics"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: the script still runs",
    )
    args = parser.parse_args()
    if args.smoke:
        args.people = 60
    started = time.perf_counter()
    data = data_dir(people=args.people)
    print(f"population of {args.people} ready in {time.perf_counter() - started:.1f} s: {data}")
    demo.identity_provider(data)
    with stack(data) as s:
        headers = s.headers("analyst")
        before = calls(s.base_url)
        first_s, tables = ask(s.base_url, headers)
        middle = calls(s.base_url)
        cached_s, again = ask(s.base_url, headers)
        after = calls(s.base_url)
    assert again == tables
    upstream = {k: int(middle.get(k, 0) - before.get(k, 0)) for k in middle}
    upstream = {k: v for k, v in upstream.items() if v}
    cached_calls = int(sum(after.values()) - sum(middle.values()))
    for name, table in tables.items():
        total = table["total"]["people"]["value"]  # type: ignore[index]
        cells = table["cells"]  # type: ignore[index]
        hidden = sum(1 for c in cells if c["people"].get("suppressed"))
        print(f"{name:32s} people {total!s:>8s}  cells {len(cells):4d}  suppressed {hidden:4d}")
    print(f"first answer:  {first_s:.2f} s, upstream calls {upstream}")
    print(f"cached answer: {cached_s * 1000:.1f} ms, upstream calls {cached_calls}")
    print(
        json.dumps(
            {
                "people": args.people,
                "first_s": round(first_s, 2),
                "cached_ms": round(cached_s * 1000, 1),
                "upstream_calls": sum(upstream.values()),
                "upstream_calls_by_source": upstream,
                "cached_upstream_calls": cached_calls,
            }
        )
    )


if __name__ == "__main__":
    main()
