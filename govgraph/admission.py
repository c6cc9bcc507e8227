"""``Admission``: the ASGI middleware in front of ``/graphql`` that decides who may ask at all.

In order: the limit on failed authentications per client address (checked before a token is
verified, counted when one is refused), the bearer token (verified into a
:class:`~govgraph.auth.Principal`), and the rate limit per principal. A refused request is
answered here (401, or 429 with ``Retry-After``), formatted by
:func:`~govgraph.graphql_http.format_error`; an admitted one goes on with its caller and
request id in the request's state (``request.state.principal``, ``request.state.request_id``).
The GraphiQL page (an HTML ``GET`` without a query) needs no token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from govgraph.auth import AuthError, Principal, TokenVerifier
from govgraph.graphql_http import RequestError, error_response, request_id_of, response_media
from govgraph.security import Security

__all__ = ["Admission", "is_explorer_request"]


def is_explorer_request(request: Request) -> bool:
    """A browser asking for the GraphiQL page (HTML, ``GET``, no operation)."""
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


class Admission:
    """Authenticates and rate-limits each request before the GraphQL endpoint reads it."""

    def __init__(self, app: ASGIApp, *, security: Security, verifier: TokenVerifier) -> None:
        self.app = app
        self.security = security
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        request_id = request_id_of(request)
        principal = None
        if not is_explorer_request(request):
            try:
                principal = await self._admit(request)
            except (AuthError, RequestError) as exc:
                response = error_response(exc, request_id, response_media(request))
                await response(scope, receive, send)
                return
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["request_id"] = request_id
        await self.app(scope, receive, send)

    async def _admit(self, request: Request) -> Principal | None:
        async with self.security.authenticating(request):
            principal = await self._principal(request)
        await self.security.admit(principal, request)
        return principal

    async def _principal(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be `Bearer <token>`")
        return await self.verifier.authenticate(token.strip())
