"""``govgraph fixtures``: generate the synthetic government, or load it into a SQL source."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``fixtures generate`` and ``fixtures load``."""
    parser = subparsers.add_parser("fixtures", help="generate or load the synthetic population")
    sub = parser.add_subparsers(dest="fixtures_command", metavar="ACTION", required=True)

    gen = sub.add_parser("generate", help="generate a population and write every store")
    gen.add_argument("--people", type=int, default=1000, help="number of people (default 1000)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    gen.add_argument("--out", type=Path, required=True, help="output directory")
    gen.add_argument(
        "--noise",
        choices=("clean", "realistic", "hard"),
        default="realistic",
        help="how much departments' identities differ (default realistic)",
    )
    gen.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date the data describes (default today)",
    )
    gen.set_defaults(func=_generate)

    load = sub.add_parser("load", help="load a generated population into one SQL source")
    load.add_argument("--data", type=Path, required=True, help="directory with manifest.json")
    load.add_argument("--source", required=True, help="source name, e.g. passports or parking")
    load.add_argument("--url", required=True, help="SQLAlchemy database URL")
    load.set_defaults(func=_load)


def _generate(args: argparse.Namespace) -> int:
    from fixtures.generate import generate, manifest, write_all

    started = time.perf_counter()
    population = generate(people=args.people, seed=args.seed, noise=args.noise, as_of=args.as_of)
    write_all(population, args.out)
    counts = manifest(population)["counts"]
    summary = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(
        f"wrote {len(population.people)} people ({population.noise}, seed {population.seed}, "
        f"as of {population.as_of}) to {args.out} in {time.perf_counter() - started:.1f} s: "
        f"{summary}"
    )
    return 0


def _load(args: argparse.Namespace) -> int:
    from fixtures.generate import load_population

    try:
        population = load_population(args.data)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        from fixtures.sqldb import load_source
    except ModuleNotFoundError as exc:
        if exc.name not in ("fixtures.sqldb",):
            raise
        print("error: fixtures.sqldb is not available", file=sys.stderr)
        return 2
    asyncio.run(load_source(args.source, population, args.url))
    print(f"loaded {args.source} from {args.data}")
    return 0
