"""The request's cross-cutting concerns as strawberry schema extensions (public API only).

In the order they act on an operation: persisted operations (a hash becomes its text, an
operation not allowed is refused), the operation cache (parse and validate once per text, with
the token, depth, alias, cost and text rules), the authorization plan (fields the caller may not
read answer with their error, no resolver called), the variables' text guard, and the access
ledger, written after execution and before the response leaves (if it cannot be written, the
request fails and no data is sent). Each extension is made fresh for every operation.

An extension refuses a request by raising :class:`~govgraph.graphql_http.RequestError`;
strawberry hands it back as the one error of the result, and the endpoint answers it with its
own status (see :func:`request_error_of`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from govgraph.auth import AuthError
from govgraph.graphql_http import GraphQLRequest, RequestError
from govgraph.security import Security
from govgraph.textguard import TextLiteralsRule, variable_errors
from govgraph.tracing import annotate_request

__all__ = ["DocumentCache", "request_error_of", "request_extensions"]

MAX_TOKENS = 5000


class DocumentCache:
    """Parsed documents that validated, keyed by the operation text (least recently used out)."""

    def __init__(self, size: int, *, max_tokens: int = MAX_TOKENS) -> None:
        self.size = size
        self.max_tokens = max_tokens
        self._docs: OrderedDict[str, DocumentNode] = OrderedDict()

    def get(self, query: str) -> DocumentNode | None:
        """The validated document of ``query``, if it is cached."""
        doc = self._docs.get(query)
        if doc is not None:
            self._docs.move_to_end(query)
        return doc

    def parse(self, query: str) -> DocumentNode:
        """Parse ``query``; a syntax error (or too many tokens) is ``GRAPHQL_PARSE_FAILED``."""
        try:
            return parse(query, max_tokens=self.max_tokens)
        except GraphQLError as err:
            raise GraphQLError(
                err.message,
                source=err.source,
                positions=err.positions,
                extensions={"code": "GRAPHQL_PARSE_FAILED"},
            ) from None

    def put(self, query: str, doc: DocumentNode) -> None:
        """Remember that ``doc`` (the text ``query``) validated."""
        if not self.size:
            return
        self._docs[query] = doc
        if len(self._docs) > self.size:
            self._docs.popitem(last=False)


class PersistedOperationsExtension(SchemaExtension):
    """A persisted operation's hash becomes its text; a new one is stored once it validates."""

    def __init__(self, *, security: Security) -> None:
        self.persisted = security.persisted

    def on_operation(self) -> Iterator[None]:
        ec = self.execution_context
        request = GraphQLRequest(
            query=ec.query or "",
            variables=ec.variables,
            operation_name=ec.operation_name,
            extensions=ec.operation_extensions,
        )
        ec.query = self.persisted.resolve(request).query
        self.request = GraphQLRequest(
            query=ec.query,
            variables=None,
            operation_name=None,
            extensions=ec.operation_extensions,
        )
        yield

    def on_validate(self) -> Iterator[None]:
        yield
        if not self.execution_context.pre_execution_errors:
            self.persisted.register(self.request)


class OperationCacheExtension(SchemaExtension):
    """Parse and validate an operation text once; later requests reuse the document."""

    def __init__(self, *, cache: DocumentCache, rules: Sequence[type[ASTValidationRule]]) -> None:
        self.cache = cache
        self.rules = tuple(rules)
        self.known = False

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        query = ec.query or ""
        doc = self.cache.get(query)
        self.known = doc is not None
        ec.graphql_document = doc if doc is not None else self.cache.parse(query)
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        if self.known:
            ec.pre_execution_errors = []
        else:
            ec.validation_rules = (*ec.validation_rules, TextLiteralsRule, *self.rules)
        yield
        if not self.known and not ec.pre_execution_errors and ec.graphql_document is not None:
            self.cache.put(ec.query or "", ec.graphql_document)


class AuthorizationExtension(SchemaExtension):
    """Plans, before anything runs, which fields the caller may not read, and answers each with
    its error instead of calling its resolver (a resolve hook only when something is refused)."""

    def __init__(self, *, security: Security) -> None:
        self.security = security
        self.guard: Any = None

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        assert ec.graphql_document is not None
        context = ec.context
        annotate_request(
            ec.operation_name or "anonymous", ec.operation_type.value, context.request_id
        )
        refused = variable_errors(ec.variables)
        if refused:
            ec.result = GraphQLExecutionResult(data=None, errors=refused)
        else:
            planned = self.security.plan(ec.query or "", ec.graphql_document, context.principal)
            self.guard = planned[0] if planned else None
        yield

    @property
    def resolves_fields(self) -> bool:
        """Whether this operation needs the resolve hook (something refused, or ``node``):
        the schema's executor leaves the hook out when it does not."""
        return self.guard is not None

    def resolve(
        self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any
    ) -> Any:
        if self.guard is None:
            return _next(root, info, *args, **kwargs)
        return self.guard.resolve(_next, root, info, *args, **kwargs)


class AccessLedgerExtension(SchemaExtension):
    """Appends the request's reads of citizens' data to the access ledger after execution."""

    def __init__(self, *, security: Security) -> None:
        self.security = security

    async def on_execute(self) -> AsyncIterator[None]:
        yield
        ec = self.execution_context
        context = ec.context
        assert ec.graphql_document is not None
        await self.security.record(context, ec.query or "", ec.graphql_document, context.principal)


def request_extensions(
    security: Security, cache: DocumentCache
) -> list[Callable[[], SchemaExtension]]:
    """The extension factories of a gateway schema, in the order they act."""
    return [
        lambda: PersistedOperationsExtension(security=security),
        lambda: OperationCacheExtension(cache=cache, rules=security.rules),
        lambda: AuthorizationExtension(security=security),
        lambda: AccessLedgerExtension(security=security),
    ]


def request_error_of(errors: Sequence[GraphQLError]) -> RequestError | AuthError | None:
    """The request error an extension refused the operation with, if it did."""
    for error in errors:
        if isinstance(error.original_error, RequestError | AuthError):
            return error.original_error
    return None
