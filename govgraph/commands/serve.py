"""``govgraph serve``: run the gateway from a configuration file."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the gateway from a configuration file")
    p.add_argument("--config", "-c", default="govgraph.toml", help="configuration file")
    p.add_argument("--port", type=int, default=None, help="override gateway.port")
    p.add_argument(
        "--federation",
        action="store_true",
        help="serve as an Apollo Federation v2 subgraph (sets gateway.federation)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from govgraph.settings import ConfigError, load_settings

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    if args.federation:
        gateway = settings.gateway.model_copy(update={"federation": True})
        settings = settings.model_copy(update={"gateway": gateway})
    # Imported once the configuration (and the department declarations the schema is built
    # from) is known to be valid, so that a bad declaration is reported, not raised.
    from govgraph.serve import build_server

    server = build_server(settings, port=args.port, log_level="info", owns_process=True)
    server.run()
    return 0
