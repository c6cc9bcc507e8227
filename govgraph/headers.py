"""``SecurityHeaders``: the response headers every answer of the gateway carries.

- ``Cache-Control: no-store`` on every response (unless a route sets its own): nearly every
  body may hold personal data, and a cache must never keep one;
- ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``;
- on HTML (the GraphiQL page) a ``Content-Security-Policy`` with ``frame-ancestors 'none'``.
  It allows what the page needs today: scripts and styles from ``https://unpkg.com`` (GraphiQL
  loads from that CDN, each file pinned by subresource integrity), its own inline scripts by
  their SHA-256 (computed from the page as served, so nothing else inline runs), inline styles,
  ``data:`` images and fonts, and requests to the gateway itself. When GraphiQL is served
  locally the ``https://unpkg.com`` sources can be dropped.

The ``Server`` header is not sent at all (``server_header=False`` in
:mod:`govgraph.serve`), so no software or version is announced.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CDN", "SecurityHeaders", "html_policy"]

CDN = "https://unpkg.com"
"""Where GraphiQL's scripts and styles come from today."""

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.I)
_ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def html_policy(body: bytes) -> str:
    """The Content-Security-Policy for an HTML page ``body`` (its inline scripts by hash)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode()}'"
        for m in _INLINE_SCRIPT.finditer(body)
    )
    script_src = f"script-src 'self' {CDN} {hashes}".rstrip()
    return "; ".join(
        [
            "default-src 'none'",
            script_src,
            f"style-src 'self' 'unsafe-inline' {CDN}",
            "img-src 'self' data:",
            f"font-src 'self' data: {CDN}",
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
                for name, value in _ALWAYS.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
                if headers.get("content-type", "").startswith("text/html"):
                    start = message
                    return
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
