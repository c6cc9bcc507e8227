"""Dashboard CPU: the gateway's CPU and garbage-collector time per five-department dashboard.

The gateway app is built in this process and driven through its ASGI interface (no sockets,
no HTTP client in the way) with the five-department `me` (bench/queries.py) for 50 citizens
in turn, 32 at a time, every protection on (tokens, rate limit, authorization plan, cost
limit, citizen index, access ledger). Two phases, each after a warm-up:

- **live**: every department's legacy system answers (the simulated SOAP tax service in its
  own process, the mainframe files and SQL databases in this one): ``cpu_ms_per_request``
  is this process's CPU (user + system, every thread) per answer;
- **replayed**: each source's connector answers a batch of keys it has seen from memory, so
  what is left is the gateway's own work around the legacy systems (GraphQL execution,
  resolvers, loaders, ``Source`` policy, index, ledger, admission, the endpoint):
  ``cpu_ms_per_request_replayed``.

For each, the collector's collections per request and the CPU they took
(``gc_ms_per_request``, from ``gc.callbacks``), with the collector set up as ``govgraph
serve`` sets it up (start-up heap frozen, thresholds 20000/20/20). Every answer is checked
(HTTP 200, no errors, the dashboard present).

The sources share upstream calls between concurrent requests as configured (``coalesce``, on
by default); ``--no-coalesce`` turns that off for every source (the JSON line's ``coalesce``).

Run: python bench/dashboard_cpu.py [--requests 3000] [--no-coalesce] [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from harness import _link, citizens_with_all_sources, data_dir
from queries import ME

from govgraph import demo
from govgraph.serve import GC_THRESHOLDS
from govgraph.settings import load_settings

CONCURRENCY = 32

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def one(app: App, body: bytes, token: str, port: int) -> None:
    """One dashboard request through the app's ASGI interface; raise unless it answered."""
    headers = [
        (b"host", b"bench"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", port),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    done.set()
    answer = b"".join(m.get("body", b"") for m in messages[1:])
    if messages[0]["status"] != 200 or b'"errors"' in answer or b'"me"' not in answer:
        raise RuntimeError(f"HTTP {messages[0]['status']}: {answer[:300]!r}")


async def drive(app: App, body: bytes, tokens: list[str], requests: int) -> None:
    """``requests`` dashboards, ``CONCURRENCY`` at a time, citizens in turn."""
    numbers = iter(range(requests))

    async def worker() -> None:
        for n in numbers:
            await one(app, body, tokens[n % len(tokens)], 1024 + n % 50000)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def measure(app: App, body: bytes, tokens: list[str], requests: int) -> dict[str, float]:
    """CPU and collector time per request over ``requests`` dashboards."""
    collections = [0, 0, 0]
    gc_seconds = 0.0
    started = 0.0

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        nonlocal started, gc_seconds
        if phase == "start":
            started = time.thread_time()
        else:
            collections[info["generation"]] += 1
            gc_seconds += time.thread_time() - started

    gc.callbacks.append(on_gc)
    cpu = time.process_time()
    wall = time.perf_counter()
    try:
        await drive(app, body, tokens, requests)
    finally:
        gc.callbacks.remove(on_gc)
    cpu = time.process_time() - cpu
    wall = time.perf_counter() - wall
    return {
        "cpu_ms_per_request": round(cpu * 1000 / requests, 3),
        "gc_ms_per_request": round(gc_seconds * 1000 / requests, 3),
        "gc_collections_per_1000": round(sum(collections) * 1000 / requests, 1),
        "rps": round(requests / wall, 1),
    }


def replay_upstreams(sources: dict[str, Any]) -> None:
    """Make each source's connector answer the keys it has seen from memory (each key asked
    for live once, whatever batch it comes in: shared calls batch keys differently each time)."""
    for source in sources.values():
        connector = source.connector
        live = connector.load_many
        seen: dict[str, Any] = {}

        async def replayed(
            keys: list[str], _live: Any = live, _seen: dict[str, Any] = seen
        ) -> list[Any]:
            missing = list(dict.fromkeys(k for k in keys if k not in _seen))
            if missing:
                _seen.update(zip(missing, await _live(missing), strict=True))
            return [_seen[k] for k in keys]

        connector.load_many = replayed


async def main(requests: int, people: int, coalesce: bool = True) -> None:
    from govgraph.app import create_app

    data = data_dir(people)
    idp = demo.identity_provider(data)
    with demo.tax_service(data) as tax_url:
        config = data / f"dashboard-cpu-{os.getpid()}.toml"
        mapping = demo.config_mapping(data, tax_url, port=0)
        for block in mapping["sources"].values():
            block["coalesce"] = {"enabled": coalesce}
        demo.write_config(config, mapping)
        try:
            settings = load_settings(config)
            if not (data / "index.sqlite").exists():
                _link(settings)
            cids = await citizens_with_all_sources(settings, 50, require=("tax",))
            tokens = [idp.token(role="citizen", citizen_id=cid) for cid in cids]
            body = json.dumps({"query": ME, "variables": {}}).encode()
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                warm = max(CONCURRENCY, requests // 4)
                await drive(app, body, tokens, warm)
                gc.collect()
                gc.freeze()
                gc.set_threshold(*GC_THRESHOLDS)
                live = await measure(app, body, tokens, requests)
                replay_upstreams(app.state.gateway.sources)
                await drive(app, body, tokens, warm)
                replayed = await measure(app, body, tokens, requests)
        finally:
            config.unlink(missing_ok=True)
    for name, figures in (("live", live), ("replayed", replayed)):
        print(
            f"{name:9s} {figures['cpu_ms_per_request']:6.3f} ms CPU/request,"
            f" gc {figures['gc_ms_per_request']:6.3f} ms/request"
            f" ({figures['gc_collections_per_1000']} collections per 1000), {figures['rps']} req/s"
        )
    result = {**live, **{f"{k}_replayed": v for k, v in replayed.items()}}
    result.update(
        requests=requests,
        concurrency=CONCURRENCY,
        coalesce=coalesce,
        loadavg=round(os.getloadavg()[0], 2),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="dashboards per phase")
    parser.add_argument(
        "--no-coalesce",
        action="store_true",
        help="the sources never share a call between requests",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, seconds: the script still runs"
    )
    args = parser.parse_args()
    if args.smoke:
        asyncio.run(main(64, people=60, coalesce=not args.no_coalesce))
    else:
        asyncio.run(main(args.requests, people=1000, coalesce=not args.no_coalesce))
