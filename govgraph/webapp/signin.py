"""Sign in with OpenID Connect (authorization code flow with PKCE, by authlib), and sign out."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

import httpx
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govgraph.webapp.guard import AppContext, csrf_ok
from govgraph.webapp.settings import WebAppSettings

__all__ = ["SignIn"]

log = logging.getLogger("govgraph.webapp")


class SignIn:
    """The app's OpenID Connect client: the configured provider, or the demo's own."""

    def __init__(
        self, settings: WebAppSettings, ctx: AppContext, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self.settings = settings
        self.ctx = ctx
        self.transport = transport
        self._oauth = OAuth()
        self._clients: dict[str, StarletteOAuth2App] = {}

    def _client(self, origin: str) -> StarletteOAuth2App:
        """The provider client; the demo provider is this gateway, at the browser's origin."""
        discovery = self.settings.oidc_discovery_url
        key = discovery or origin
        if key not in self._clients:
            kwargs: dict[str, Any] = {
                "scope": self.settings.scope,
                "code_challenge_method": "S256",
            }
            if discovery is None and self.transport is not None:
                kwargs["transport"] = self.transport
            client = self._oauth.register(
                name=f"provider{len(self._clients)}",
                client_id=self.settings.client_id,
                client_secret=self.settings.client_secret,
                server_metadata_url=discovery or f"{origin}/.well-known/openid-configuration",
                client_kwargs=kwargs,
                overwrite=True,
            )
            self._clients[key] = client
        return self._clients[key]

    def _origin(self, request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def _next(self, wanted: str | None) -> str:
        base = self.ctx.base
        if wanted and wanted.startswith(base + "/") and "//" not in wanted and "\\" not in wanted:
            return wanted
        return base + "/"

    async def start(self, request: Request) -> Response:
        request.session["next"] = self._next(request.query_params.get("next"))
        origin = self._origin(request)
        try:
            redirect: Response = await self._client(origin).authorize_redirect(
                request, f"{origin}{self.ctx.base}/auth/callback"
            )
            return redirect
        except (httpx.HTTPError, OAuthError, RuntimeError, ValueError) as exc:
            log.warning("sign-in could not start: %s", type(exc).__name__)
            return self.ctx.problem(
                request, 503, "Sorry, you cannot sign in just now", "Try again later."
            )

    async def callback(self, request: Request) -> Response:
        try:
            token = await self._client(self._origin(request)).authorize_access_token(request)
        except (httpx.HTTPError, OAuthError, RuntimeError, ValueError) as exc:
            log.warning("sign-in did not complete: %s", type(exc).__name__)
            return self.ctx.render(
                request,
                "signed_out.html",
                400,
                title="You have not been signed in",
                message="Signing in did not finish. Nothing has been changed.",
            )
        wanted = self._next(request.session.get("next"))
        request.session.clear()
        request.session.update(
            {
                "token": token["access_token"],
                "expires_at": float(token.get("expires_at") or time.time() + 900),
                "csrf": secrets.token_urlsafe(32),
                "_rotate": True,
            }
        )
        return RedirectResponse(wanted, 303)

    async def sign_out(self, request: Request) -> Response:
        if request.session.get("token"):
            async with request.form(max_fields=5, max_files=0) as form:
                submitted = form.get("csrf_token")
            if not csrf_ok(request, submitted if isinstance(submitted, str) else None):
                return self.ctx.problem(
                    request,
                    403,
                    "Sorry, we could not accept that form",
                    "Go back, reload the page and try again.",
                )
        request.session.clear()
        return RedirectResponse(f"{self.ctx.base}/signed-out", 303)

    async def signed_out(self, request: Request) -> Response:
        return self.ctx.render(
            request,
            "signed_out.html",
            title="You have signed out",
            message="You have signed out of your government account.",
        )
