"""The simulated land registry's HTTP API (Starlette).

- ``GET /health``: ``{"status": "ok", "titles": N, "api_version": ...}``
- ``GET /titles/{title_number}``: one title; 404 unknown, 422 unreadable, 400 malformed number
- ``GET /titles?ids=A,B``: many titles, ``{"titles": [...], "errors": [...]}`` (at most 100)
- ``GET /titles?limit=N&after=CURSOR``: every title, a page at a time, ``{"titles", "next"}``
- ``GET /admin/stats``: calls by route (no token needed)

With a token, every route but ``/admin/stats`` needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import bisect
import re
import secrets
from collections import Counter
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govgraph_rest.simulator.titles import TITLE_NUMBER

__all__ = ["API_VERSION", "MAX_BATCH", "create_app"]

API_VERSION = "1.4"
MAX_BATCH = 100
_NUMBER = re.compile(TITLE_NUMBER)


def _public(title: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in title.items() if k != "unreadable"}


def create_app(titles: list[dict[str, Any]], *, token: str | None = None) -> Starlette:
    """The registry's API over ``titles`` (see :mod:`govgraph_rest.simulator.titles`)."""
    by_number = {t["title_number"]: t for t in titles}
    ordered = sorted(by_number)
    calls: Counter[str] = Counter()

    def denied(request: Request) -> Response | None:
        if token is None:
            return None
        given = request.headers.get("authorization", "")
        if secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return None
        return JSONResponse({"code": "UNAUTHORISED"}, status_code=401)

    async def health(request: Request) -> Response:
        calls["health"] += 1
        if (refused := denied(request)) is not None:
            return refused
        return JSONResponse({"status": "ok", "titles": len(by_number), "api_version": API_VERSION})

    async def one(request: Request) -> Response:
        calls["title"] += 1
        if (refused := denied(request)) is not None:
            return refused
        number = request.path_params["number"]
        if not _NUMBER.match(number):
            return JSONResponse({"code": "INVALID_TITLE_NUMBER"}, status_code=400)
        title = by_number.get(number)
        if title is None:
            return JSONResponse({"code": "NOT_FOUND"}, status_code=404)
        if title.get("unreadable"):
            return JSONResponse({"code": "TITLE_UNREADABLE"}, status_code=422)
        return JSONResponse(_public(title))

    async def many(request: Request) -> Response:
        if (refused := denied(request)) is not None:
            return refused
        ids = request.query_params.get("ids")
        if ids is None:
            calls["page"] += 1
            return page(request)
        calls["batch"] += 1
        numbers = [n for n in ids.split(",") if n]
        if len(numbers) > MAX_BATCH or not all(_NUMBER.match(n) for n in numbers):
            return JSONResponse({"code": "INVALID_TITLE_NUMBER"}, status_code=400)
        found, errors = [], []
        for number in dict.fromkeys(numbers):
            title = by_number.get(number)
            if title is None:
                continue
            if title.get("unreadable"):
                errors.append({"title_number": number, "code": "TITLE_UNREADABLE"})
            else:
                found.append(_public(title))
        return JSONResponse({"titles": found, "errors": errors})

    def page(request: Request) -> Response:
        try:
            limit = int(request.query_params.get("limit", "100"))
        except ValueError:
            return JSONResponse({"code": "INVALID_LIMIT"}, status_code=400)
        if not 1 <= limit <= 1000:
            return JSONResponse({"code": "INVALID_LIMIT"}, status_code=400)
        after = request.query_params.get("after", "")
        start = bisect.bisect_right(ordered, after)
        chunk = [by_number[n] for n in ordered[start : start + limit]]
        readable = [_public(t) for t in chunk if not t.get("unreadable")]
        more = start + limit < len(ordered)
        return JSONResponse(
            {"titles": readable, "next": chunk[-1]["title_number"] if more else None}
        )

    async def stats(request: Request) -> Response:
        return JSONResponse(dict(calls))

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/titles", many),
            Route("/titles/{number}", one),
            Route("/admin/stats", stats),
        ]
    )
