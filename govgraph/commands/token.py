"""``govgraph token``: print a token the demo gateway accepts, for a demo persona."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

_PERSONA_NAMES = [
    "parking-fine",
    "parking-fine-discount",
    "passport-renewal",
    "benefit-overpayment",
    "tax-refund",
    "moving-home",
]
"""``govgraph.personas.PERSONAS`` by name (listed here so the parser imports nothing heavy)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("token", help="print a signed demo bearer token")
    p.add_argument("--data", default="demo-data", help="demo data folder (default: demo-data)")
    p.add_argument("--role", choices=["citizen", "caseworker", "analyst"], default=None)
    p.add_argument("--citizen", help="citizen id (citizen role; default: a demo persona)")
    p.add_argument(
        "--persona",
        choices=_PERSONA_NAMES,
        help="a demo persona, as on the demo sign-in page (implies --role citizen)",
    )
    p.add_argument("--purpose", default=None, help="stated purpose (caseworker role)")
    p.add_argument(
        "--confidence",
        default="P2",
        choices=["P0", "P1", "P2", "P3", "P4"],
        help="identity confidence level (default P2; tax and benefits need P2)",
    )
    p.add_argument("--lifetime", type=int, default=3600, help="seconds the token is valid")
    p.set_defaults(func=run)


async def _persona(data_dir: Path) -> str | None:
    from govgraph.index import CitizenIndex

    index = CitizenIndex(f"sqlite+aiosqlite:///{(data_dir / 'index.sqlite').resolve()}")
    await index.open()
    try:
        sources: dict[str, set[str]] = {}
        for link in await index.all_links():
            if link.status == "active":
                sources.setdefault(link.citizen_id, set()).add(link.source)
    finally:
        await index.aclose()
    if not sources:
        return None
    return min(sources, key=lambda cid: (-len(sources[cid]), cid))


async def _named_persona(data_dir: Path, name: str) -> str | None:
    from govgraph.index import CitizenIndex
    from govgraph.personas import find_personas

    index = CitizenIndex(f"sqlite+aiosqlite:///{(data_dir / 'index.sqlite').resolve()}")
    await index.open()
    try:
        found = {p.name: p.citizen_id for p in await find_personas(data_dir, index)}
    finally:
        await index.aclose()
    return found.get(name)


def run(args: argparse.Namespace) -> int:
    from govgraph.demo import identity_provider

    data_dir = Path(args.data)
    if not (data_dir / "manifest.json").exists():
        print(f"no demo data in {data_dir}: run `govgraph demo` first", file=sys.stderr)
        return 2
    if args.persona:
        if args.role not in (None, "citizen"):
            print("--persona is a citizen: leave out --role or use --role citizen", file=sys.stderr)
            return 2
        args.role = "citizen"
        args.citizen = asyncio.run(_named_persona(data_dir, args.persona))
        if args.citizen is None:
            print(f"nobody in {data_dir} fits the persona {args.persona}", file=sys.stderr)
            return 2
    if args.role is None:
        print("give --role ROLE or --persona NAME", file=sys.stderr)
        return 2
    citizen = args.citizen
    if args.role == "citizen" and not citizen:
        citizen = asyncio.run(_persona(data_dir))
        if citizen is None:
            print("the citizen index is empty: run `govgraph demo` first", file=sys.stderr)
            return 2
    purpose = args.purpose
    if args.role == "caseworker" and not purpose:
        purpose = "case-review"
    if args.role == "caseworker":
        from govgraph.settings import AuthSettings

        allowed = AuthSettings().caseworker_purposes
        if purpose not in allowed:
            print(
                f"note: {purpose!r} is not one of the default allowed purposes "
                f"({', '.join(allowed)}); the gateway will refuse citizen look-ups with it",
                file=sys.stderr,
            )
    idp = identity_provider(data_dir)
    print(
        idp.token(
            role=args.role,
            citizen_id=citizen if args.role == "citizen" else None,
            purpose=purpose,
            confidence=args.confidence,
            lifetime_s=args.lifetime,
        )
    )
    return 0
