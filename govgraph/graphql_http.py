"""GraphQL over HTTP: request parsing and the one translation of errors into GraphQL errors.

Follows the GraphQL-over-HTTP specification: ``application/graphql-response+json`` when the
client accepts it (400 for a request that cannot execute), ``application/json`` otherwise
(200 for any well-formed request).
"""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from govgraph.auth import AuthError
from govgraph.redact import redact
from legacy_connectors.errors import LegacyError
from resolvers.errors import ApiError
from schema.common import department_of

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "GraphQLRequest",
    "RequestError",
    "error_response",
    "format_error",
    "json_response",
    "parse_request",
    "request_id_of",
    "response_media",
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


def response_media(request: Request) -> str:
    """The media type to answer with: ``application/graphql-response+json`` if accepted."""
    if GRAPHQL_RESPONSE_JSON in request.headers.get("accept", ""):
        return GRAPHQL_RESPONSE_JSON
    return "application/json"


def request_id_of(request: Request) -> str:
    """The client's ``x-request-id`` when it is a safe token, else a new random id."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def error_response(error: RequestError | AuthError, request_id: str, media: str) -> Response:
    """The answer to a request refused before execution: its status, headers and one error."""
    body = {"errors": [format_error(error, request_id)]}
    if isinstance(error, AuthError):
        headers = {"www-authenticate": 'Bearer error="invalid_token"'}
        return json_response(body, 401, media, **headers, **{"x-request-id": request_id})
    return json_response(body, error.status, media, **error.headers, **{"x-request-id": request_id})
