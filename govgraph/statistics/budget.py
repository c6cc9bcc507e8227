"""Privacy budgets and published answers, kept in the gateway's store (SQLite or PostgreSQL).

Each analyst has a budget of privacy loss; every fresh release spends from it in one
conditional ``UPDATE`` (so two concurrent requests can never overspend). A published answer is
kept under its request and day: asking the same table again that day returns the same numbers
at no cost, so repetition cannot average the noise away.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from govgraph.storedb import create_tables, on_sqlite_connect

__all__ = ["BudgetSpent", "BudgetStore", "BudgetStoreError"]

metadata = MetaData()

budgets = Table(
    "statistics_budget",
    metadata,
    Column("analyst", String(64), primary_key=True),
    Column("spent", Float, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

answers = Table(
    "statistics_answer",
    metadata,
    Column("request", String(64), primary_key=True),
    Column("answer", Text, nullable=False),
    Column("analyst", String(64), nullable=False),
    Column("published_at", DateTime, nullable=False),
)


class BudgetStoreError(RuntimeError):
    """The budget store could not be read or written (the message names the operation)."""


class BudgetSpent(Exception):
    """The analyst's privacy budget cannot pay for another table."""

    def __init__(self, spent: float, budget: float, cost: float) -> None:
        super().__init__(
            f"your privacy budget is spent: {spent:g} of {budget:g} used and a new table costs "
            f"{cost:g}; ask for a table already published today (free), or ask the operator "
            "for a larger `statistics.budget`"
        )
        self.spent, self.budget, self.cost = spent, budget, cost


class BudgetStore:
    """Budgets per analyst and answers per request, in a SQLAlchemy async store."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None
        self._lock = asyncio.Lock()

    async def _open(self) -> AsyncEngine:
        if self._engine is not None:
            return self._engine
        async with self._lock:
            if self._engine is None:
                memory = ":memory:" in self.url
                engine = create_async_engine(self.url, poolclass=StaticPool if memory else None)
                on_sqlite_connect(engine, "busy_timeout=10000")
                try:
                    async with engine.begin() as conn:
                        await create_tables(conn, metadata)
                except IntegrityError:
                    pass
                except (SQLAlchemyError, OSError) as exc:
                    await engine.dispose()
                    raise BudgetStoreError(
                        f"statistics budgets: could not open ({type(exc).__name__})"
                    ) from exc
                self._engine = engine
        return self._engine

    async def aclose(self) -> None:
        """Close every connection. Safe to call more than once."""
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def spent(self, analyst: str) -> float:
        """Privacy loss ``analyst`` has spent so far."""
        engine = await self._open()
        try:
            async with engine.connect() as conn:
                found = await conn.scalar(
                    select(budgets.c.spent).where(budgets.c.analyst == analyst)
                )
        except SQLAlchemyError as exc:
            raise BudgetStoreError(
                f"statistics budgets: read failed ({type(exc).__name__})"
            ) from exc
        return float(found or 0.0)

    async def spend(self, analyst: str, cost: float, budget: float) -> float:
        """Spend ``cost`` of ``analyst``'s ``budget`` and return what is spent now, or raise
        :class:`BudgetSpent` (nothing spent) when it would go over."""
        engine = await self._open()
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            async with engine.begin() as conn:
                exists = await conn.scalar(
                    select(budgets.c.spent).where(budgets.c.analyst == analyst)
                )
                if exists is None:
                    try:
                        async with conn.begin_nested():
                            await conn.execute(
                                insert(budgets).values(analyst=analyst, spent=0.0, updated_at=now)
                            )
                    except IntegrityError:
                        pass
                done = await conn.execute(
                    update(budgets)
                    .where(budgets.c.analyst == analyst)
                    .where(budgets.c.spent + cost <= budget + 1e-9)
                    .values(spent=budgets.c.spent + cost, updated_at=now)
                )
                after = await conn.scalar(
                    select(budgets.c.spent).where(budgets.c.analyst == analyst)
                )
        except SQLAlchemyError as exc:
            raise BudgetStoreError(
                f"statistics budgets: spend failed ({type(exc).__name__})"
            ) from exc
        if done.rowcount != 1:
            raise BudgetSpent(float(after or 0.0), budget, cost)
        return float(after or 0.0)

    async def answer(self, request: str) -> dict[str, Any] | None:
        """The answer published for ``request`` (a hash of the request and day), if any."""
        engine = await self._open()
        try:
            async with engine.connect() as conn:
                text = await conn.scalar(
                    select(answers.c.answer).where(answers.c.request == request)
                )
        except SQLAlchemyError as exc:
            raise BudgetStoreError(
                f"statistics answers: read failed ({type(exc).__name__})"
            ) from exc
        return None if text is None else dict(orjson.loads(text))

    async def publish(self, request: str, analyst: str, answer: dict[str, Any]) -> dict[str, Any]:
        """Keep ``answer`` for ``request``; if another was kept first, that one is returned."""
        engine = await self._open()
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(answers).values(
                        request=request,
                        answer=orjson.dumps(answer).decode(),
                        analyst=analyst,
                        published_at=now,
                    )
                )
        except IntegrityError:
            kept = await self.answer(request)
            return kept if kept is not None else answer
        except SQLAlchemyError as exc:
            raise BudgetStoreError(
                f"statistics answers: write failed ({type(exc).__name__})"
            ) from exc
        return answer
