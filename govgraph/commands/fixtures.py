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
    gen.add_argument(
        "--chunk",
        type=_positive,
        default=10_000,
        metavar="N",
        help="people made and written together; memory grows with it, not with --people "
        "(default 10000)",
    )
    gen.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary: print only the final JSON line",
    )
    gen.set_defaults(func=_generate)

    load = sub.add_parser("load", help="load a generated population into one SQL source")
    load.add_argument("--data", type=Path, required=True, help="directory with manifest.json")
    load.add_argument("--source", required=True, help="source name, e.g. passports or parking")
    load.add_argument("--url", required=True, help="SQLAlchemy database URL")
    load.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary: print only the final JSON line",
    )
    load.set_defaults(func=_load)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a count of 1 or more, got {value}")
    return value


def _peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _generate(args: argparse.Namespace) -> int:
    import json
    import signal

    from fixtures.generate import STAGING, generate_to
    from govgraph.commands.jobs import Interrupted, exit_code
    from govgraph.progress import reporter

    def stop(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    started = time.perf_counter()
    progress = reporter("generate", quiet=args.quiet)
    try:
        with progress:
            meta = generate_to(
                args.out,
                people=args.people,
                seed=args.seed,
                noise=args.noise,
                as_of=args.as_of,
                progress=progress,
                chunk=args.chunk,
            )
    except Interrupted as exc:
        progress.close()
        phase = progress.current or progress.stopped
        during = f" during '{phase}'" if phase else ""
        if "publish" in (phase, *progress.finished):
            kept = (
                "no manifest.json was written, so it is not taken for a complete population "
                f"(run again to finish; {STAGING}/ is removed then)"
            )
        else:
            kept = (
                "nothing there was replaced (the stores were being written aside in "
                f"{STAGING}/, removed by the next run)"
            )
        print(f"generate interrupted by {exc.name}{during}; {args.out}: {kept}", file=sys.stderr)
        return exit_code(exc.signum)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    seconds = time.perf_counter() - started
    counts = meta["counts"]
    if not args.quiet:
        summary = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(
            f"wrote {meta['people']} people ({meta['noise']}, seed {meta['seed']}, "
            f"as of {meta['as_of']}) to {args.out} in {seconds:.1f} s: {summary}"
        )
    figures = {
        "people": meta["people"],
        "seconds": round(seconds, 2),
        "peak_memory_mb": round(_peak_rss_mb(), 1),
        "counts": counts,
    }
    print(json.dumps(figures))
    return 0


def _load(args: argparse.Namespace) -> int:
    import json

    from fixtures.generate import load_chunks
    from govgraph.progress import reporter

    started = time.perf_counter()
    try:
        population, people, chunks = load_chunks(args.data)
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
    progress = reporter("load", quiet=args.quiet)
    try:
        with progress, progress.phase(f"load {args.source}", total=people, unit="people") as phase:
            rows = asyncio.run(
                load_source(args.source, population, args.url, chunks, phase.advance)
            )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    if not args.quiet:
        print(f"loaded {args.source} from {args.data}")
    figures = {"source": args.source, "people": people, "rows": rows, "seconds": round(seconds, 2)}
    print(json.dumps(figures))
    return 0
