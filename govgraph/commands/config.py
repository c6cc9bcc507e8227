"""``govgraph config check [FILE]``: validate a whole configuration before anything starts.

Every problem is printed with its key path, what was expected and what was found; the exit
code is 1 when there is any. The server runs the same validation at start-up
(:func:`govgraph.settings.load_settings`) and refuses to start with the same messages.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_CONFIG = "govgraph.toml"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("config", help="work with the gateway configuration file")
    actions = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate the configuration (every source's options included) and list problems",
    )
    check.add_argument(
        "file", nargs="?", default=DEFAULT_CONFIG, help=f"configuration file ({DEFAULT_CONFIG})"
    )
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    from govgraph.settings import ConfigError, load_settings

    try:
        settings = load_settings(args.file)
    except ConfigError as exc:
        count = len(exc.problems)
        print(f"{args.file}: {count} problem{'s' if count != 1 else ''}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    sources = ", ".join(f"{name} ({s.kind})" for name, s in settings.sources.items())
    print(f"{args.file}: valid; sources: {sources or 'none'}")
    return 0
