"""The gateway's security controls, as the request path calls them, in one place.

In request order: the rate limit per principal (:mod:`govgraph.ratelimit`), persisted
operations (:mod:`govgraph.persisted`), operation limits as validation rules
(:mod:`govgraph.limits`), field-level authorization (:mod:`govgraph.authorization`) and the
access ledger, written after the response is computed and before it is sent
(:mod:`govgraph.ledger`): if the ledger cannot be written, no data is sent. Building the
controls also keeps the database and SOAP libraries' debug logging (which quotes parameters
and envelopes) off (:func:`govgraph.redact.quiet_data_loggers`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLSchema
from starlette.requests import Request

from govgraph.authorization import OperationGuard
from govgraph.graphql_http import GraphQLRequest, RequestError
from govgraph.ledger import CURRENT_LEDGER, AccessLedger, LedgerError, entries_for_request
from govgraph.limits import OperationLimits, limit_rules, source_weights
from govgraph.persisted import PersistedOperations, load_manifest
from govgraph.ratelimit import RateLimiter, principal_key
from govgraph.redact import quiet_data_loggers
from govgraph.settings import ConfigError, Settings

__all__ = ["LedgerTimings", "Security"]

log = logging.getLogger("govgraph.security")


@dataclass
class LedgerTimings:
    """Time spent appending to the ledger on the request path (for benchmarks)."""

    appends: int = 0
    entries: int = 0
    seconds: float = 0.0


def introspection_allowed(settings: Settings) -> bool:
    """Introspection is off in the production profile unless explicitly turned on."""
    gw = settings.gateway
    return gw.introspection if gw.introspection is not None else gw.profile != "production"


@dataclass(eq=False)
class Security:
    """The controls one gateway applies to every request."""

    settings: Settings
    guard: OperationGuard
    persisted: PersistedOperations
    limiter: RateLimiter
    ledger: AccessLedger
    rules: tuple[type[ASTValidationRule], ...] = ()
    timings: LedgerTimings = field(default_factory=LedgerTimings)

    @classmethod
    def build(cls, settings: Settings, schema: GraphQLSchema) -> Security:
        """Build every control from the configuration (nothing is opened yet)."""
        from resolvers.query import MAX_PAGE_SIZE

        quiet_data_loggers()
        gw = settings.gateway
        query_type = schema.query_type.name if schema.query_type else "Query"
        guard = OperationGuard(
            schema,
            confidence_overrides=settings.auth.field_confidence,
            cache_size=max(gw.document_cache_size, 1),
        )
        limits = OperationLimits(
            max_depth=gw.max_depth,
            max_aliases=gw.max_aliases,
            max_cost=gw.max_cost,
            weights=source_weights(gw.cost_weights, query_type),
            list_size=gw.list_size_estimate,
            max_page_size=MAX_PAGE_SIZE,
        )
        problems: list[str] = []
        manifest = None
        if gw.persisted_manifest:
            try:
                manifest = load_manifest(gw.persisted_manifest)
            except (OSError, ValueError) as exc:
                problems.append(f"gateway.persisted_manifest: {exc}")
        if gw.persisted_operations == "allowlist" and not gw.persisted_manifest:
            problems.append("gateway.persisted_manifest: required by the allowlist mode")
        try:
            limiter = RateLimiter(gw.rate_limit, gw.rate_limit_storage)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ConfigError(problems)
        return cls(
            settings=settings,
            guard=guard,
            persisted=PersistedOperations(
                gw.persisted_operations, manifest=manifest or {}, cache_size=gw.apq_cache_size
            ),
            limiter=limiter,
            ledger=AccessLedger(gw.ledger_url or gw.index_url),
            rules=limit_rules(limits, introspection=introspection_allowed(settings)),
        )

    async def open(self) -> None:
        """Open the stores the controls keep (ledger, rate-limit counters)."""
        await self.ledger.open()
        await self.limiter.open()

    async def aclose(self) -> None:
        """Close what :meth:`open` opened."""
        await self.limiter.aclose()
        await self.ledger.aclose()

    async def admit(self, principal: Any, request: Request) -> None:
        """Raise a 429 request error if the caller is over its rate limit."""
        if not self.limiter.enabled:
            return
        host = request.client.host if request.client else None
        wait = await self.limiter.hit(principal_key(principal, host))
        if wait is not None:
            raise RequestError(
                f"too many requests: at most {self.settings.gateway.rate_limit}; "
                f"retry in {int(wait)} s",
                status=429,
                code="RATE_LIMITED",
                headers={"retry-after": str(int(wait))},
            )

    async def resolve_persisted(self, gql: GraphQLRequest) -> GraphQLRequest:
        """Fill in a persisted operation's text, or refuse one not allowed."""
        return self.persisted.resolve(gql)

    def plan(self, query: str, doc: DocumentNode, principal: Any) -> list[Any] | None:
        """Prepare execution: the middleware refusing what ``principal`` may not read (or
        ``None``), and the ledger made readable to ``Citizen.accessLog``."""
        CURRENT_LEDGER.set(self.ledger)
        return self.guard.plan(query, doc, principal)

    async def record(self, context: Any, query: str, doc: DocumentNode, principal: Any) -> None:
        """Append the request's reads of citizens' data to the ledger before the response is
        sent; if that fails the request fails (503) and none of the data is sent."""
        entries = entries_for_request(context.accessed, principal, context.request_id)
        if not entries:
            return
        started = time.perf_counter()
        try:
            await self.ledger.append(entries)
        except LedgerError as exc:
            log.error(
                "access ledger write failed: %s", exc, extra={"request_id": context.request_id}
            )
            raise RequestError(
                "the access ledger cannot be written just now, so no data was sent",
                status=503,
                code="SERVICE_UNAVAILABLE",
            ) from exc
        self.timings.appends += 1
        self.timings.entries += len(entries)
        self.timings.seconds += time.perf_counter() - started
