"""Deliveries that need a person: refused ones (``FAILED``) and ones retrying for too long.

A delivery a department refused stays ``FAILED`` with the department's reason; a caseworker
lists them, then retries one (back to ``PENDING``, delivered again with the same delivery id,
so a department that did apply it answers ``DUPLICATE``) or cancels it (``CANCELLED``: that
department is not told). Deliveries still retrying after a configured number of hours are
counted for an alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from govgraph.outbox.store import Outbox, OutboxError, _delivery
from govgraph.outbox.tables import address_changes, deliveries
from govgraph.outbox.types import CANCELLED, FAILED, FINISHED, PENDING, Delivery
from govgraph.storedb import as_utc

__all__ = ["FailedDelivery", "cancel_delivery", "failed_deliveries", "overdue", "retry_delivery"]


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """A delivery with the change it belongs to (whose it is, when it was reported)."""

    delivery: Delivery
    citizen_id: str
    reported_at: datetime


def _joined() -> Any:
    return select(
        deliveries, address_changes.c.citizen_id, address_changes.c.created_at.label("reported")
    ).join(address_changes, address_changes.c.id == deliveries.c.change_id)


def _failed(row: Any) -> FailedDelivery:
    reported = as_utc(row.reported) or datetime.now(UTC)
    return FailedDelivery(_delivery(row), row.citizen_id, reported)


async def failed_deliveries(
    outbox: Outbox, *, limit: int, after: str | None
) -> list[FailedDelivery]:
    """``FAILED`` deliveries in id order, ``limit`` of them after the delivery id ``after``."""
    query = _joined().where(deliveries.c.status == FAILED)
    if after is not None:
        query = query.where(deliveries.c.id > after)
    query = query.order_by(deliveries.c.id).limit(limit)
    try:
        async with outbox.engine.connect() as conn:
            return [_failed(row) for row in (await conn.execute(query)).all()]
    except (SQLAlchemyError, OSError) as exc:
        raise OutboxError(f"outbox: read failed ({type(exc).__name__})") from exc


async def _decide(
    outbox: Outbox, delivery_id: str, values: dict[str, Any]
) -> FailedDelivery | None:
    """Apply ``values`` to the delivery if it is ``FAILED``; the delivery after, or ``None``."""
    try:
        async with outbox.engine.begin() as conn:
            done = await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.status == FAILED)
                .values(**values)
            )
            if done.rowcount != 1:
                return None
            row = (await conn.execute(_joined().where(deliveries.c.id == delivery_id))).one()
    except (SQLAlchemyError, OSError) as exc:
        raise OutboxError(f"outbox: write failed ({type(exc).__name__})") from exc
    return _failed(row)


async def retry_delivery(outbox: Outbox, delivery_id: str) -> FailedDelivery | None:
    """Send a ``FAILED`` delivery again (now); ``None`` if it is not failed."""
    now = datetime.now(UTC)
    return await _decide(
        outbox, delivery_id, {"status": PENDING, "next_attempt_at": now, "claimed_until": None}
    )


async def cancel_delivery(outbox: Outbox, delivery_id: str) -> FailedDelivery | None:
    """Give up a ``FAILED`` delivery (the department is not told); ``None`` if not failed."""
    return await _decide(outbox, delivery_id, {"status": CANCELLED, "claimed_until": None})


async def overdue(outbox: Outbox, older_than: timedelta) -> int:
    """Deliveries still to be delivered whose change was reported more than ``older_than``
    ago (retrying for that long: worth an alert)."""
    since = datetime.now(UTC) - older_than
    query = (
        select(func.count())
        .select_from(
            deliveries.join(address_changes, address_changes.c.id == deliveries.c.change_id)
        )
        .where(deliveries.c.status.not_in(FINISHED), address_changes.c.created_at < since)
    )
    try:
        async with outbox.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())
    except (SQLAlchemyError, OSError) as exc:
        raise OutboxError(f"outbox: read failed ({type(exc).__name__})") from exc
