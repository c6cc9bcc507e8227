"""Build the citizen app: its routes, sessions, static assets and error pages."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from govgraph.webapp import address, home, pay, renew
from govgraph.webapp.api import ApiClient
from govgraph.webapp.guard import AppContext, page
from govgraph.webapp.render import Renderer
from govgraph.webapp.sessions import SessionMiddleware, SessionStore
from govgraph.webapp.settings import WebAppSettings
from govgraph.webapp.signin import SignIn

__all__ = ["BASE_PATH", "create_webapp", "standalone"]

log = logging.getLogger("govgraph.webapp")

BASE_PATH = "/app"
"""Where the gateway mounts the app."""


def create_webapp(
    settings: WebAppSettings,
    *,
    api_url: str,
    transport: httpx.AsyncBaseTransport | None = None,
    secure_cookies: bool = True,
    base: str = BASE_PATH,
) -> Starlette:
    """The app, calling the GraphQL API at ``api_url`` (through ``transport`` if given: the
    gateway passes an in-process ASGI transport to itself). Mount it at ``base``."""
    renderer = Renderer(base)
    api = ApiClient(api_url, transport)
    ctx = AppContext(api=api, renderer=renderer, base=base)
    sign_in = SignIn(settings, ctx, transport)
    store = SessionStore(settings.session_ttl_s, settings.max_sessions)

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if status == 405:
            return ctx.problem(request, 405, "Sorry, that did not work", "Go back and try again.")
        return ctx.problem(
            request,
            404,
            "Page not found",
            "If you typed the web address, check it is correct.",
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("the app failed on a request: %s", type(exc).__name__)
        return ctx.problem(
            request, 500, "Sorry, there is a problem with the service", "Try again later."
        )

    both = ["GET", "POST"]
    routes = [
        Route("/", page(home.home, ctx)),
        Route("/sign-in", sign_in.start),
        Route("/auth/callback", sign_in.callback),
        Route("/sign-out", sign_in.sign_out, methods=["POST"]),
        Route("/signed-out", sign_in.signed_out),
        Route("/items/{kind}/{reference}", page(home.item, ctx)),
        Route("/access", page(home.access_log, ctx)),
        Route("/pay/{pcn}", page(pay.pay_amount, ctx), methods=both),
        Route("/pay/{pcn}/check", page(pay.pay_check, ctx), methods=both),
        Route("/pay/{pcn}/confirmation", page(pay.pay_done, ctx)),
        Route("/renew-passport", page(renew.renew_photo, ctx), methods=both),
        Route("/renew-passport/check", page(renew.renew_check, ctx), methods=both),
        Route("/renew-passport/confirmation", page(renew.renew_done, ctx)),
        Route("/address", page(address.address_form, ctx), methods=both),
        Route("/address/check", page(address.address_check, ctx), methods=both),
        Route("/address/{change_id}", page(address.address_progress, ctx)),
        Mount(
            "/assets",
            StaticFiles(directory=Path(__file__).parent / "static"),
            name="assets",
        ),
    ]

    app = Starlette(
        routes=routes,
        exception_handlers={404: not_found, 405: not_found, 500: server_error},
    )
    app.add_middleware(SessionMiddleware, store=store, path=base, secure=secure_cookies)
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=5)
    app.state.sessions = store
    app.state.api = api
    return app


def standalone() -> Starlette:
    """The app on its own (``uvicorn --factory govgraph.webapp:standalone``), configured by the
    ``[webapp]`` section of the file ``GOVGRAPH_CONFIG`` names; ``api_url`` and
    ``oidc_discovery_url`` are required there."""
    from govgraph.settings import load_settings

    settings = load_settings(Path(os.environ.get("GOVGRAPH_CONFIG", "govgraph.toml")))
    web = settings.webapp
    if not web.api_url or not web.oidc_discovery_url:
        raise SystemExit("[webapp] api_url and oidc_discovery_url are needed to run the app alone")
    secure = web.secure_cookies if web.secure_cookies is not None else True
    app = create_webapp(web, api_url=web.api_url, secure_cookies=secure)

    @contextlib.asynccontextmanager
    async def lifespan(outer: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await app.state.api.aclose()

    return Starlette(routes=[Mount(BASE_PATH, app)], lifespan=lifespan)
