"""The gateway's security controls, as the request path calls them, in one place.

In request order: the limit on failed authentications per client address, checked before a
token is verified and counted when one is refused, and the rate limit per principal
(:mod:`govgraph.ratelimit`, both in one counter store), persisted
operations (:mod:`govgraph.persisted`), operation limits as validation rules
(:mod:`govgraph.limits`), field-level authorization (:mod:`govgraph.authorization`) and the
access ledger, written after the response is computed and before it is sent
(:mod:`govgraph.ledger`): if the ledger cannot be written, no data is sent. Building the
controls also keeps the database and SOAP libraries' debug logging (which quotes parameters
and envelopes) off (:func:`govgraph.redact.quiet_data_loggers`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLSchema

from govgraph.auth import AuthError
from govgraph.authorization import OperationGuard
from govgraph.graphql_http import GraphQLRequest, HttpRequest, RequestError
from govgraph.ledger import AccessLedger, LedgerError, entries_for_request
from govgraph.limits import OperationLimits, limit_rules, source_weights
from govgraph.persisted import PersistedOperations, load_manifest
from govgraph.ratelimit import CounterStore, CounterStoreUnavailable, RateLimiter, principal_key
from govgraph.redact import quiet_data_loggers
from govgraph.settings import ConfigError, Settings
from resolvers.authz import GROUPS

__all__ = ["LedgerTimings", "Security"]

log = logging.getLogger("govgraph.security")

FIELD_GROUP_SOURCES = {group.name: group.sources for group in GROUPS.values()}
"""Each authorization field group and the sources its fields show (for ledger entries)."""


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
    auth_failures: RateLimiter = field(default_factory=lambda: RateLimiter(None))
    """Failed authentications per client address (``gateway.auth_failure_limit``)."""
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
        limiters: list[RateLimiter] = []
        try:
            store = CounterStore(gw.rate_limit_storage, key_prefix=gw.rate_limit_key_prefix)
        except ValueError as exc:
            problems.append(str(exc))
            store = CounterStore()
        for rate, setting, namespace in (
            (gw.rate_limit, "gateway.rate_limit", ""),
            (gw.auth_failure_limit, "gateway.auth_failure_limit", "auth-failure:"),
        ):
            try:
                limiters.append(
                    RateLimiter(
                        rate,
                        store,
                        setting=setting,
                        namespace=namespace,
                        fail_closed=not namespace and gw.rate_limit_on_store_failure == "closed",
                    )
                )
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
            limiter=limiters[0],
            auth_failures=limiters[1],
            ledger=AccessLedger(gw.ledger_url or gw.index_url),
            rules=limit_rules(limits, introspection=introspection_allowed(settings)),
        )

    async def open(self) -> None:
        """Open the stores the controls keep (ledger, rate-limit counters)."""
        await self.ledger.open()
        if self.limiter.enabled or self.auth_failures.enabled:
            await self.limiter.store.open()

    async def aclose(self) -> None:
        """Close what :meth:`open` opened."""
        await self.limiter.store.aclose()
        await self.ledger.aclose()

    @contextlib.asynccontextmanager
    async def authenticating(self, request: HttpRequest) -> AsyncIterator[None]:
        """Wrap token verification: a request carrying credentials from a client address over
        its failed-authentication limit gets a 429 request error before any token is checked,
        and an :class:`AuthError` raised inside counts one failure for the address."""
        if not self.auth_failures.enabled or "authorization" not in request.headers:
            yield
            return
        key = request.client_host or "unknown"
        wait = await self.auth_failures.check(key)
        if wait is not None:
            raise RequestError(
                "too many failed authentications from this address: at most "
                f"{self.auth_failures.rate}; retry in {int(wait)} s",
                status=429,
                code="RATE_LIMITED",
                headers={"retry-after": str(int(wait))},
            )
        try:
            yield
        except AuthError:
            await self.auth_failures.hit(key)
            if await self.auth_failures.check(key) is not None:
                log.warning(
                    "failed authentications from %s reached %s; its tokens are refused",
                    key,
                    self.auth_failures.rate,
                )
            raise

    async def admit(self, principal: Any, request: HttpRequest) -> None:
        """Raise a 429 request error if the caller is over its rate limit."""
        if not self.limiter.enabled:
            return
        try:
            wait = await self.limiter.hit(principal_key(principal, request.client_host))
        except CounterStoreUnavailable:
            raise RequestError(
                "the rate limit cannot be checked right now; retry shortly",
                status=503,
                code="RATE_LIMIT_UNAVAILABLE",
                headers={"retry-after": "1"},
            ) from None
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
        """The middleware refusing what ``principal`` may not read (or ``None``)."""
        return self.guard.plan(query, doc, principal)

    async def record(self, context: Any, query: str, doc: DocumentNode, principal: Any) -> None:
        """Append the request's reads of citizens' data to the ledger before the response is
        sent; if that fails the request fails (503) and none of the data is sent."""
        entries = entries_for_request(
            context.accessed, principal, context.request_id, FIELD_GROUP_SOURCES
        )
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
