"""The citizen index on each store it supports, for tests: a SQLite file or a PostgreSQL schema."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from govgraph.index import CitizenIndex

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
"""Parameters for a fixture that runs each test on every store."""


@contextlib.asynccontextmanager
async def open_index(store: str, folder: Path, label: str) -> AsyncIterator[CitizenIndex]:
    """An empty, open index on ``store``; a PostgreSQL schema is dropped afterwards."""
    if store == "sqlite":
        index = CitizenIndex(f"sqlite+aiosqlite:///{folder / 'index.db'}")
        await index.open()
        try:
            yield index
        finally:
            await index.aclose()
        return
    schema = f"gg_{label}_test_{secrets.token_hex(4)}"
    index = CitizenIndex(PG_URL, schema=schema)
    await index.open()
    try:
        yield index
    finally:
        await index.aclose()
        engine = create_async_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()
