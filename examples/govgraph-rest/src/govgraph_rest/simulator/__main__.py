"""``python -m govgraph_rest.simulator``: run the simulated land registry."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from govgraph_rest.simulator.app import create_app
from govgraph_rest.simulator.runner import serve_forever
from govgraph_rest.simulator.titles import generate_titles, load_titles, save_titles


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m govgraph_rest.simulator", description="a simulated land registry API"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8300, help="port; 0 picks a free one")
    parser.add_argument("--data", type=Path, help="titles JSON file (default: generated)")
    parser.add_argument("--titles", type=int, default=200, help="how many titles to generate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated titles")
    parser.add_argument("--token-file", type=Path, help="require this bearer token (first line)")
    parser.add_argument("--write", type=Path, help="write the generated titles here and exit")
    args = parser.parse_args(argv)
    titles = load_titles(args.data) if args.data else generate_titles(args.titles, seed=args.seed)
    if args.write:
        save_titles(titles, args.write)
        print(f"wrote {len(titles)} titles to {args.write}")
        return 0
    token = args.token_file.read_text().splitlines()[0].strip() if args.token_file else None
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_forever(create_app(titles, token=token), args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
