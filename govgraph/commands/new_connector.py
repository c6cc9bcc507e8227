"""``govgraph new-connector NAME [--dir DIR]``: write a package skeleton for a new kind."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "new-connector",
        help="write a package skeleton for a new connector kind",
        description="Write govgraph-NAME/: a pyproject with the entry point, a connector class "
        "with Settings, load_many, health, scan and aclose over an in-memory placeholder, a "
        "conformance test already wired, and a README.",
    )
    p.add_argument("name", help="the kind's name, e.g. ldap (lower case, digits, underscores)")
    p.add_argument("--dir", default=".", type=Path, help="folder to write the package in (.)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govgraph.scaffold import ScaffoldError, names_for, write_skeleton
    from legacy_connectors.registry import known_kinds

    try:
        names = names_for(args.name)
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if names.kind in known_kinds():
        print(
            f"error: kind {names.kind!r} is already installed; choose another name", file=sys.stderr
        )
        return 2
    try:
        root = write_skeleton(names.kind, args.dir)
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {root}")
    print(f"  src/{names.module}/connector.py   {names.cls}: replace the in-memory upstream")
    print("  tests/test_conformance.py          the conformance kit, already wired")
    print(f"next: pip install -e {root} && pytest {root}/tests")
    return 0
