"""The ``govgraph`` command line starts without importing the commands' heavy dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

from govgraph.commands.flatfile import DATE_FORMAT_NAMES
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
    "legacy_connectors.flatfile",
    "legacy_connectors.soap",
)
"""Packages a command may need when it runs, never to build the parser."""


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
