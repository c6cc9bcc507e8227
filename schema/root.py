"""The whole schema: its root types, the types it adds, and how it is built."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext

from schema.citizen import Citizen
from schema.declared import declared_object_types
from schema.handlers import Handlers
from schema.linkage import LinkageMutation
from schema.money import DecimalScalar
from schema.mutations import Mutation as CitizenMutation
from schema.query import Query

__all__ = ["GatewayExecutor", "GatewaySchema", "Mutation", "build_schema", "schema_arguments"]

Mutation = strawberry.type(
    type("Mutation", (CitizenMutation, LinkageMutation), {}),
    description="Things a signed-in citizen can do for themselves, and caseworkers' "
    "decisions on how citizens' records are linked.",
)
"""The root mutation type: the citizens' mutations merged with the caseworkers' (as
``strawberry.tools.merge_types`` does, with a description of the merged type)."""


def schema_arguments() -> dict[str, Any]:
    """The root types, extra types, scalars and executor of the gateway's schema (plain or
    federated)."""
    return {
        "query": Query,
        "mutation": Mutation,
        "types": [
            Citizen,
            *declared_object_types(),
        ],
        "scalar_overrides": {Decimal: DecimalScalar},
        "execution_context_class": GatewayExecutor,
    }


class GatewayExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, letting go of its own state once the response is built.

    The executor keeps helpers for resolvers (``async_helpers``) that are its own bound
    methods, a reference cycle through which every finished operation's state (its collected
    fields, resolver chain, context, loaders and answers: ~300 objects for a dashboard) waited
    for the garbage collector, whose passes over them cost more CPU than any single step of
    the request. Dropping the helpers when the response is built lets reference counting free
    the operation at once.

    Field middleware (a schema extension's ``resolve`` hook) wraps every field of every
    operation; one whose ``resolves_fields`` is false when execution starts has nothing to do
    in this operation and is left out, so its fields are resolved without the wrapper."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        if manager is not None and not any(
            getattr(m, "resolves_fields", True) for m in manager.middlewares
        ):
            self.middleware_manager = None

    def build_response(self, data: Any) -> Any:
        result = super().build_response(data)
        self.async_helpers = None  # type: ignore[assignment]
        return result


class GatewaySchema(strawberry.Schema):
    """The gateway's schema: errors are reported by the server that answers the request, which
    formats each once and logs only unexpected ones (strawberry's own logging is off)."""

    handlers: Handlers | None = None
    """The work behind the fields (:mod:`schema.handlers`), given by whoever builds it."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(
    extensions: Sequence[Callable[[], SchemaExtension]] = (),
    *,
    handlers: Handlers | None = None,
) -> GatewaySchema:
    """Build the gateway's schema (once per app), with the server's request ``extensions`` and
    the API layer's ``handlers`` (without them it prints and validates, but cannot answer)."""
    schema = GatewaySchema(**schema_arguments(), extensions=list(extensions))
    schema.handlers = handlers
    return schema
