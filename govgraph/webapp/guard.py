"""What every page of the app shares: the signed-in check, CSRF, and calling the API."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govgraph.webapp.api import ApiClient, ApiResult, ApiUnavailable, SessionExpired
from govgraph.webapp.render import Renderer

__all__ = ["AppContext", "Page", "new_key", "page"]

log = logging.getLogger("govgraph.webapp")

Page = Callable[[Request, "AppContext"], Awaitable[Response]]


def new_key() -> str:
    """A fresh idempotency key for one user action."""
    return "app-" + secrets.token_hex(16)


@dataclass
class AppContext:
    """The app's long-lived parts, handed to every page."""

    api: ApiClient
    renderer: Renderer
    base: str

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> Response:
        return self.renderer.page(request, template, context, status)

    def problem(self, request: Request, status: int, title: str, *lines: str) -> Response:
        return self.render(request, "error.html", status, title=title, lines=list(lines))

    def sign_in_first(self, request: Request) -> Response:
        """Send the browser to sign in, coming back to the page it asked for afterwards."""
        wanted = request.url.path
        if request.method != "GET":
            wanted = self.base + "/"
        if request.url.query and request.method == "GET":
            wanted += "?" + request.url.query
        return RedirectResponse(f"{self.base}/sign-in?next={quote(wanted, safe='')}", 303)

    async def query(
        self, request: Request, operation: str, variables: dict[str, Any] | None = None
    ) -> ApiResult:
        """Run ``operation`` as the signed-in citizen."""
        return await self.api.run(request.session["token"], operation, variables)


def signed_in(request: Request) -> bool:
    session = request.session
    return bool(session.get("token")) and float(session.get("expires_at", 0)) > time.time()


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = request.session.get("csrf", "")
    return bool(expected and submitted) and hmac.compare_digest(
        str(expected).encode(), str(submitted).encode()
    )


def page(handler: Page, ctx: AppContext) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page: sign-in required, CSRF checked on every POST, API failures as plain words."""

    async def endpoint(request: Request) -> Response:
        if not signed_in(request):
            request.session.clear()
            return ctx.sign_in_first(request)
        if request.method == "POST":
            async with request.form(max_fields=50, max_files=0) as form:
                submitted = form.get("csrf_token")
            if not csrf_ok(request, submitted if isinstance(submitted, str) else None):
                return ctx.problem(
                    request,
                    403,
                    "Sorry, we could not accept that form",
                    "The form was not sent from this service, or it had been open too long. "
                    "Nothing has been changed.",
                    "Go back, reload the page and try again.",
                )
        try:
            return await handler(request, ctx)
        except SessionExpired:
            request.session.clear()
            return ctx.sign_in_first(request)
        except ApiUnavailable:
            return ctx.problem(
                request,
                503,
                "Sorry, the service is unavailable",
                "We cannot show your information just now. Nothing you entered has been sent.",
                "Try again later.",
            )

    return endpoint
