"""The ``govgraph`` command line: the gateway's sub-commands, then the connector kinds' own.

A gateway command lives in ``govgraph/commands/<name>.py`` and defines ``register(subparsers)``,
which adds its parser and sets ``func=handler`` where ``handler(args) -> int`` returns the exit
code. Each connector kind adds its own commands (``flatfile decode``, ``soap inspect``,
``sql check``, a plugin's)
through :mod:`legacy_connectors.cli`. Modules are imported only when the CLI starts, so a broken
optional command never breaks the others' imports.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from legacy_connectors.cli import JobProgress, register_all

COMMAND_MODULES = (
    "demo",
    "serve",
    "token",
    "fixtures",
    "link",
    "config",
    "connectors",
    "schema",
    "ledger",
    "statistics",
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
    register_all(sub, _Host())
    return parser


class _Host:
    """What the connector kinds' commands may ask of the gateway (see ``CommandHost``)."""

    def progress(self, job: str, *, quiet: bool = False) -> JobProgress:
        from govgraph.progress import reporter

        return reporter(job, quiet=quiet, periodic_only=True)

    def source_options(self, config: str, kind: str) -> dict[str, dict[str, Any]]:
        from govgraph.settings import load_settings

        settings = load_settings(config)
        return {
            name: dict(source.options)
            for name, source in settings.sources.items()
            if source.kind == kind
        }


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
