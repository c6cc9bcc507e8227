"""``govgraph demo``: generate data, start the simulated departments and the gateway."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo", help="run the gateway over simulated legacy systems with generated data"
    )
    p.add_argument("--port", type=int, default=8000, help="gateway port (default 8000)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--data", default="demo-data", help="data folder (default: demo-data)")
    p.add_argument("--people", type=int, default=1000, help="people to generate (first run)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (first run)")
    p.add_argument(
        "--with",
        dest="includes",
        action="append",
        default=[],
        metavar="PATH",
        help="a TOML file merged into the demo's configuration (e.g. another department's "
        "source block); repeatable; the citizens are linked again",
    )
    p.set_defaults(func=run)


async def _serve(settings, data_dir: Path, relink: bool) -> None:  # type: ignore[no-untyped-def]
    import httpx

    from govgraph.commands.link import link_from_settings
    from govgraph.serve import build_server, wait_started

    if relink:
        print("linking citizens across departments ...", flush=True)
        report = await link_from_settings(settings)
        print(report.summary() if hasattr(report, "summary") else report, flush=True)
    server = build_server(settings)
    task = asyncio.create_task(server.serve())
    port = await wait_started(server)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    print(
        f"\ngovgraph is ready: the citizen app at {base}/app (sign in as a demo persona),\n"
        f"GraphiQL at {base}/graphql\n\n"
        f"A persona's token: govgraph token --data {data_dir} --persona parking-fine\n"
        f"A citizen token:    govgraph token --data {data_dir} --role citizen\n"
        f"A caseworker token: govgraph token --data {data_dir} --role caseworker\n"
        f"Then send it as `Authorization: Bearer <token>` (GraphiQL: Headers tab).\n"
        f"Press Ctrl+C to stop.",
        flush=True,
    )
    await task


def run(args: argparse.Namespace) -> int:
    from govgraph import demo
    from govgraph.settings import ConfigError, load_settings

    data_dir = Path(args.data)
    if demo.ensure_data(data_dir, people=args.people, seed=args.seed):
        print(f"generated {args.people} synthetic people in {data_dir}", flush=True)
    demo.identity_provider(data_dir)
    includes = [Path(p) for p in args.includes]
    relink = bool(includes) or not (data_dir / "index.sqlite").exists()
    with demo.tax_service(data_dir) as tax_url:
        config_path = data_dir / "govgraph.toml"
        try:
            mapping = demo.config_mapping(data_dir, tax_url, port=args.port, host=args.host)
            demo.write_config(config_path, demo.with_includes(mapping, includes))
            settings = load_settings(config_path)
        except ConfigError as exc:
            print(exc.message, file=sys.stderr)
            return 2
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(settings, data_dir, relink))
    return 0
