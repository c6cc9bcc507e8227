"""``govgraph sql check``: report where live SQL schemas no longer match their mappings."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from legacy_connectors.cli import CommandHost

__all__ = ["register"]


def register(subparsers: Any, host: CommandHost) -> None:
    """Add ``sql check``."""
    parser = subparsers.add_parser("sql", help="inspect the SQL sources")
    sub = parser.add_subparsers(dest="sql_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "check",
        help="reflect every configured SQL database and report drift from its mapping",
        description=(
            "Reflect each database of each sql source and report mapped tables or columns that "
            "are missing, changed type or changed width. Exit code 1 when any drift is found."
        ),
    )
    check.add_argument("--config", "-c", default="govgraph.toml", help="configuration file")
    check.add_argument(
        "--source",
        action="append",
        default=None,
        metavar="NAME",
        help="check only this source (repeatable; default every sql source)",
    )
    check.add_argument(
        "--source-options",
        type=Path,
        default=None,
        metavar="FILE.json",
        help="check one source's connector options from a JSON file instead of --config",
    )
    check.set_defaults(func=lambda args: _check(args, host))


def _sources(args: argparse.Namespace, host: CommandHost) -> dict[str, dict[str, Any]]:
    if args.source_options is not None:
        options = json.loads(args.source_options.read_text(encoding="utf-8"))
        name = (args.source or [args.source_options.stem])[0]
        return {name: options}
    chosen = {
        name: options
        for name, options in host.source_options(args.config, "sql").items()
        if not args.source or name in args.source
    }
    missing = set(args.source or ()) - set(chosen)
    if missing:
        raise SystemExit(
            f"error: no sql source named {', '.join(sorted(missing))} in {args.config}"
        )
    return chosen


async def _run(sources: dict[str, dict[str, Any]]) -> int:
    from legacy_connectors.sql.drift import check

    found = 0
    for name, options in sources.items():
        drifts = await check(name, options)
        found += len(drifts)
        if drifts:
            for drift in drifts:
                print(drift)
        else:
            print(f"{name}: matches its mapping")
    return 1 if found else 0


def _check(args: argparse.Namespace, host: CommandHost) -> int:
    from pydantic import ValidationError

    from legacy_connectors.errors import LegacyError

    try:
        sources = _sources(args, host)
        if not sources:
            print("no sql sources configured", file=sys.stderr)
            return 2
        return asyncio.run(_run(sources))
    except LegacyError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        print(f"error: invalid sql source options:\n{exc}", file=sys.stderr)
        return 2
