"""``/graphql`` as one plain ASGI callable: admission, the request, the context, the answer.

:class:`GraphQLEndpoint` reads the few things it needs of the ASGI scope
(:class:`~govgraph.graphql_http.HttpRequest`), admits the caller
(:class:`~govgraph.admission.Admission`), reads the body from ``receive`` under the size
limit, runs the operation through strawberry's public ``Schema.execute`` (everything about the
operation itself, such as persisted operations, limits, authorization and the access ledger,
is a schema extension: :mod:`govgraph.extensions`) and sends the answer as one response start
and one body, with the security headers every answer carries. :class:`GraphQLFirst` sends
``GET`` and ``POST /graphql`` to it ahead of the app's other middleware and router, whose work
(security headers, routing) it does itself; every other request, ``HEAD /graphql`` and an app
under a root path take the app's ordinary way, where the same endpoint is the route.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from govgraph.admission import Admission, is_explorer_request
from govgraph.auth import AuthError
from govgraph.explorer import CSP as GRAPHIQL_CSP
from govgraph.explorer import explorer_html
from govgraph.extensions import request_error_of
from govgraph.graphql_http import (
    GRAPHQL_RESPONSE_JSON,
    GraphQLRequest,
    HttpRequest,
    Reply,
    RequestError,
    error_reply,
    format_error,
    json_reply,
    parse_request,
    request_id_of,
    response_media,
    send_reply,
)
from govgraph.headers import DEFAULT_HEADERS, SecurityHeaders
from govgraph.resilience.stale import stale_extension
from govgraph.tracing import Tracing
from resolvers.context import RequestContext, build_context

if TYPE_CHECKING:
    from govgraph.app import Gateway

__all__ = ["GraphQLEndpoint", "GraphQLFirst"]

log = logging.getLogger("govgraph.app")

_GET_OPERATIONS = frozenset({OperationType.QUERY})
_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
_DISCONNECTED = Reply(499, [(b"content-length", b"0"), *DEFAULT_HEADERS])


class _ClientDisconnect(Exception):
    """The client hung up before its request body was read."""


class GraphQLEndpoint:
    """``/graphql``: admission, then the operation (see the module's description)."""

    def __init__(
        self,
        gateway: Gateway,
        schema: strawberry.Schema,
        admission: Admission,
        tracing: Tracing,
        *,
        graphiql: bool,
    ) -> None:
        self.gw = gateway
        self.schema = schema
        self.admission = admission
        self.graphiql = graphiql
        self._ide = explorer_html() if graphiql else ""
        self._answer = tracing.traced(self.answer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = HttpRequest.of(scope)
        if is_explorer_request(request):
            if self.graphiql:
                page = HTMLResponse(
                    self._ide,
                    headers={
                        "content-security-policy": GRAPHIQL_CSP,
                        "x-content-type-options": "nosniff",
                    },
                )
                await SecurityHeaders(page)(scope, receive, send)
                return
            disabled = RequestError("GraphiQL is disabled", status=404, code="NOT_FOUND")
            request_id = request_id_of(request)
            await send_reply(send, error_reply(disabled, request_id, "application/json"))
            return
        await send_reply(send, await self._answer(request, receive))

    async def answer(self, request: HttpRequest, receive: Receive) -> Reply:
        """The whole answer to one GraphQL request (any refusal is a typed error reply)."""
        request_id = request_id_of(request)
        media = response_media(request)
        try:
            principal = await self.admission.admit(request)
        except (AuthError, RequestError) as exc:
            return error_reply(exc, request_id, media)
        started = time.perf_counter()
        try:
            gql = await self._read_request(request, receive)
            settings = self.gw.settings.gateway
            ctx = build_context(
                sources=self.gw.sources,
                index=self.gw.index,
                principal=principal,
                request_id=request_id,
                deadline=time.monotonic() + settings.request_timeout_s,
                batch_loads=settings.batch_loads,
                statistics=self.gw.statistics,
                outbox=self.gw.outbox,
                worker=self.gw.worker,
                ledger=self.gw.security.ledger,
            )
            result = await self._execute(request.method, gql, ctx)
        except _ClientDisconnect:
            log.debug("the client disconnected before its request was read")
            self.gw.metrics.client_disconnects.inc()
            return _DISCONNECTED
        except (AuthError, RequestError) as exc:
            return error_reply(exc, request_id, media)
        return self._respond(result, ctx, gql, media, started)

    async def _read_request(self, request: HttpRequest, receive: Receive) -> GraphQLRequest:
        body = None
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json":
                raise RequestError(
                    "POST requests must have Content-Type: application/json", status=415
                )
            body = await self._read_body(request, receive)
        return parse_request(request.method, body, request.query_params())

    async def _read_body(self, request: HttpRequest, receive: Receive) -> bytes:
        limit = self.gw.settings.gateway.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise RequestError("the request body is too large", status=413)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientDisconnect
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise RequestError("the request body is too large", status=413)
            if not message.get("more_body", False):
                if not chunks:
                    return chunk
                chunks.append(chunk)
                return b"".join(chunks)
            chunks.append(chunk)

    async def _execute(self, method: str, gql: GraphQLRequest, ctx: RequestContext) -> Any:
        """Run the operation; a request error an extension raised is raised again here."""
        allowed = _GET_OPERATIONS if method == "GET" else _POST_OPERATIONS
        try:
            result = await self.schema.execute(
                gql.query,
                variable_values=gql.variables,
                context_value=ctx,
                operation_name=gql.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=gql.extensions,
            )
        except InvalidOperationTypeError as exc:
            raise RequestError("only queries may be sent with GET", status=405) from exc
        except CannotGetOperationTypeError as exc:
            raise RequestError("the operation to run is unknown: set `operationName`") from exc
        refused = request_error_of(result.errors or ())
        if refused is not None:
            raise refused
        return result

    def _respond(
        self,
        result: ExecutionResult,
        ctx: RequestContext,
        gql: GraphQLRequest,
        media: str,
        started: float,
    ) -> Reply:
        errors: list[GraphQLError] = list(result.errors or []) + ctx.extra_errors
        if isinstance(result, PreExecutionError):
            rejected = [format_error(e, ctx.request_id) for e in errors]
            self.gw.metrics.requests.labels(operation="invalid", outcome="rejected").inc()
            status = 400 if media == GRAPHQL_RESPONSE_JSON else 200
            return json_reply({"errors": rejected}, status, media, ctx.request_id)
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = [format_error(e, ctx.request_id) for e in errors]
        payload["data"] = result.data
        if ctx.scope.stale:
            payload["extensions"] = {"stale": stale_extension(ctx.scope.stale)}
        request_error = result.data is None and all(not e.path for e in errors)
        status = 400 if request_error and media == GRAPHQL_RESPONSE_JSON else 200
        label = gql.operation_name or "anonymous"
        self.gw.metrics.requests.labels(operation=label, outcome="error" if errors else "ok").inc()
        self.gw.metrics.request_latency.labels(operation=label).observe(
            time.perf_counter() - started
        )
        return json_reply(payload, status, media, ctx.request_id)


class GraphQLFirst:
    """ASGI middleware sending ``GET`` and ``POST`` to ``path`` straight to ``endpoint``,
    everything else on to ``app``."""

    def __init__(self, app: ASGIApp, *, endpoint: ASGIApp, path: str = "/graphql") -> None:
        self.app = app
        self.endpoint = endpoint
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == self.path
            and scope["method"] in ("GET", "POST")
            and not scope.get("root_path")
        ):
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)
