"""``govgraph link``: build or refresh the citizen index from the configured sources."""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from govgraph.progress import Progress
    from govgraph.settings import Settings

ENGINES = ("memory", "duckdb", "spark")
"""``--engine`` choices (``govgraph.linkage.engines.ENGINES``, not imported here to keep the
command line quick to start)."""


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
    p.add_argument(
        "--allow-missing",
        dest="allow_missing",
        action="append",
        default=[],
        metavar="DEPT",
        help="link the other departments if this one cannot be read (its existing links are "
        "kept; the summary and the JSON line list it as missing); repeatable",
    )
    p.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress and no summary: print only the final JSON line",
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        help="with --evaluate: write an HTML quality report (DIR/index.html): match weights per "
        "comparison, scores by truth, the worst misses with their evidence",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="memory",
        help="where blocking, comparison, scoring and clustering run: memory (in this process, "
        "the default), duckdb (embedded, spills to disk; pip install -e '.[scale]') or spark "
        "(pip install -e '.[spark]'); every engine makes the same links",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="read every source whole and plan every citizen again (by default a run after an "
        "earlier one relinks incrementally: only the changes since then are read, through each "
        "source's change feed, and only the citizens they touch are planned)",
    )
    p.add_argument(
        "--state",
        metavar="PATH",
        help="the link state file a relink starts from (default: beside a SQLite index, "
        "INDEX.linkstate; with another index store, none unless given)",
    )
    p.set_defaults(func=run)


async def link_from_settings(
    settings: Settings,
    progress: Progress | None = None,
    allow_missing: tuple[str, ...] = (),
    engine: str = "memory",
    full: bool = False,
    state: str | None = None,
) -> Any:
    """Open every source (see :func:`govgraph.commands.jobs.opened_for_scans`: one that does
    not open fails as a department that cannot be read, see ``link``'s ``allow_missing``), run
    linkage into the index (incrementally from the link state ``state``, by default the one
    beside a SQLite index, unless ``full``), close everything; return the report."""
    from govgraph.commands.jobs import opened_for_scans
    from govgraph.linkage import link
    from govgraph.linkage.state import state_path_for

    path = Path(state) if state else state_path_for(settings.gateway.index_url)
    async with opened_for_scans(settings) as (sources, index):
        return await link(
            sources,
            index,
            allow_missing=allow_missing,
            progress=progress,
            engine=engine,
            state=path,
            full=full,
        )


async def _evaluate(
    settings: Settings,
    truth: Path,
    progress: Progress,
    model: Any = None,
    report_dir: Path | None = None,
) -> Any:
    from govgraph.index import CitizenIndex
    from govgraph.linkage import evaluate
    from govgraph.linkage.quality import write_report

    index = CitizenIndex(settings.gateway.index_url)
    await index.open()
    try:
        with progress.phase("evaluate against the truth", unit="people"):
            evaluation = await evaluate(index, truth)
        if report_dir is not None:
            with progress.phase("write the quality report", unit="pages"):
                await write_report(index, truth, evaluation, model or {}, report_dir)
        return evaluation
    finally:
        await index.aclose()


def _interrupted_line(signal_name: str, progress: Progress) -> str:
    if "write the index" in progress.finished:
        kept = "the new citizen index had been written before the interrupt"
    else:
        kept = "nothing was written: the citizen index is as it was before this run"
    if progress.current:
        during = f" during '{progress.current}'"
    elif progress.finished:
        during = f" after '{progress.finished[-1]}'"
    else:
        during = ""
    return f"link interrupted by {signal_name}{during}; {kept}"


def run(args: argparse.Namespace) -> int:
    from govgraph.commands.jobs import Interrupted, NoSettings, exit_code, job_settings, run_job
    from govgraph.linkage import ScanFailed
    from govgraph.linkage.engines import UnknownEngine, check_engine
    from govgraph.progress import reporter

    if args.evaluate and not args.data:
        print("--evaluate needs --data (the generator's truth file)", file=sys.stderr)
        return 2
    if args.report and not args.evaluate:
        print("--report needs --evaluate", file=sys.stderr)
        return 2
    try:
        check_engine(args.engine)
    except UnknownEngine as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with ExitStack() as stack:
        try:
            includes = [Path(p) for p in args.includes]
            settings = job_settings(stack, args.data, args.config, includes)
        except NoSettings as exc:
            print(exc, file=sys.stderr)
            return 2
        progress = stack.enter_context(reporter("link", quiet=args.quiet))
        say = (lambda _text: None) if args.quiet else print
        started = time.perf_counter()
        try:
            report = run_job(
                link_from_settings(
                    settings,
                    progress,
                    tuple(args.allow_missing),
                    args.engine,
                    args.full,
                    args.state,
                )
            )
            seconds = time.perf_counter() - started
            figures: dict[str, Any] = report.to_json()
            lines = [report.summary()]
            if args.evaluate:
                truth = Path(args.data) / "truth.jsonl"
                report_dir = Path(args.report) if args.report else None
                evaluation = run_job(_evaluate(settings, truth, progress, report.model, report_dir))
                lines.append(evaluation.summary())
                if report_dir is not None:
                    lines.append(f"quality report: {report_dir / 'index.html'}")
                figures = {**evaluation.to_json(), "seconds": round(seconds, 2), "link": figures}
            progress.close()
            for text in lines:
                say(text)
        except ScanFailed as exc:
            progress.close()
            print(f"error: {exc}", file=sys.stderr)
            print(json.dumps({"failed": exc.failures, "written": False}))
            return 1
        except Interrupted as exc:
            progress.close()
            print(_interrupted_line(exc.name, progress), file=sys.stderr)
            return exit_code(exc.signum)
        print(json.dumps(figures))
    return 0
