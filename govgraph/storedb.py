"""Shared by the gateway's own stores (citizen index, access ledger, outbox): SQLite connection
settings and reading timestamps back as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["as_utc", "on_sqlite_connect"]


def on_sqlite_connect(engine: AsyncEngine | Engine, *pragmas: str) -> None:
    """Run ``PRAGMA journal_mode=WAL`` and then ``pragmas`` on each new SQLite connection
    (nothing for other engines)."""
    if engine.dialect.name != "sqlite":
        return
    statements = ("PRAGMA journal_mode=WAL", *(f"PRAGMA {p}" for p in pragmas))

    def configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()

    sync = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    event.listen(sync, "connect", configure)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite gives them back naive)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
