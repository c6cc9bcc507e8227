"""``govgraph schema``: print the GraphQL schema (SDL) and check it against the snapshot.

The committed ``schema/schema.graphql`` is the API's contract. ``schema check`` (and the test
suite) fails when the live schema breaks it (graphql-core's ``find_breaking_changes``) or when
the snapshot is stale; after a deliberate change, run
``govgraph schema print --builtin --out schema/schema.graphql`` and commit the snapshot with it.
The snapshot records the built-in departments' schema: departments that installed packages add
only add to it, and are left out of it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["SNAPSHOT", "UPDATE_HINT", "breaking_changes", "live_sdl", "register"]

SNAPSHOT = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
"""The committed snapshot, in the source tree."""
UPDATE_HINT = (
    "run `govgraph schema print --builtin --out schema/schema.graphql` and commit the snapshot"
)


def live_sdl(*, builtin: bool = False) -> str:
    """The gateway's schema as SDL, with descriptions, ending in a newline; with ``builtin``,
    the schema of the built-in departments alone (what the snapshot records), printed by a
    child process when packages add departments."""
    from govgraph.departments.registry import BUILTIN_ONLY_ENV, installed_departments

    if builtin and installed_departments():
        done = subprocess.run(
            [sys.executable, "-m", "govgraph.cli", "schema", "print"],
            env={**os.environ, BUILTIN_ONLY_ENV: "1"},
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout
    from schema import build_schema

    return build_schema().as_str().rstrip("\n") + "\n"


def breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """Descriptions of the changes from ``old_sdl`` to ``new_sdl`` that break clients."""
    from graphql import build_schema as build_from_sdl
    from graphql import find_breaking_changes

    old, new = build_from_sdl(old_sdl), build_from_sdl(new_sdl)
    return [f"{c.type.name}: {c.description}" for c in find_breaking_changes(old, new)]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="print the GraphQL schema or check it against the snapshot")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    out = actions.add_parser("print", help="write the schema as SDL")
    out.add_argument("--out", type=Path, help="file to write (default: standard output)")
    out.add_argument(
        "--builtin",
        action="store_true",
        help="the built-in departments' schema alone (the committed snapshot's content)",
    )
    out.set_defaults(func=run_print)
    check = actions.add_parser("check", help="fail on a breaking change or a stale snapshot")
    check.add_argument("--snapshot", type=Path, default=SNAPSHOT, help="the committed SDL")
    check.set_defaults(func=run_check)


def run_print(args: argparse.Namespace) -> int:
    sdl = live_sdl(builtin=args.builtin)
    if args.out is None:
        sys.stdout.write(sdl)
    else:
        args.out.write_text(sdl, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def run_check(args: argparse.Namespace) -> int:
    path: Path = args.snapshot
    if not path.exists():
        print(f"{path} does not exist: {UPDATE_HINT}", file=sys.stderr)
        return 1
    snapshot, sdl = path.read_text(encoding="utf-8"), live_sdl()
    core = live_sdl(builtin=True) if sdl != snapshot else sdl
    breaking = breaking_changes(snapshot, sdl)
    for line in breaking:
        print(f"breaking change: {line}", file=sys.stderr)
    if breaking:
        print(
            f"the schema breaks its contract; if that is intended, {UPDATE_HINT}", file=sys.stderr
        )
        return 1
    if snapshot != core:
        print(f"{path} is stale: {UPDATE_HINT}", file=sys.stderr)
        return 1
    print("the schema matches its snapshot", file=sys.stderr)
    return 0
