"""Shared by the gateway's own stores (citizen index, access ledger, outbox): SQLite connection
settings, creating tables safely when several gateways start at once, and reading timestamps
back as UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["as_utc", "create_tables", "lock_schema", "on_sqlite_connect"]

_SCHEMA_LOCK = 0x67_67_73_63_68
"""The PostgreSQL advisory lock key gateways hold while creating their tables."""


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


async def lock_schema(conn: AsyncConnection) -> None:
    """On PostgreSQL, wait for other gateways creating tables in this database, and hold the
    lock until ``conn``'s transaction ends (``CREATE TABLE`` checks, then creates: two
    replicas starting at once would otherwise both try to create the same table)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})


async def create_tables(conn: AsyncConnection, metadata: MetaData) -> None:
    """Create ``metadata``'s missing tables, one gateway at a time (see :func:`lock_schema`)."""
    await lock_schema(conn)
    await conn.run_sync(metadata.create_all)
