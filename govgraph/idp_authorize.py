"""The demo identity provider's sign-in: OpenID Connect authorization code flow with PKCE.

``GET /idp/authorize`` shows a page to pick a demo persona (``govgraph.personas``); choosing
one redirects to the client's ``redirect_uri`` with a one-time code, which the client exchanges
at ``POST /idp/token`` (``grant_type=authorization_code`` and its PKCE ``code_verifier``) for an
access token for the gateway and an ID token for itself. Only the demo's own app is a client,
and only its callback on the same origin as the provider is a valid ``redirect_uri``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from govgraph.personas import Persona

__all__ = ["DEMO_CLIENT_ID", "AuthorizationCodes", "CodeGrant", "authorize_endpoint"]

DEMO_CLIENT_ID = "govgraph-app"
CALLBACK_PATH = "/app/auth/callback"
_CODE_LIFETIME_S = 120.0
_MAX_CODES = 1000
_MAX_PARAM = 512


@dataclass(frozen=True)
class CodeGrant:
    """What a one-time authorization code stands for."""

    citizen_id: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    issued: float


class AuthorizationCodes:
    """One-time codes in memory, each valid for two minutes."""

    def __init__(self) -> None:
        self._codes: dict[str, CodeGrant] = {}

    def issue(self, grant: CodeGrant) -> str:
        now = time.monotonic()
        for code in [c for c, g in self._codes.items() if now - g.issued > _CODE_LIFETIME_S]:
            del self._codes[code]
        if len(self._codes) >= _MAX_CODES:
            self._codes.pop(next(iter(self._codes)))
        code = secrets.token_urlsafe(32)
        self._codes[code] = grant
        return code

    def redeem(
        self, code: str, *, client_id: str, redirect_uri: str, code_verifier: str
    ) -> CodeGrant | None:
        """The grant for ``code`` if everything matches (the code is used up either way)."""
        grant = self._codes.pop(code, None)
        if grant is None or time.monotonic() - grant.issued > _CODE_LIFETIME_S:
            return None
        if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
            return None
        digest = hashlib.sha256(code_verifier.encode("ascii", "replace")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
        if not 43 <= len(code_verifier) <= 128 or not hmac.compare_digest(
            challenge, grant.code_challenge
        ):
            return None
        return grant


def _valid_redirect(request: Request, redirect_uri: str) -> bool:
    parts = urlsplit(redirect_uri)
    return (
        parts.scheme in ("http", "https")
        and parts.netloc == request.url.netloc
        and parts.path == CALLBACK_PATH
        and not parts.query
        and not parts.fragment
    )


_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def authorize_endpoint(
    codes: AuthorizationCodes,
    personas: Callable[[], Awaitable[list[Persona]]],
    render: Callable[[str, dict[str, object]], str],
) -> Callable[[Request], Awaitable[Response]]:
    """The ``/idp/authorize`` endpoint: ``render(template, context)`` draws the persona page."""

    def page(context: dict[str, object], status: int = 200) -> Response:
        return HTMLResponse(render("idp_signin.html", context), status)

    async def endpoint(request: Request) -> Response:
        if request.method == "POST":
            async with request.form(max_fields=20) as form:
                params = {k: str(form.get(k) or "") for k in (*_PARAMS, "persona")}
        else:
            params = {k: request.query_params.get(k, "") for k in _PARAMS}
        if any(len(v) > _MAX_PARAM for v in params.values()):
            return page({"problem": "The sign-in request is too long."}, 400)
        if params["client_id"] != DEMO_CLIENT_ID or not _valid_redirect(
            request, params["redirect_uri"]
        ):
            return page({"problem": "The service that sent you here is not known."}, 400)

        def back(**answer: str) -> Response:
            query = {**answer, "state": params["state"]} if params["state"] else answer
            return RedirectResponse(f"{params['redirect_uri']}?{urlencode(query)}", 303)

        if params["response_type"] != "code":
            return back(error="unsupported_response_type")
        if params["code_challenge_method"] != "S256" or len(params["code_challenge"]) != 43:
            return back(error="invalid_request", error_description="PKCE with S256 is required")
        known = await personas()
        if request.method == "GET":
            return page({"personas": known, "params": params})
        chosen = next((p for p in known if p.name == params["persona"]), None)
        if chosen is None:
            return page(
                {"personas": known, "params": params, "error": "Select who to sign in as"}, 400
            )
        code = codes.issue(
            CodeGrant(
                citizen_id=chosen.citizen_id,
                client_id=params["client_id"],
                redirect_uri=params["redirect_uri"],
                code_challenge=params["code_challenge"],
                nonce=params["nonce"] or None,
                issued=time.monotonic(),
            )
        )
        return back(code=code)

    return endpoint


def token_error(message: str, error: str = "invalid_grant") -> Response:
    return JSONResponse({"error": error, "error_description": message}, 400)
