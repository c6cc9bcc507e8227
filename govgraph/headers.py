"""``SecurityHeaders``: the response headers every answer of the gateway carries.

- ``Cache-Control: no-store`` on every response (unless a route sets its own, as the JWKS
  does): nearly every body may hold personal data, and a cache must never keep one;
- ``X-Content-Type-Options: nosniff``, and ``Referrer-Policy: no-referrer`` unless a route
  chose its own (the citizen app's pages send ``same-origin``);
- on HTML a ``Content-Security-Policy`` with ``frame-ancestors 'none'``: a page that sets its
  own policy (GraphiQL, now served from the package; the citizen app, with a nonce) keeps it,
  with ``frame-ancestors 'none'`` added if it lacks one; any other HTML gets a strict default
  that allows only this server's scripts and styles, its own inline scripts by their SHA-256
  (computed from the page as served), inline styles, ``data:`` images and fonts, and requests
  to the gateway itself.

The ``Server`` header is not sent at all (``server_header=False`` in
:mod:`govgraph.serve`), so no software or version is announced.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_HEADERS", "SecurityHeaders", "html_policy"]

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.I)
_DEFAULTS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
DEFAULT_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(
    (name.encode(), value.encode()) for name, value in _DEFAULTS.items()
)
"""The headers above as raw ASGI headers, for a JSON answer that sets none of them itself
(the ``/graphql`` endpoint sends them without going through the middleware)."""


def html_policy(body: bytes) -> str:
    """The Content-Security-Policy for an HTML page ``body`` (its inline scripts by hash)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode()}'"
        for m in _INLINE_SCRIPT.finditer(body)
    )
    script_src = f"script-src 'self' {hashes}".rstrip()
    return "; ".join(
        [
            "default-src 'none'",
            script_src,
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response of ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _DEFAULTS.items():
                    if name not in headers:
                        headers[name] = value
                if headers.get("content-type", "").startswith("text/html"):
                    policy = headers.get("content-security-policy")
                    if policy is None:
                        start = message
                        return
                    if "frame-ancestors" not in policy:
                        headers["content-security-policy"] = f"{policy}; frame-ancestors 'none'"
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(body)
            headers = MutableHeaders(scope=start)
            headers["content-security-policy"] = html_policy(page)
            headers["content-length"] = str(len(page))
            await send(start)
            await send({"type": "http.response.body", "body": page, "more_body": False})

        await self.app(scope, receive, send_with_headers)
