"""``govgraph soap inspect WSDL``: what a SOAP service offers, in readable form."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from legacy_connectors.cli import CommandHost

__all__ = ["register"]


def register(subparsers: Any, host: CommandHost) -> None:
    """Add the ``soap`` command and its ``inspect`` sub-command."""
    parser = subparsers.add_parser("soap", help="work with SOAP services described by a WSDL")
    sub = parser.add_subparsers(dest="soap_command", metavar="SUBCOMMAND", required=True)
    inspect = sub.add_parser(
        "inspect",
        help="list services, ports, operations and their input and output types",
        description=(
            "Read a WSDL (path or URL, following its imports) and list its services, ports, "
            "operations and the types of their inputs, SOAP headers and outputs."
        ),
    )
    inspect.add_argument("wsdl", metavar="WSDL", help="path or URL of the WSDL")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of an outline")
    inspect.add_argument("--timeout", type=float, default=30.0, help="seconds to fetch the WSDL")
    inspect.set_defaults(func=_inspect)


def _inspect(args: argparse.Namespace) -> int:
    from legacy_connectors.errors import LegacyError
    from legacy_connectors.soap.inspect import describe_wsdl, render_text

    try:
        description = describe_wsdl(args.wsdl, timeout_s=args.timeout)
    except LegacyError as exc:
        print(f"govgraph soap inspect: {exc.message}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(description.as_dict(), indent=2))
    else:
        sys.stdout.write(render_text(description))
    return 0
