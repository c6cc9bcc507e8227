"""The ASGI application: routes, the GraphQL endpoint, and the lifespan that owns connectors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import strawberry
from graphql import GraphQLSchema
from graphql import build_schema as schema_from_sdl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from govgraph.admission import Admission
from govgraph.auth import TokenVerifier
from govgraph.endpoint import GraphQLEndpoint, GraphQLFirst
from govgraph.explorer import explorer_routes
from govgraph.extensions import DocumentCache, request_extensions
from govgraph.graphql_http import json_response
from govgraph.headers import SecurityHeaders
from govgraph.idp import identity_provider, idp_routes
from govgraph.index import CitizenIndex
from govgraph.outbox import DeliveryMetrics, DeliveryWorker, Outbox
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
from resolvers.federation import build_federated_schema
from schema import build_schema

__all__ = ["Gateway", "create_app"]


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
    endpoint = GraphQLEndpoint(
        gateway,
        schema,
        Admission(security=security, verifier=gateway.verifier),
        tracing,
        graphiql=graphiql,
    )

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
            Route("/graphql", endpoint, methods=["GET", "POST"]),
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
    app.add_middleware(GraphQLFirst, endpoint=endpoint)
    app.state.gateway = gateway
    app.state.tracing = tracing
    return app
