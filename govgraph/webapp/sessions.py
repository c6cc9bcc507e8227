"""Server-side sessions: the browser holds only a random id; tokens never leave the server.

``SessionMiddleware`` puts the session's dict at ``scope["session"]`` (so ``request.session``
works, as with Starlette's own middleware) and sets the cookie ``HttpOnly``, ``SameSite=Lax``,
``Secure`` unless told otherwise, scoped to the app's path.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["COOKIE", "SessionMiddleware", "SessionStore"]

COOKIE = "govgraph_app"


class SessionStore:
    """Sessions in this process's memory, dropped after ``ttl_s`` unused or when more than
    ``max_sessions`` exist (least recently used first)."""

    def __init__(self, ttl_s: float, max_sessions: int) -> None:
        self.ttl_s = ttl_s
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def get(self, session_id: str) -> dict[str, Any] | None:
        found = self._sessions.get(session_id)
        if found is None:
            return None
        seen, data = found
        if time.monotonic() - seen > self.ttl_s:
            del self._sessions[session_id]
            return None
        self._sessions.move_to_end(session_id)
        return data

    def put(self, session_id: str, data: dict[str, Any]) -> None:
        self._sessions[session_id] = (time.monotonic(), data)
        self._sessions.move_to_end(session_id)
        while len(self._sessions) > self.max_sessions:
            self._sessions.popitem(last=False)

    def drop(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def expire_all(self) -> None:
        """Forget every session (as a restart would)."""
        self._sessions.clear()


class SessionMiddleware:
    """Loads the session named by the cookie, saves it after the response starts."""

    def __init__(self, app: ASGIApp, store: SessionStore, *, path: str, secure: bool) -> None:
        self.app = app
        self.store = store
        self.path = path or "/"
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:
                    cookie = SimpleCookie()
        session_id = cookie[COOKIE].value if COOKIE in cookie else None
        data = self.store.get(session_id) if session_id else None
        had = data is not None
        session: dict[str, Any] = dict(data) if data is not None else {}
        scope["session"] = session

        async def send_with_cookie(message: Message) -> None:
            nonlocal session_id
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if session.get("_rotate"):
                    session.pop("_rotate")
                    if session_id:
                        self.store.drop(session_id)
                    session_id = None
                if session:
                    if session_id is None or not had:
                        session_id = secrets.token_urlsafe(32)
                    self.store.put(session_id, session)
                    headers.append("set-cookie", self._cookie(session_id))
                elif had and session_id:
                    self.store.drop(session_id)
                    headers.append("set-cookie", self._cookie("", max_age=0))
                headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, value: str, max_age: int | None = None) -> str:
        parts = [f"{COOKIE}={value}", f"Path={self.path}", "HttpOnly", "SameSite=Lax"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
