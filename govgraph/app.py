"""The ASGI application: routes, the GraphQL endpoint, and the lifespan that owns connectors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import strawberry
from graphql import GraphQLError, GraphQLSchema
from graphql import build_schema as schema_from_sdl
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, request_response
from starlette.types import Receive, Scope, Send
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from govgraph.admission import Admission, is_explorer_request
from govgraph.auth import AuthError, TokenVerifier
from govgraph.explorer import CSP as GRAPHIQL_CSP
from govgraph.explorer import explorer_html, explorer_routes
from govgraph.extensions import DocumentCache, request_error_of, request_extensions
from govgraph.graphql_http import (
    GRAPHQL_RESPONSE_JSON,
    GraphQLRequest,
    RequestError,
    error_response,
    format_error,
    json_response,
    parse_request,
    response_media,
)
from govgraph.headers import SecurityHeaders
from govgraph.idp import identity_provider, idp_routes
from govgraph.index import CitizenIndex
from govgraph.outbox import DeliveryMetrics, DeliveryWorker, Outbox
from govgraph.resilience.stale import stale_extension
from govgraph.resilience.status import check_sources, readiness, refresh_health
from govgraph.security import Security
from govgraph.settings import Settings
from govgraph.sources import Source, build_sources
from govgraph.statistics import StatisticsService
from govgraph.telemetry import CONTENT_TYPE_LATEST, Metrics
from govgraph.tracing import Tracing
from govgraph.webapp.app import BASE_PATH, create_webapp
from govgraph.webapp.persona_page import PersonaPage
from govgraph.webapp.render import Renderer
from resolvers import handlers
from resolvers.context import RequestContext, build_context
from resolvers.federation import build_federated_schema
from schema import build_schema

__all__ = ["Gateway", "create_app"]

log = logging.getLogger("govgraph.app")

_GET_OPERATIONS = frozenset({OperationType.QUERY})
_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


def static_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The schema's types and fields for analysing operations (authorization, cost); built
    from its printed SDL, so nothing relies on strawberry's internals."""
    return schema_from_sdl(schema.as_str(), assume_valid_sdl=True)


@dataclass(eq=False)
class Gateway:
    """Long-lived state of one running gateway (built at start, closed at shutdown)."""

    settings: Settings
    metrics: Metrics
    sources: dict[str, Source]
    index: CitizenIndex
    verifier: TokenVerifier
    security: Security
    statistics: StatisticsService | None = None
    outbox: Outbox | None = None
    worker: DeliveryWorker | None = None

    async def open(self) -> None:
        await self.index.open()
        if self.outbox is not None:
            await self.outbox.open()
        await self.verifier.open()
        await self.security.open()
        await asyncio.gather(*(s.open() for s in self.sources.values()))
        if self.worker is not None:
            self.worker.start()

    async def aclose(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        if self.statistics is not None:
            await self.statistics.aclose()
        await asyncio.gather(*(s.aclose() for s in self.sources.values()))
        await self.security.aclose()
        await self.verifier.aclose()
        if self.outbox is not None:
            await self.outbox.aclose()
        await self.index.aclose()


class GraphQLEndpoint:
    """``/graphql`` after :class:`~govgraph.admission.Admission` let the caller in: reads the
    request, builds its context and answers. Everything about the operation itself (persisted
    operations, the operation cache and limits, authorization, the access ledger) is a schema
    extension (:mod:`govgraph.extensions`) run by strawberry's public ``Schema.execute``."""

    def __init__(self, gateway: Gateway, schema: strawberry.Schema, *, graphiql: bool) -> None:
        self.gw = gateway
        self.schema = schema
        self.graphiql = graphiql
        self._ide = explorer_html() if graphiql else ""

    async def handle(self, request: Request) -> Response:
        request_id: str = request.state.request_id
        media = response_media(request)
        if is_explorer_request(request):
            return self._explorer(request_id)
        started = time.perf_counter()
        try:
            gql = await self._read_request(request)
            ctx = build_context(
                sources=self.gw.sources,
                index=self.gw.index,
                principal=request.state.principal,
                request_id=request_id,
                deadline=time.monotonic() + self.gw.settings.gateway.request_timeout_s,
                batch_loads=self.gw.settings.gateway.batch_loads,
                statistics=self.gw.statistics,
                outbox=self.gw.outbox,
                worker=self.gw.worker,
                ledger=self.gw.security.ledger,
            )
            result = await self._execute(request, gql, ctx)
        except ClientDisconnect:
            log.debug("the client disconnected before its request was read")
            self.gw.metrics.client_disconnects.inc()
            return Response(status_code=499)
        except (AuthError, RequestError) as exc:
            return error_response(exc, request_id, media)
        return self._respond(result, ctx, gql, media, started)

    def _explorer(self, request_id: str) -> Response:
        if not self.graphiql:
            disabled = RequestError("GraphiQL is disabled", status=404, code="NOT_FOUND")
            return json_response(
                {"errors": [format_error(disabled, request_id)]},
                404,
                **{"x-request-id": request_id},
            )
        return HTMLResponse(
            self._ide,
            headers={"content-security-policy": GRAPHIQL_CSP, "x-content-type-options": "nosniff"},
        )

    async def _read_request(self, request: Request) -> GraphQLRequest:
        body = None
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise RequestError(
                    "POST requests must have Content-Type: application/json", status=415
                )
            body = await self._read_body(request)
        return parse_request(request.method, body, dict(request.query_params))

    async def _execute(
        self, request: Request, gql: GraphQLRequest, ctx: RequestContext
    ) -> ExecutionResult:
        """Run the operation; a request error an extension raised is raised again here."""
        allowed = _GET_OPERATIONS if request.method == "GET" else _POST_OPERATIONS
        try:
            result = await self.schema.execute(
                gql.query,
                variable_values=gql.variables,
                context_value=ctx,
                operation_name=gql.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=gql.extensions,
            )
        except InvalidOperationTypeError as exc:
            raise RequestError("only queries may be sent with GET", status=405) from exc
        except CannotGetOperationTypeError as exc:
            raise RequestError("the operation to run is unknown: set `operationName`") from exc
        refused = request_error_of(result.errors or ())
        if refused is not None:
            raise refused
        return result

    def _respond(
        self,
        result: ExecutionResult,
        ctx: RequestContext,
        gql: GraphQLRequest,
        media: str,
        started: float,
    ) -> Response:
        errors: list[GraphQLError] = list(result.errors or []) + ctx.extra_errors
        if isinstance(result, PreExecutionError):
            rejected = [format_error(e, ctx.request_id) for e in errors]
            self.gw.metrics.requests.labels(operation="invalid", outcome="rejected").inc()
            status = 400 if media == GRAPHQL_RESPONSE_JSON else 200
            return json_response(
                {"errors": rejected}, status, media, **{"x-request-id": ctx.request_id}
            )
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = [format_error(e, ctx.request_id) for e in errors]
        payload["data"] = result.data
        if ctx.scope.stale:
            payload["extensions"] = {"stale": stale_extension(ctx.scope.stale)}
        request_error = result.data is None and all(not e.path for e in errors)
        status = 400 if request_error and media == GRAPHQL_RESPONSE_JSON else 200
        label = gql.operation_name or "anonymous"
        self.gw.metrics.requests.labels(operation=label, outcome="error" if errors else "ok").inc()
        self.gw.metrics.request_latency.labels(operation=label).observe(
            time.perf_counter() - started
        )
        return json_response(payload, status, media, **{"x-request-id": ctx.request_id})

    async def _read_body(self, request: Request) -> bytes:
        limit = self.gw.settings.gateway.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise RequestError("the request body is too large", status=413)
        chunks = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestError("the request body is too large", status=413)
            chunks.append(chunk)
        return b"".join(chunks)


def create_app(settings: Settings, *, jwks_path: Path | None = None) -> Starlette:
    """Build the gateway app for ``settings``; connectors open in the app's lifespan."""
    metrics = Metrics()
    tracing = Tracing(settings.tracing)
    make_schema = build_federated_schema if settings.gateway.federation else build_schema
    security = Security.build(settings, static_schema(make_schema()))
    schema = make_schema(
        request_extensions(
            security,
            DocumentCache(
                settings.gateway.document_cache_size, max_tokens=settings.gateway.max_tokens
            ),
        ),
        handlers=handlers,
    )
    gateway = Gateway(
        settings=settings,
        metrics=metrics,
        sources=build_sources(settings.sources, metrics, tracing.tracer),
        index=CitizenIndex(settings.gateway.index_url),
        verifier=TokenVerifier(settings.auth),
        security=security,
    )
    gateway.statistics = StatisticsService(
        gateway.sources,
        gateway.index,
        settings.statistics,
        metrics=metrics,
        store_url=settings.gateway.ledger_url or settings.gateway.index_url,
    )
    delivery = settings.outbox
    gateway.outbox = Outbox(settings.gateway.index_url, lease_s=delivery.lease_s)
    if delivery.run_worker:
        gateway.worker = DeliveryWorker(
            gateway.outbox, gateway.sources, delivery, DeliveryMetrics(metrics.registry)
        )
    graphiql = settings.gateway.profile != "production"
    endpoint = GraphQLEndpoint(gateway, schema, graphiql=graphiql)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        return json_response(readiness(await check_sources(gateway.sources)))

    async def metrics_endpoint(request: Request) -> Response:
        await refresh_health(gateway.sources)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    jwks_body = jwks_path.read_bytes() if jwks_path is not None and jwks_path.exists() else None

    async def jwks(request: Request) -> Response:
        if jwks_body is None:
            return JSONResponse({"keys": []}, status_code=404)
        return Response(jwks_body, media_type="application/json")

    async def itself(scope: Scope, receive: Receive, send: Send) -> None:
        await app(scope, receive, send)

    web = settings.webapp
    demo = settings.gateway.profile == "demo"
    webapp_routes: list[Mount] = []
    webapp = None
    if web.enabled:
        webapp = create_webapp(
            web,
            api_url=web.api_url or "http://gateway/graphql",
            transport=httpx.ASGITransport(app=itself),
            secure_cookies=web.secure_cookies if web.secure_cookies is not None else not demo,
        )
        webapp_routes.append(Mount(BASE_PATH, webapp))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await gateway.open()
        if gateway.statistics is not None and settings.statistics.warm_at_start:
            gateway.statistics.start_warming()
        try:
            yield
        finally:
            if webapp is not None:
                await webapp.state.api.aclose()
            await gateway.aclose()
            tracing.shutdown()

    identity_routes = [Route("/.well-known/jwks.json", jwks)]
    if demo and settings.gateway.data_dir:
        data_dir = Path(settings.gateway.data_dir)
        identity_routes = idp_routes(
            identity_provider(data_dir),
            gateway.index,
            PersonaPage(Renderer(BASE_PATH), data_dir, gateway.index),
        )
    app = Starlette(
        routes=[
            Route(
                "/graphql",
                Admission(
                    request_response(tracing.traced(endpoint.handle)),
                    security=security,
                    verifier=gateway.verifier,
                ),
                methods=["GET", "POST"],
            ),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            *identity_routes,
            *webapp_routes,
            *(explorer_routes() if graphiql else []),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeaders)
    app.state.gateway = gateway
    app.state.tracing = tracing
    return app
