"""``govgraph link``: build or refresh the citizen index from the configured sources."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govgraph.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("link", help="link each person's records across departments")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--config", "-c", help="gateway configuration file")
    where.add_argument(
        "--data", help="a generated data folder (starts the simulated systems it needs)"
    )
    p.add_argument(
        "--with",
        dest="includes",
        action="append",
        default=[],
        metavar="PATH",
        help="with --data: a TOML file merged into the generated configuration (e.g. another "
        "department's source block); repeatable",
    )
    p.add_argument(
        "--evaluate",
        action="store_true",
        help="compare the links with the generator's truth (with --data) and print quality",
    )
    p.set_defaults(func=run)


async def link_from_settings(settings: Settings) -> Any:
    """Open every source, run linkage into the index, close everything; return the report."""
    from govgraph.index import CitizenIndex
    from govgraph.linkage import link
    from govgraph.sources import build_sources
    from govgraph.telemetry import Metrics

    sources = build_sources(settings.sources, Metrics())
    index = CitizenIndex(settings.gateway.index_url)
    await index.open()
    try:
        await asyncio.gather(*(s.open() for s in sources.values()))
        return await link({name: s for name, s in sources.items() if s.opened}, index)
    finally:
        await asyncio.gather(*(s.aclose() for s in sources.values()))
        await index.aclose()


async def _evaluate(settings: Settings, truth: Path) -> Any:
    from govgraph.index import CitizenIndex
    from govgraph.linkage import evaluate

    index = CitizenIndex(settings.gateway.index_url)
    await index.open()
    try:
        return await evaluate(index, truth)
    finally:
        await index.aclose()


def run(args: argparse.Namespace) -> int:
    from govgraph import demo
    from govgraph.settings import ConfigError, load_settings

    with ExitStack() as stack:
        if args.data:
            data_dir = Path(args.data)
            if not (data_dir / "manifest.json").exists():
                print(f"no generated data in {data_dir}", file=sys.stderr)
                return 2
            tax_url = stack.enter_context(demo.tax_service(data_dir))
            config_path = data_dir / "govgraph.toml"
        else:
            config_path = Path(args.config or "govgraph.toml")
        try:
            if args.data:
                mapping = demo.config_mapping(data_dir, tax_url)
                includes = [Path(p) for p in args.includes]
                demo.write_config(config_path, demo.with_includes(mapping, includes))
            settings = load_settings(config_path)
        except ConfigError as exc:
            print(exc.message, file=sys.stderr)
            return 2
        started = time.perf_counter()
        report = asyncio.run(link_from_settings(settings))
        seconds = time.perf_counter() - started
        print(report.summary() if hasattr(report, "summary") else report)
        if args.evaluate:
            if not args.data:
                print("--evaluate needs --data (the generator's truth file)", file=sys.stderr)
                return 2
            evaluation = asyncio.run(_evaluate(settings, Path(args.data) / "truth.jsonl"))
            print(evaluation.summary() if hasattr(evaluation, "summary") else evaluation)
            figures = evaluation.to_json() if hasattr(evaluation, "to_json") else {}
            if isinstance(figures, str):
                figures = json.loads(figures)
            figures["seconds"] = round(seconds, 2)
            print(json.dumps(figures))
    return 0
