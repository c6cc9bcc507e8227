"""GraphQL over HTTP: request parsing and the one translation of errors into GraphQL errors.

Follows the GraphQL-over-HTTP specification: ``application/graphql-response+json`` when the
client accepts it (400 for a request that cannot execute), ``application/json`` otherwise
(200 for any well-formed request).

The ``/graphql`` endpoint is a plain ASGI callable: it reads an :class:`HttpRequest` (the few
things it needs of the ASGI scope) and answers with a :class:`Reply` sent as one response
start and one body message, with the security headers every answer carries
(:data:`govgraph.headers.DEFAULT_HEADERS`); no framework request or response object is built.
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from graphql import GraphQLError
from starlette.responses import Response
from starlette.types import Scope, Send

from govgraph.auth import AuthError
from govgraph.headers import DEFAULT_HEADERS
from govgraph.redact import redact
from legacy_connectors.errors import LegacyError
from resolvers.errors import ApiError
from schema.common import department_of

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "GraphQLRequest",
    "HttpRequest",
    "Reply",
    "RequestError",
    "error_reply",
    "format_error",
    "json_reply",
    "json_response",
    "parse_request",
    "request_id_of",
    "response_media",
    "send_reply",
]

log = logging.getLogger("govgraph.graphql")

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestError(Exception):
    """The HTTP request is not a GraphQL request this server can execute."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str = "BAD_REQUEST",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.headers = headers or {}


@dataclass(slots=True)
class HttpRequest:
    """What the GraphQL endpoint reads of an HTTP request's ASGI scope (the body is read from
    ``receive``): header names are lower-case, as ASGI gives them; a repeated header's first
    value counts, a repeated query parameter's last (as starlette reads them)."""

    method: str
    path: str
    headers: dict[str, str]
    query_string: bytes
    client_host: str | None
    """The connection's peer, or the client a trusted proxy reported (uvicorn's proxy
    headers middleware rewrites the peer only for ``FORWARDED_ALLOW_IPS``)."""

    @classmethod
    def of(cls, scope: Scope) -> HttpRequest:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1")
            if key not in headers:
                headers[key] = value.decode("latin-1")
        client = scope.get("client")
        return cls(
            method=scope["method"],
            path=scope["path"],
            headers=headers,
            query_string=scope.get("query_string", b""),
            client_host=client[0] if client else None,
        )

    def query_params(self) -> dict[str, str]:
        """The query string's parameters (the last value of a repeated one)."""
        if not self.query_string:
            return {}
        return dict(parse_qsl(self.query_string.decode("latin-1"), keep_blank_values=True))


@dataclass(slots=True)
class Reply:
    """An answer of the GraphQL endpoint: status, raw headers (security headers included)
    and the whole body."""

    status_code: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""


async def send_reply(send: Send, reply: Reply) -> None:
    """Send ``reply``: one response start, one body message ending the response."""
    await send(
        {"type": "http.response.start", "status": reply.status_code, "headers": reply.headers}
    )
    await send({"type": "http.response.body", "body": reply.body, "more_body": False})


@dataclass(slots=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None = None


def parse_request(method: str, body: bytes | None, params: dict[str, str]) -> GraphQLRequest:
    """Read a GraphQL request from a POST body (JSON) or GET query parameters."""
    if method == "GET":
        payload: Any = dict(params)
        for name in ("variables", "extensions"):
            if payload.get(name):
                try:
                    payload[name] = orjson.loads(payload[name])
                except orjson.JSONDecodeError as exc:
                    raise RequestError(f"`{name}` is not valid JSON") from exc
    else:
        try:
            payload = orjson.loads(body or b"")
        except orjson.JSONDecodeError as exc:
            raise RequestError("the request body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise RequestError("the request body must be a JSON object")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError("`extensions` must be a JSON object")
    query = payload.get("query")
    persisted = extensions is not None and "persistedQuery" in extensions
    if persisted and query is None:
        query = ""
    elif not isinstance(query, str) or not query.strip():
        raise RequestError("`query` must be a non-empty string")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError("`variables` must be a JSON object")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError("`operationName` must be a string")
    return GraphQLRequest(
        query=query, variables=variables, operation_name=operation_name, extensions=extensions
    )


def format_error(error: Exception, request_id: str) -> dict[str, Any]:
    """Any error as a client-safe GraphQL error: message, ``extensions.code`` and
    ``extensions.requestId`` (plus ``service`` and ``retryable`` for upstream errors, and the
    location and path when it has them); nothing else leaks.

    The one translation of errors into GraphQL: request errors answered before execution
    (:class:`RequestError`, :class:`~govgraph.auth.AuthError`), parse and validation errors,
    errors raised in resolvers and partial-result errors a resolver reports beside its data.
    """
    if isinstance(error, GraphQLError):
        err, original = error, error.original_error
    else:
        err, original = GraphQLError(str(error), original_error=error), error
    extensions: dict[str, Any]
    if isinstance(original, RequestError):
        message = original.message
        extensions = {"code": original.code}
    elif isinstance(original, AuthError):
        message = str(original)
        extensions = {"code": original.code}
    elif original is None or isinstance(original, GraphQLError):
        message = err.message
        extensions = dict(err.extensions or {})
        extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED" if not err.path else "ERROR")
    elif isinstance(original, LegacyError):
        message = original.message
        extensions = {
            "code": original.code,
            "service": original.service,
            "retryable": original.retryable,
        }
        department = department_of((original.service or "").partition("/")[0])
        if department is not None:
            extensions["department"] = department.value
        if original.detail:
            log.warning(
                "upstream error",
                extra={
                    "request_id": request_id,
                    "code": original.code,
                    "service": original.service,
                    "detail": redact(original.detail),
                },
            )
    elif isinstance(original, ApiError):
        message = original.message
        extensions = {"code": original.code}
    else:
        frames = traceback.extract_tb(original.__traceback__)
        where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"
        log.error(
            "unexpected error in a resolver: %s at %s",
            type(original).__name__,
            where,
            extra={"request_id": request_id, "path": err.path},
        )
        message = "an internal error occurred"
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
    extensions["requestId"] = request_id
    out: dict[str, Any] = {"message": message, "extensions": extensions}
    if err.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if err.path:
        out["path"] = list(err.path)
    return out


def json_response(
    payload: Any, status: int = 200, media_type: str = "application/json", **headers: str
) -> Response:
    """``payload`` as JSON (orjson) with ``status`` and ``headers``."""
    return Response(
        orjson.dumps(payload), status_code=status, media_type=media_type, headers=headers
    )


def json_reply(
    payload: Any,
    status: int,
    media_type: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> Reply:
    """``payload`` as JSON (orjson) with ``status``, the request's id, ``headers`` and the
    security headers every answer carries."""
    body = orjson.dumps(payload)
    raw = [
        (b"content-length", str(len(body)).encode()),
        (b"content-type", media_type.encode("latin-1")),
        (b"x-request-id", request_id.encode("latin-1")),
    ]
    if headers:
        raw.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
    raw.extend(DEFAULT_HEADERS)
    return Reply(status, raw, body)


def response_media(request: HttpRequest) -> str:
    """The media type to answer with: ``application/graphql-response+json`` if accepted."""
    if GRAPHQL_RESPONSE_JSON in request.headers.get("accept", ""):
        return GRAPHQL_RESPONSE_JSON
    return "application/json"


def request_id_of(request: HttpRequest) -> str:
    """The client's ``x-request-id`` when it is a safe token, else a new random id."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def error_reply(error: RequestError | AuthError, request_id: str, media: str) -> Reply:
    """The answer to a request refused before execution: its status, headers and one error."""
    body = {"errors": [format_error(error, request_id)]}
    if isinstance(error, AuthError):
        headers = {"www-authenticate": 'Bearer error="invalid_token"'}
        return json_reply(body, 401, media, request_id, headers)
    return json_reply(body, error.status, media, request_id, error.headers)
