"""Shared parts of the mutations: who acts, typed input errors, and running once per key.

A mutation runs at most once per (citizen, operation, idempotency key): the first request
inserts the key's row in the outbox store (a unique constraint decides between concurrent
requests) and runs; the others wait for its result and return it. A request refused for its
input changes nothing and keeps nothing, so the same key may be used again once corrected.
When the store cannot be reached the mutation is refused with ``STORE_UNAVAILABLE``
(``retryable``): retried with the same key it runs at most once in effect.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import GraphQLError

from govgraph.outbox import IdempotencyConflict, Outbox, OutboxError
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, Unauthenticated

__all__ = [
    "InputRefused",
    "acting_citizen",
    "check_key",
    "outbox_of",
    "raise_refusals",
    "run_once",
    "store_unavailable",
]

_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


class InputRefused(Exception):
    """The request was refused for its input; nothing was changed."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field
        self.message = message

    def as_graphql(self, path: list[str | int] | None = None) -> GraphQLError:
        """This refusal as a GraphQL error with ``extensions.code`` and ``extensions.field``."""
        return GraphQLError(
            self.message, path=path, extensions={"code": self.code, "field": self.field}
        )


def acting_citizen(ctx: RequestContext) -> str:
    """The signed-in citizen's id: only citizens act, and only on their own records."""
    principal = ctx.principal
    if principal is None:
        raise Unauthenticated("sign in to do this")
    if principal.role != "citizen" or not principal.citizen_id:
        raise Forbidden("only a signed-in citizen may do this, for themselves")
    return str(principal.citizen_id)


def check_key(key: str) -> InputRefused | None:
    """Why ``key`` is not a usable idempotency key, or ``None``."""
    if not _KEY.fullmatch(key):
        return InputRefused(
            "INVALID_IDEMPOTENCY_KEY",
            "idempotencyKey",
            "idempotencyKey: expected 8 to 64 letters, digits or `._:-`",
        )
    return None


def raise_refusals(
    ctx: RequestContext, path: list[str | int], refusals: list[InputRefused]
) -> None:
    """Report every refusal (one error per invalid field); raise the last one."""
    if not refusals:
        return
    for refusal in refusals[:-1]:
        ctx.add_error(refusal.as_graphql(path))
    raise refusals[-1].as_graphql()


def outbox_of(ctx: RequestContext) -> Outbox:
    """The gateway's outbox (on the request context)."""
    outbox = ctx.outbox
    if outbox is None:
        raise Forbidden("writes are not enabled on this gateway")
    return outbox


def request_hash(**fields: Any) -> str:
    """A digest of a request's arguments (a key reused for other arguments is refused)."""
    canonical = json.dumps(fields, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def store_unavailable() -> GraphQLError:
    """The typed, retryable error of a write the gateway's store could not take."""
    return GraphQLError(
        "the gateway's store cannot be reached; retry with the same idempotencyKey",
        extensions={"code": "STORE_UNAVAILABLE", "retryable": True},
    )


async def run_once(
    ctx: RequestContext,
    citizen_id: str,
    operation: str,
    key: str,
    arguments: dict[str, Any],
    run: Callable[[str], Awaitable[dict[str, Any]]],
    *,
    finish: bool = True,
) -> dict[str, Any]:
    """The result of ``run(mutation_id)`` for the first request with ``key``, for every request.

    With ``finish`` false, ``run`` stores the result itself (in the same transaction as the
    rest of what it records).
    """
    try:
        return await _run_once(ctx, citizen_id, operation, key, arguments, run, finish=finish)
    except OutboxError:
        raise store_unavailable() from None


async def _run_once(
    ctx: RequestContext,
    citizen_id: str,
    operation: str,
    key: str,
    arguments: dict[str, Any],
    run: Callable[[str], Awaitable[dict[str, Any]]],
    *,
    finish: bool,
) -> dict[str, Any]:
    outbox = outbox_of(ctx)
    try:
        claim = await outbox.begin_mutation(citizen_id, operation, key, request_hash(**arguments))
    except IdempotencyConflict:
        raise InputRefused(
            "IDEMPOTENCY_KEY_REUSED",
            "idempotencyKey",
            "idempotencyKey: this key was already used for a different request",
        ).as_graphql() from None
    if not claim.fresh:
        assert claim.result is not None
        return claim.result
    try:
        result = await run(claim.mutation_id)
    except InputRefused as refused:
        await outbox.abandon_mutation(claim.mutation_id)
        raise refused.as_graphql() from None
    except BaseException:
        await outbox.abandon_mutation(claim.mutation_id)
        raise
    if finish:
        await outbox.finish_mutation(claim.mutation_id, result)
    return result
