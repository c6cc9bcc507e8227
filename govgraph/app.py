"""The ASGI application: routes, the GraphQL endpoint, and the lifespan that owns connectors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from graphql import GraphQLError, OperationType
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from govgraph.auth import AuthError, Principal, TokenVerifier
from govgraph.explorer import CSP as GRAPHIQL_CSP
from govgraph.explorer import explorer_html, explorer_routes
from govgraph.graphql_http import (
    GRAPHQL_RESPONSE_JSON,
    OperationCache,
    RequestError,
    execute_operation,
    format_error,
    operation_type,
    parse_request,
)
from govgraph.headers import SecurityHeaders
from govgraph.idp import identity_provider, idp_routes
from govgraph.index import CitizenIndex
from govgraph.logs import bind_request
from govgraph.outbox import DeliveryMetrics, DeliveryWorker, Outbox
from govgraph.resilience.stale import stale_extension, track_stale
from govgraph.resilience.status import check_sources, readiness, refresh_health
from govgraph.security import Security
from govgraph.settings import Settings
from govgraph.sources import REQUEST_DEADLINE, Source, build_sources
from govgraph.statistics import StatisticsService
from govgraph.telemetry import CONTENT_TYPE_LATEST, Metrics
from govgraph.tracing import Tracing, annotate_request
from govgraph.webapp.app import BASE_PATH, create_webapp
from govgraph.webapp.persona_page import PersonaPage
from govgraph.webapp.render import Renderer
from resolvers.context import build_context
from resolvers.federation import build_federated_schema
from schema import build_schema

__all__ = ["Gateway", "create_app"]

log = logging.getLogger("govgraph.app")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass(eq=False)
class Gateway:
    """Long-lived state of one running gateway (built at start, closed at shutdown)."""

    settings: Settings
    metrics: Metrics
    sources: dict[str, Source]
    index: CitizenIndex
    verifier: TokenVerifier
    operations: OperationCache
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


def _json(
    payload: Any, status: int = 200, media_type: str = "application/json", **headers: str
) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type=media_type, headers=headers
    )


def _wants_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE_JSON in request.headers.get("accept", "")


def _request_id(request: Request) -> str:
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


class GraphQLEndpoint:
    def __init__(self, gateway: Gateway, *, graphiql: bool) -> None:
        self.gw = gateway
        self.schema = gateway.operations.schema
        self.graphiql = graphiql
        self._ide = explorer_html() if graphiql else ""

    async def _principal(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be `Bearer <token>`")
        return await self.gw.verifier.authenticate(token.strip())

    async def handle(self, request: Request) -> Response:
        request_id = _request_id(request)
        bind_request(request_id)
        stale = track_stale()
        media = GRAPHQL_RESPONSE_JSON if _wants_graphql_response(request) else "application/json"
        if (
            request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and ("query" not in request.query_params)
        ):
            if not self.graphiql:
                disabled = RequestError("GraphiQL is disabled", status=404, code="NOT_FOUND")
                return _json(
                    {"errors": [format_error(disabled, request_id)]},
                    404,
                    **{"x-request-id": request_id},
                )
            return HTMLResponse(
                self._ide,
                headers={
                    "content-security-policy": GRAPHIQL_CSP,
                    "x-content-type-options": "nosniff",
                },
            )
        started = time.perf_counter()
        operation_label = "invalid"
        try:
            async with self.gw.security.authenticating(request):
                principal = await self._principal(request)
            await self.gw.security.admit(principal, request)
            body = None
            if request.method == "POST":
                ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
                if ctype != "application/json":
                    raise RequestError(
                        "POST requests must have Content-Type: application/json",
                        status=415,
                    )
                body = await self._read_body(request)
            gql = parse_request(request.method, body, dict(request.query_params))
            gql = await self.gw.security.resolve_persisted(gql)
            doc = self.gw.operations.get(gql.query)
            if isinstance(doc, list):
                rejected = [format_error(e, request_id) for e in doc]
                status = 400 if media == GRAPHQL_RESPONSE_JSON else 200
                self.gw.metrics.requests.labels(operation="invalid", outcome="rejected").inc()
                return _json({"errors": rejected}, status, media, **{"x-request-id": request_id})
            self.gw.security.persisted.register(gql)
            op_type = operation_type(doc, gql.operation_name)
            if op_type is None:
                raise RequestError("the operation to run is unknown: set `operationName`")
            if request.method == "GET" and op_type != OperationType.QUERY:
                raise RequestError("only queries may be sent with GET", status=405)
            operation_label = gql.operation_name or "anonymous"
            annotate_request(operation_label, op_type.value, request_id)
            ctx = build_context(
                sources=self.gw.sources,
                index=self.gw.index,
                principal=principal,
                request_id=request_id,
                batch_loads=self.gw.settings.gateway.batch_loads,
                statistics=self.gw.statistics,
                outbox=self.gw.outbox,
                worker=self.gw.worker,
                ledger=self.gw.security.ledger,
            )
            token = REQUEST_DEADLINE.set(
                time.monotonic() + self.gw.settings.gateway.request_timeout_s
            )
            try:
                result = await execute_operation(
                    self.schema,
                    doc,
                    gql,
                    ctx,
                    middleware=self.gw.security.plan(gql.query, doc, principal),
                )
            finally:
                REQUEST_DEADLINE.reset(token)
            await self.gw.security.record(ctx, gql.query, doc, principal)
        except ClientDisconnect:
            log.debug("the client disconnected before its request was read")
            self.gw.metrics.client_disconnects.inc()
            return Response(status_code=499)
        except AuthError as exc:
            return _json(
                {"errors": [format_error(exc, request_id)]},
                401,
                media,
                **{"www-authenticate": 'Bearer error="invalid_token"', "x-request-id": request_id},
            )
        except RequestError as exc:
            return _json(
                {"errors": [format_error(exc, request_id)]},
                exc.status,
                media,
                **exc.headers,
                **{"x-request-id": request_id},
            )
        errors: list[GraphQLError] = list(result.errors or []) + ctx.extra_errors
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = [format_error(e, request_id) for e in errors]
        payload["data"] = result.data
        if stale:
            payload["extensions"] = {"stale": stale_extension(stale)}
        request_error = result.data is None and all(not e.path for e in errors)
        status = 400 if request_error and media == GRAPHQL_RESPONSE_JSON else 200
        self.gw.metrics.requests.labels(
            operation=operation_label, outcome="error" if errors else "ok"
        ).inc()
        self.gw.metrics.request_latency.labels(operation=operation_label).observe(
            time.perf_counter() - started
        )
        return _json(payload, status, media, **{"x-request-id": request_id})

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
    schema = build_federated_schema() if settings.gateway.federation else build_schema()
    security = Security.build(settings, schema._schema)
    gateway = Gateway(
        settings=settings,
        metrics=metrics,
        sources=build_sources(settings.sources, metrics, tracing.tracer),
        index=CitizenIndex(settings.gateway.index_url),
        verifier=TokenVerifier(settings.auth),
        operations=OperationCache(
            schema._schema,
            settings.gateway.document_cache_size,
            rules=security.rules,
            max_tokens=settings.gateway.max_tokens,
        ),
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
    endpoint = GraphQLEndpoint(gateway, graphiql=graphiql)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        return _json(readiness(await check_sources(gateway.sources)))

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
            Route("/graphql", tracing.traced(endpoint.handle), methods=["GET", "POST"]),
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
