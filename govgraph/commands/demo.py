"""``govgraph demo``: generate data, start the simulated departments and the gateway.

SIGINT (Ctrl+C), SIGTERM and SIGHUP all stop the demo the same way: the gateway finishes its
requests and closes, then every child process the demo started (the simulated tax service)
is stopped, so nothing is left running or listening.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType


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
    from govgraph.serve import StoppedWhileStarting, build_server, wait_started

    if relink:
        print("linking citizens across departments ...", flush=True)
        report = await link_from_settings(settings)
        print(report.summary() if hasattr(report, "summary") else report, flush=True)
    server = build_server(settings, owns_process=True)
    with contextlib.suppress(NotImplementedError, AttributeError):
        asyncio.get_running_loop().add_signal_handler(
            signal.SIGHUP, server.handle_exit, signal.SIGHUP, None
        )
    task = asyncio.create_task(server.serve())
    try:
        port = await wait_started(server)
    except StoppedWhileStarting:
        # A signal during start-up: the server shuts down, then raises the signal again.
        await task
        return
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
        f"Press Ctrl+C to stop (or send SIGTERM or SIGHUP).",
        flush=True,
    )
    await task


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP interrupt like Ctrl+C (outside the server, which handles them
    itself and raises them again once it has shut down), so that every ``with`` block that
    started a child process stops it; the previous handlers come back afterwards."""
    stops = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {sig: signal.signal(sig, _interrupt) for sig in stops}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(args: argparse.Namespace) -> int:
    with contextlib.suppress(KeyboardInterrupt), _stopped_by_signals():
        return _run(args)
    return 0


def _run(args: argparse.Namespace) -> int:
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
        asyncio.run(_serve(settings, data_dir, relink))
    return 0
