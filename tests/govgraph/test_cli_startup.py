"""The ``govgraph`` command line starts without importing the commands' heavy dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

from legacy_connectors.flatfile.cli import DATE_FORMAT_NAMES
from legacy_connectors.flatfile.codec.dates import DATE_FORMATS

HEAVY = (
    "zeep",
    "lxml",
    "sqlalchemy",
    "graphql",
    "strawberry",
    "numpy",
    "pydantic",
    "govgraph.settings",
    "legacy_connectors.base",
    "legacy_connectors.flatfile.connector",
    "legacy_connectors.flatfile.schema",
    "legacy_connectors.soap.connector",
    "legacy_connectors.sql.connector",
)
"""Packages a command may need when it runs, never to build the parser (the kinds' packages
load for their commands, lazily: their connectors do not)."""


def test_building_the_parser_imports_no_heavy_package() -> None:
    """Every command registers itself without importing zeep, SQLAlchemy, graphql and the like."""
    probe = (
        "import json, sys\n"
        "from govgraph.cli import build_parser\n"
        "build_parser()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(done.stdout))
    assert not [name for name in HEAVY if name in loaded]


def test_flatfile_help_lists_every_date_format() -> None:
    """The date formats spelled out in ``flatfile decode --help`` are the decoder's."""
    assert ", ".join(DATE_FORMATS) == DATE_FORMAT_NAMES


def test_connector_kinds_add_their_own_commands() -> None:
    """``flatfile``, ``soap`` and ``sql`` commands come from their kinds' packages."""
    from govgraph.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    choices = getattr(commands, "choices", {})
    for kind in ("flatfile", "soap", "sql"):
        args = {
            "flatfile": ["layout", "--copybook", "x.cpy"],
            "soap": ["inspect", "x.wsdl"],
            "sql": ["check"],
        }
        handler = choices[kind].parse_args(args[kind])
        assert handler.func.__module__ == f"legacy_connectors.{kind}.cli"
