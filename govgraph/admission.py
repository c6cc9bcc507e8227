"""``Admission``: the first step of ``/graphql``, deciding who may ask at all.

In order: the limit on failed authentications per client address (checked before a token is
verified, counted when one is refused), the bearer token (verified into a
:class:`~govgraph.auth.Principal`), and the rate limit per principal. A refused request is
answered by the endpoint with the error raised here (401, or 429 with ``Retry-After``),
formatted by :func:`~govgraph.graphql_http.format_error`; an admitted one goes on with its
caller. The GraphiQL page (an HTML ``GET`` without a query) needs no token.
"""

from __future__ import annotations

from govgraph.auth import AuthError, Principal, TokenVerifier
from govgraph.graphql_http import HttpRequest
from govgraph.security import Security

__all__ = ["Admission", "is_explorer_request"]


def is_explorer_request(request: HttpRequest) -> bool:
    """A browser asking for the GraphiQL page (HTML, ``GET``, no operation)."""
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params()
    )


class Admission:
    """Authenticates and rate-limits each request before the GraphQL endpoint reads it."""

    def __init__(self, *, security: Security, verifier: TokenVerifier) -> None:
        self.security = security
        self.verifier = verifier

    async def admit(self, request: HttpRequest) -> Principal | None:
        """The caller (``None``: no token), or :class:`AuthError` /
        :class:`~govgraph.graphql_http.RequestError` (failed-authentication or rate limit)."""
        async with self.security.authenticating(request):
            principal = await self._principal(request)
        await self.security.admit(principal, request)
        return principal

    async def _principal(self, request: HttpRequest) -> Principal | None:
        header = request.headers.get("authorization")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("the Authorization header must be `Bearer <token>`")
        return await self.verifier.authenticate(token.strip())
