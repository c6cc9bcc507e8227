"""``govgraph connectors``: the connector kinds installed, and a check of every configured source.

- ``govgraph connectors list``: each kind by name with its ``module:Class`` (built-ins and
  plugins found through the ``govgraph.connectors`` entry-point group).
- ``govgraph connectors check [--config FILE]``: try each source (reachable, authenticated,
  layout, one sample record) and print a table with a verdict per source and a hint per
  failure; exit code 1 if any source failed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govgraph.doctor import SourceReport

DEFAULT_CONFIG = "govgraph.toml"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("connectors", help="list connector kinds; check the configured sources")
    actions = p.add_subparsers(dest="connectors_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the connector kinds this installation can load")
    listing.set_defaults(func=run_list)
    check = actions.add_parser(
        "check",
        help="try each configured source and report what is wrong, with hints",
        description="For each source: reachable, authenticated, layout or schema matches, one "
        "sample record decoded. Exit code 1 if any source failed.",
    )
    check.add_argument("--config", "-c", default=DEFAULT_CONFIG, help="configuration file")
    check.add_argument(
        "--source",
        action="append",
        default=None,
        metavar="NAME",
        help="check only this source (repeatable; default: every source)",
    )
    check.add_argument(
        "--sample",
        action="append",
        default=[],
        metavar="NAME=KEY",
        help="fetch KEY from source NAME as the sample (default: the first record scan gives)",
    )
    check.add_argument("--verbose", "-v", action="store_true", help="print every step's detail")
    check.set_defaults(func=run_check)


def run_list(args: argparse.Namespace) -> int:
    from legacy_connectors.registry import BUILTIN_KINDS, known_kinds

    kinds = known_kinds()
    width = max(map(len, kinds), default=4)
    for name, target in kinds.items():
        origin = "built-in" if name in BUILTIN_KINDS else "plugin"
        print(f"{name.ljust(width)}  {origin:<8}  {target}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from govgraph.doctor import check_settings
    from govgraph.settings import ConfigError, load_settings

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    samples: dict[str, str] = {}
    for item in args.sample:
        name, sep, key = item.partition("=")
        if not sep or not name or not key:
            print(f"--sample must be NAME=KEY, got {item!r}", file=sys.stderr)
            return 2
        samples[name] = key
    asked = sorted(set(args.source or ()) | set(samples))
    unknown = [n for n in asked if n not in settings.sources]
    if unknown:
        known = ", ".join(settings.sources) or "none"
        print(
            f"no source named {', '.join(unknown)} in {args.config}; known: {known}",
            file=sys.stderr,
        )
        return 2
    reports = asyncio.run(check_settings(settings, only=args.source, samples=samples))
    print(render(reports, verbose=args.verbose))
    return 1 if any(r.verdict == "FAILED" for r in reports) else 0


_MARK = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "-"}


def render(reports: list[SourceReport], *, verbose: bool = False) -> str:
    """A table with one row per source and its verdict, then each problem with its hint
    (every step's detail when ``verbose``)."""
    from govgraph.doctor import STEPS

    header = ["SOURCE", "KIND", *(s.upper() for s in STEPS), "VERDICT"]
    rows = [
        [
            r.name,
            r.kind,
            *(_MARK[r.steps[s].status] if s in r.steps else "-" for s in STEPS),
            r.verdict,
        ]
        for r in reports
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    for report in reports:
        for step_name in STEPS:
            step = report.steps.get(step_name)
            if step is None or (step.status not in ("fail", "warn") and not verbose):
                continue
            lines.append(f"{report.name}: {step_name}: {step.detail}")
            if step.hint:
                lines.append(f"  hint: {step.hint}")
    failed = sum(r.verdict == "FAILED" for r in reports)
    degraded = sum(r.verdict == "DEGRADED" for r in reports)
    lines.append(
        f"{len(reports)} source(s): {len(reports) - failed - degraded} ok, "
        f"{degraded} degraded, {failed} failed"
    )
    return "\n".join(lines)
