"""``govgraph statistics warm``: run every department's statistics pass, with progress."""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govgraph.progress import Progress
    from govgraph.settings import Settings
    from govgraph.statistics.service import WarmUp


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("statistics", help="statistics for analysts: warm up the passes")
    actions = p.add_subparsers(dest="statistics_command", metavar="ACTION", required=True)
    warm = actions.add_parser(
        "warm",
        help="read every department's statistics pass (as a gateway with warm_at_start does) "
        "and say how long each took; exit 1 if a department cannot be read",
    )
    where = warm.add_mutually_exclusive_group()
    where.add_argument("--config", "-c", help="gateway configuration file")
    where.add_argument(
        "--data", help="a generated data folder (starts the simulated systems it needs)"
    )
    warm.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary: print only the final JSON line",
    )
    p.set_defaults(func=run)


async def warm_from_settings(settings: Settings, progress: Progress) -> dict[str, WarmUp]:
    """Open the sources and the citizen index, run every statistics pass, close them."""
    from govgraph.commands.jobs import opened_for_scans
    from govgraph.statistics import StatisticsService

    async with opened_for_scans(settings) as (sources, index):
        service = StatisticsService(sources, index, settings.statistics)
        try:
            return await service.warm(progress)
        finally:
            await service.aclose()


def _summary(w: WarmUp) -> str:
    if w.error is not None:
        return f"{w.department} pass: could not be read ({w.error})"
    pages = f"{w.pages:,} page{'' if w.pages == 1 else 's'}"
    return f"{w.department} pass: {w.records:,} records, {pages} in {w.seconds:.1f} s"


def run(args: argparse.Namespace) -> int:
    from govgraph.commands.jobs import Interrupted, NoSettings, exit_code, job_settings, run_job
    from govgraph.progress import reporter

    with ExitStack() as stack:
        try:
            settings = job_settings(stack, args.data, args.config)
        except NoSettings as exc:
            print(exc, file=sys.stderr)
            return 2
        progress = stack.enter_context(reporter("statistics warm", quiet=args.quiet))
        started = time.perf_counter()
        try:
            done = run_job(warm_from_settings(settings, progress))
        except Interrupted as exc:
            progress.close()
            during = f" during '{progress.current}'" if progress.current else ""
            print(
                f"statistics warm interrupted by {exc.name}{during}; nothing was changed",
                file=sys.stderr,
            )
            return exit_code(exc.signum)
        progress.close()
        seconds = time.perf_counter() - started
        if not args.quiet:
            for w in done.values():
                print(_summary(w))
        failed = {name: w.error for name, w in done.items() if w.error is not None}
        for name, why in failed.items():
            print(f"error: department {name} could not be read: {why}", file=sys.stderr)
        figures: dict[str, Any] = {
            "departments": {name: w.to_json() for name, w in done.items()},
            "seconds": round(seconds, 2),
            "failed": sorted(failed),
        }
        print(json.dumps(figures))
    return 1 if failed else 0
