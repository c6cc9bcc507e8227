"""The gateway's security controls, as the request path calls them, in one place.

In request order: the rate limit per principal (:mod:`govgraph.ratelimit`), persisted
operations (:mod:`govgraph.persisted`), operation limits as validation rules
(:mod:`govgraph.limits`), field-level authorization (:mod:`govgraph.authorization`) and the
access ledger, written after the response is computed and before it is sent
(:mod:`govgraph.ledger`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLSchema
from starlette.requests import Request

from govgraph.authorization import OperationGuard
from govgraph.graphql_http import GraphQLRequest
from govgraph.settings import Settings

__all__ = ["Security"]


@dataclass(eq=False)
class Security:
    """The controls one gateway applies to every request."""

    settings: Settings
    guard: OperationGuard
    rules: tuple[type[ASTValidationRule], ...] = ()

    @classmethod
    def build(cls, settings: Settings, schema: GraphQLSchema) -> Security:
        """Build every control from the configuration (nothing is opened yet)."""
        guard = OperationGuard(
            schema,
            confidence_overrides=settings.auth.field_confidence,
            cache_size=max(settings.gateway.document_cache_size, 1),
        )
        return cls(settings=settings, guard=guard)

    async def open(self) -> None:
        """Open the stores the controls keep (ledger, rate-limit counters)."""

    async def aclose(self) -> None:
        """Close what :meth:`open` opened."""

    async def admit(self, principal: Any, request: Request) -> None:
        """Raise a 429 request error if ``principal`` is over its rate limit."""

    async def resolve_persisted(self, gql: GraphQLRequest) -> GraphQLRequest:
        """Fill in a persisted operation's text, or refuse one not allowed."""
        return gql

    def plan(self, query: str, doc: DocumentNode, principal: Any) -> list[Any] | None:
        """Middleware that refuses the fields ``principal`` may not read (or ``None``)."""
        return self.guard.plan(query, doc, principal)

    async def record(self, context: Any, query: str, doc: DocumentNode, principal: Any) -> None:
        """Append the request's reads of citizens' data to the access ledger."""
