"""``Outbox``: idempotent mutations and the durable outbox of deliveries, in the gateway store.

Everything a write needs to survive a crash is written here before any department is told:
the mutation's idempotency row, the change, and one delivery row per department. The delivery
worker (:mod:`govgraph.outbox.worker`) then claims due deliveries with a lease, so a delivery
claimed by a gateway that died is claimed again once its lease has run out.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from govgraph.outbox.tables import address_changes, deliveries, metadata, mutations
from govgraph.outbox.types import (
    DELIVERED,
    FAILED,
    FINISHED,
    PENDING,
    RETRYING,
    AddressChange,
    Claim,
    Delivery,
    NewDelivery,
)
from govgraph.storedb import as_utc, create_tables, on_sqlite_connect

__all__ = ["IdempotencyConflict", "Outbox", "OutboxError"]


class OutboxError(RuntimeError):
    """The outbox could not be read or written (the message names the operation)."""


class IdempotencyConflict(Exception):
    """The idempotency key was used before for a different request."""


def _now() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh opaque id (32 hex digits)."""
    return uuid.uuid4().hex


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        change_id=row.change_id,
        department=row.department,
        source=row.source,
        command=row.command,
        payload=json.loads(row.payload),
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        outcome=row.outcome,
        next_attempt_at=as_utc(row.next_attempt_at),
        delivered_at=as_utc(row.delivered_at),
    )


class Outbox:
    """The outbox tables over a SQLAlchemy async URL (the gateway store's)."""

    def __init__(self, url: str, *, wait_s: float = 30.0, lease_s: float = 30.0) -> None:
        self.url = url
        self.wait_s = wait_s
        """How long a duplicate request waits for the first one's result."""
        self.lease_s = lease_s
        """How long a running mutation or a claimed delivery is left to its owner."""
        self._engine: AsyncEngine | None = None

    async def open(self) -> None:
        """Connect and create the tables if they do not exist."""
        engine = create_async_engine(self.url)
        on_sqlite_connect(engine, "busy_timeout=10000")
        try:
            async with engine.begin() as conn:
                await create_tables(conn, metadata)
        except (SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            raise OutboxError(f"outbox: could not open ({type(exc).__name__})") from exc
        self._engine = engine

    async def aclose(self) -> None:
        """Close every connection. Safe to call more than once."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise OutboxError("outbox: not open (call open() first)")
        return self._engine

    # -- idempotent mutations -----------------------------------------------------------------

    async def begin_mutation(
        self, citizen_id: str, operation: str, key: str, request_hash: str
    ) -> Claim:
        """Start ``operation`` for ``key``, or get the first request's result.

        The first request inserts the row and runs (``fresh``). Concurrent identical requests
        wait until it has finished and get its result; a request whose first run died is run
        again after the lease (with the same mutation id, so departments see the same
        delivery id). A key reused for a different request raises ``IdempotencyConflict``.
        """
        deadline = time.monotonic() + self.wait_s
        row_id = new_id()
        while True:
            now = _now()
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        insert(mutations).values(
                            id=row_id,
                            citizen_id=citizen_id,
                            operation=operation,
                            idempotency_key=key,
                            request_hash=request_hash,
                            status=PENDING,
                            claimed_at=now,
                            created_at=now,
                        )
                    )
                return Claim(mutation_id=row_id, fresh=True)
            except IntegrityError:
                pass
            except (SQLAlchemyError, OSError) as exc:
                raise OutboxError(f"outbox: begin failed ({type(exc).__name__})") from exc
            claim = await self._existing(citizen_id, operation, key, request_hash)
            if claim is not None:
                return claim
            if time.monotonic() > deadline:
                raise OutboxError("outbox: the first request with this key is still running")
            await asyncio.sleep(0.02)

    async def _existing(
        self, citizen_id: str, operation: str, key: str, request_hash: str
    ) -> Claim | None:
        stmt = select(mutations).where(
            mutations.c.citizen_id == citizen_id,
            mutations.c.operation == operation,
            mutations.c.idempotency_key == key,
        )
        try:
            async with self.engine.begin() as conn:
                row = (await conn.execute(stmt)).first()
                if row is None:
                    return None
                if row.request_hash != request_hash:
                    raise IdempotencyConflict(key)
                if row.status == DELIVERED:
                    return Claim(row.id, fresh=False, result=json.loads(row.result))
                claimed = as_utc(row.claimed_at)
                assert claimed is not None
                if claimed > _now() - timedelta(seconds=self.lease_s):
                    return None
                taken = await conn.execute(
                    update(mutations)
                    .where(mutations.c.id == row.id, mutations.c.claimed_at == row.claimed_at)
                    .values(claimed_at=_now())
                )
                return Claim(row.id, fresh=True) if taken.rowcount == 1 else None
        except (SQLAlchemyError, OSError) as exc:
            raise OutboxError(f"outbox: read failed ({type(exc).__name__})") from exc

    async def finish_mutation(self, mutation_id: str, result: dict[str, Any]) -> None:
        """Store the result every later request with the same key gets."""
        await self._write(
            update(mutations)
            .where(mutations.c.id == mutation_id)
            .values(status=DELIVERED, result=json.dumps(result), finished_at=_now())
        )

    async def abandon_mutation(self, mutation_id: str) -> None:
        """Forget a mutation that changed nothing (so the same key may be tried again)."""
        await self._write(
            delete(mutations).where(mutations.c.id == mutation_id, mutations.c.status == PENDING)
        )

    async def _write(self, *statements: Any) -> None:
        try:
            async with self.engine.begin() as conn:
                for stmt in statements:
                    await conn.execute(stmt)
        except (SQLAlchemyError, OSError) as exc:
            raise OutboxError(f"outbox: write failed ({type(exc).__name__})") from exc

    # -- address changes ----------------------------------------------------------------------

    async def record_address_change(
        self,
        mutation_id: str,
        citizen_id: str,
        address: dict[str, Any],
        planned: Sequence[NewDelivery],
        result: dict[str, Any],
    ) -> None:
        """Record the change, its deliveries and the mutation's result in one transaction."""
        now = _now()
        change_id = result["id"]
        rows = [
            {
                "id": d.id,
                "change_id": change_id,
                "department": d.department,
                "source": d.source,
                "command": d.command,
                "payload": json.dumps(d.payload, default=str),
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for d in planned
        ]
        statements: list[Any] = [
            insert(address_changes).values(
                id=change_id,
                citizen_id=citizen_id,
                mutation_id=mutation_id,
                address=json.dumps(address),
                created_at=now,
            )
        ]
        if rows:
            statements.append(insert(deliveries).values(rows))
        statements.append(
            update(mutations)
            .where(mutations.c.id == mutation_id)
            .values(status=DELIVERED, result=json.dumps(result), finished_at=now)
        )
        await self._write(*statements)

    async def address_change(self, change_id: str) -> AddressChange | None:
        """A recorded change with its deliveries (department order), or ``None``."""
        try:
            async with self.engine.connect() as conn:
                row = (
                    await conn.execute(
                        select(address_changes).where(address_changes.c.id == change_id)
                    )
                ).first()
                if row is None:
                    return None
                found = (
                    await conn.execute(
                        select(deliveries)
                        .where(deliveries.c.change_id == change_id)
                        .order_by(deliveries.c.department, deliveries.c.id)
                    )
                ).all()
        except (SQLAlchemyError, OSError) as exc:
            raise OutboxError(f"outbox: read failed ({type(exc).__name__})") from exc
        return AddressChange(
            id=row.id,
            citizen_id=row.citizen_id,
            address=json.loads(row.address),
            created_at=as_utc(row.created_at) or _now(),
            deliveries=[_delivery(d) for d in found],
        )

    async def latest_addresses(self, citizen_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each citizen's most recently reported address (citizens with none are absent)."""
        if not citizen_ids:
            return {}
        latest = (
            select(
                address_changes.c.citizen_id,
                func.max(address_changes.c.created_at).label("at"),
            )
            .where(address_changes.c.citizen_id.in_(list(set(citizen_ids))))
            .group_by(address_changes.c.citizen_id)
            .subquery()
        )
        stmt = select(address_changes.c.citizen_id, address_changes.c.address).join(
            latest,
            (latest.c.citizen_id == address_changes.c.citizen_id)
            & (latest.c.at == address_changes.c.created_at),
        )
        try:
            async with self.engine.connect() as conn:
                rows = (await conn.execute(stmt)).all()
        except (SQLAlchemyError, OSError) as exc:
            raise OutboxError(f"outbox: read failed ({type(exc).__name__})") from exc
        return {row.citizen_id: json.loads(row.address) for row in rows}

    # -- the delivery worker's side -----------------------------------------------------------

    async def claim_due(self, limit: int) -> list[Delivery]:
        """Up to ``limit`` due, undelivered deliveries, each leased to the caller."""
        now = _now()
        due = (
            select(deliveries)
            .where(
                deliveries.c.status.not_in(FINISHED),
                deliveries.c.next_attempt_at <= now,
                or_(deliveries.c.claimed_until.is_(None), deliveries.c.claimed_until < now),
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
        )
        claimed: list[Delivery] = []
        until = now + timedelta(seconds=self.lease_s)
        try:
            async with self.engine.begin() as conn:
                for row in (await conn.execute(due)).all():
                    taken = await conn.execute(
                        update(deliveries)
                        .where(deliveries.c.id == row.id, deliveries.c.status.not_in(FINISHED))
                        .where(
                            or_(
                                deliveries.c.claimed_until.is_(None),
                                deliveries.c.claimed_until < now,
                            )
                        )
                        .values(claimed_until=until)
                    )
                    if taken.rowcount == 1:
                        claimed.append(_delivery(row))
        except (SQLAlchemyError, OSError) as exc:
            raise OutboxError(f"outbox: claim failed ({type(exc).__name__})") from exc
        return claimed

    async def mark_delivered(self, delivery_id: str, outcome: str) -> None:
        """Record that the department has the change (``outcome`` as it answered)."""
        await self._write(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(
                status=DELIVERED,
                outcome=outcome[:20],
                attempts=deliveries.c.attempts + 1,
                delivered_at=_now(),
                claimed_until=None,
                last_error=None,
            )
        )

    async def mark_failed(self, delivery_id: str, error: str, retry_in_s: float) -> None:
        """Record a failed attempt and when to try again."""
        await self._write(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(
                status=RETRYING,
                attempts=deliveries.c.attempts + 1,
                last_error=error[:400],
                next_attempt_at=_now() + timedelta(seconds=retry_in_s),
                claimed_until=None,
            )
        )

    async def mark_refused(self, delivery_id: str, error: str) -> None:
        """Record that the department refused the change for good: ``FAILED``, not retried."""
        await self._write(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(
                status=FAILED,
                attempts=deliveries.c.attempts + 1,
                last_error=error[:400],
                claimed_until=None,
            )
        )

    async def pending_count(self) -> int:
        """Deliveries still to be delivered (not delivered, failed or cancelled)."""
        stmt = (
            select(func.count()).select_from(deliveries).where(deliveries.c.status.not_in(FINISHED))
        )
        async with self.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())
