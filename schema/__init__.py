"""The GraphQL schema: citizen-centric types; no department's system shows through.

The package itself imports none of its modules: :mod:`schema.root` (the root types and
:func:`build_schema`) is loaded on first use, so a module that only needs some of the types
imports them without building the root types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schema.root import GatewaySchema, Mutation, build_schema, schema_arguments

__all__ = ["GatewaySchema", "Mutation", "build_schema", "schema_arguments"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from schema import root

        return getattr(root, name)
    raise AttributeError(f"module 'schema' has no attribute {name!r}")
