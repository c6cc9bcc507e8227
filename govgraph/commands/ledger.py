"""``govgraph ledger``: check the access ledger's hash chain, or list a citizen's entries."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ledger", help="check or read the access ledger")
    actions = p.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify", help="check every entry's hash and its place in the chain (exit 1 if not)"
    )
    verify.add_argument(
        "--anchor",
        metavar="SEQ:HASH",
        help="a head printed earlier by `govgraph ledger head`: the chain must still contain it",
    )
    verify.add_argument(
        "--quiet", "-q", action="store_true", help="no progress display while verifying"
    )
    head = actions.add_parser(
        "head", help="print the last entry as SEQ:HASH (publish it to anchor the chain)"
    )
    show = actions.add_parser("show", help="list the newest reads of one citizen's data")
    show.add_argument("--citizen", required=True, help="citizen id (e.g. cz_...)")
    show.add_argument("--limit", type=int, default=20, help="how many entries (default 20)")
    for action in (verify, head, show):
        where = action.add_mutually_exclusive_group()
        where.add_argument("--config", "-c", default="govgraph.toml", help="configuration file")
        where.add_argument("--url", help="SQLAlchemy async URL of the ledger store")
        action.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def _url(args: argparse.Namespace) -> str:
    if args.url:
        return str(args.url)
    from govgraph.settings import load_settings

    settings = load_settings(args.config, check_sources=False)
    return settings.gateway.ledger_url or settings.gateway.index_url


async def _verify(url: str, anchor: tuple[int, str] | None, quiet: bool) -> Any:
    from govgraph.ledger import AccessLedger, LedgerError
    from govgraph.progress import reporter

    ledger = AccessLedger(url)
    await ledger.open()
    try:
        try:
            total: int | None = (await ledger.head())[0]
        except LedgerError:
            total = None
        progress = reporter("ledger verify", quiet=quiet)
        with progress, progress.phase("verify entries", total=total, unit="entries") as phase:
            return await ledger.verify(anchor=anchor, advance=phase.advance)
    finally:
        await ledger.aclose()


async def _head(url: str) -> tuple[int, str]:
    from govgraph.ledger import AccessLedger

    ledger = AccessLedger(url)
    await ledger.open()
    try:
        return await ledger.head()
    finally:
        await ledger.aclose()


def _anchor(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    seq, sep, digest = text.partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"--anchor: expected SEQ:HASH (64 hex digits), found {text!r}")
    return int(seq), digest


async def _show(url: str, citizen: str, limit: int) -> list[Any]:
    from govgraph.ledger import AccessLedger

    ledger = AccessLedger(url)
    await ledger.open()
    try:
        return await ledger.for_citizen(citizen, limit=limit)
    finally:
        await ledger.aclose()


def run(args: argparse.Namespace) -> int:
    from govgraph.ledger import LedgerError
    from govgraph.settings import ConfigError

    try:
        url = _url(args)
        if args.ledger_command == "head":
            seq, digest = asyncio.run(_head(url))
            print(json.dumps({"seq": seq, "hash": digest}) if args.json else f"{seq}:{digest}")
            return 0
        if args.ledger_command == "verify":
            report = asyncio.run(_verify(url, _anchor(args.anchor), args.quiet))
            if args.json:
                print(
                    json.dumps(
                        {
                            "ok": report.ok,
                            "checked": report.checked,
                            "problem": report.problem,
                            "seq": report.seq,
                        }
                    )
                )
            elif report.ok:
                print(f"access ledger intact: {report.checked} entries, chain and head agree")
            else:
                print(f"access ledger TAMPERED: {report.problem}", file=sys.stderr)
                print(f"({report.checked} entries before it are intact)", file=sys.stderr)
            return 0 if report.ok else 1
        records = asyncio.run(_show(url, args.citizen, args.limit))
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except (LedgerError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for rec in records:
        e = rec.entry
        row = {
            "seq": rec.seq,
            "at": e.at,
            "role": e.role,
            "accessor": e.actor,
            "purpose": e.purpose,
            "sources": list(e.sources),
            "field_groups": list(e.field_groups),
            "request_id": e.request_id,
        }
        print(
            json.dumps(row)
            if args.json
            else f"{e.at}  {e.role:<10} {e.purpose or '-':<20} {','.join(e.sources)}  "
            f"{e.request_id}"
        )
    return 0
