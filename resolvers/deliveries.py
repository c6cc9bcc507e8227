"""Caseworkers and refused deliveries: list them, retry or cancel one (purpose-bound, ledgered).

Only caseworkers with an allowed purpose get here (the field policy refuses everyone else
first; each function checks again). Every citizen whose delivery is listed, retried or
cancelled is noted for the access ledger under the ``outbox`` source.
"""

from __future__ import annotations

from govgraph.outbox import FailedDelivery, cancel_delivery, failed_deliveries, retry_delivery
from resolvers.authz import require_caseworker
from resolvers.context import RequestContext
from resolvers.errors import InvalidInput, NotFound
from resolvers.idempotency import outbox_of

__all__ = ["LEDGER_SOURCE", "MAX_PAGE", "cancel", "listed", "retry"]

LEDGER_SOURCE = "outbox"
"""The source the access ledger records for caseworkers' reads of citizens' deliveries."""
MAX_PAGE = 100


async def listed(ctx: RequestContext, first: int, after: str | None) -> list[FailedDelivery]:
    """Up to ``first`` failed deliveries after the delivery id ``after``."""
    require_caseworker(ctx.principal)
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"`first` must be between 1 and {MAX_PAGE}, got {first}")
    found = await failed_deliveries(outbox_of(ctx), limit=first, after=after)
    for item in found:
        ctx.note_access(item.citizen_id, LEDGER_SOURCE)
    return found


async def _decided(ctx: RequestContext, found: FailedDelivery | None) -> FailedDelivery:
    if found is None:
        raise NotFound("no failed delivery has this id (it may have been decided already)")
    ctx.note_access(found.citizen_id, LEDGER_SOURCE)
    worker = getattr(ctx, "worker", None)
    if worker is not None:
        worker.wake()
    return found


async def retry(ctx: RequestContext, delivery_id: str) -> FailedDelivery:
    """Send a failed delivery again now (same delivery id)."""
    require_caseworker(ctx.principal)
    return await _decided(ctx, await retry_delivery(outbox_of(ctx), delivery_id))


async def cancel(ctx: RequestContext, delivery_id: str) -> FailedDelivery:
    """Give up a failed delivery: the department is not told."""
    require_caseworker(ctx.principal)
    return await _decided(ctx, await cancel_delivery(outbox_of(ctx), delivery_id))
