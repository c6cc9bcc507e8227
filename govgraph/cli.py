"""The ``govgraph`` command line: each sub-command lives in ``govgraph/commands/<name>.py``.

A command module defines ``register(subparsers)``, which adds its parser and sets
``func=handler`` where ``handler(args) -> int`` returns the exit code. Modules are imported
only when the CLI starts, so a broken optional command never breaks the others' imports.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES = (
    "demo",
    "serve",
    "token",
    "fixtures",
    "link",
    "flatfile",
    "soap",
    "sql",
    "config",
    "connectors",
    "schema",
    "ledger",
    "new_connector",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govgraph",
        description="One citizen-centric GraphQL API over legacy government systems.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"govgraph.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"govgraph.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
