"""Small index reads on the calling thread, straight through the SQLite driver.

The index's statements are SQLAlchemy Core selects; :class:`InlineReader` compiles each once
for SQLite, then runs it on one held, read-only ``sqlite3`` connection: the driver's own
statement cache prepares the text, and each result column goes through the same type
conversion SQLAlchemy would apply (dates and timestamps from their stored text). What this
saves, per read, is SQLAlchemy's execution machinery (pool checkout and reset, cache key,
execution context, result metadata), a measurable share of a request's cost.

A read never waits for a lock (the connection's busy timeout is 0); the caller falls back to
its pooled path on :class:`InlineBusy`. Each read is its own statement outside any
transaction, so no read holds a WAL snapshot after it returns.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["InlineBusy", "InlineError", "InlineReader"]


class InlineBusy(Exception):
    """The database is busy (or momentarily unreadable): read it the pooled way instead."""


class InlineError(Exception):
    """The read failed for a reason the pooled path would meet too."""


class _Plan:
    """One select compiled for SQLite: its text, its result columns' converters, its row type."""

    __slots__ = ("compiled", "converters", "row")

    def __init__(self, stmt: Select[Any], engine: Engine) -> None:
        dialect = engine.dialect
        compiled = stmt.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        for bind in compiled.binds.values():
            if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise ValueError(f"inline reads take plain values; {bind.key!r} needs conversion")
        self.compiled = compiled
        columns = list(stmt.selected_columns)
        self.converters: list[Callable[[Any], Any] | None] = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]
        self.row: Any = namedtuple("Row", [c.key for c in columns], rename=True)  # type: ignore[misc]


class InlineReader:
    """Runs compiled selects on one held connection of ``engine`` (a synchronous SQLite engine
    whose connections are read-only and never wait: see ``govgraph.index.store``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._plans: dict[int, tuple[Select[Any], _Plan]] = {}
        self._held: PoolProxiedConnection | None = None

    def read(self, stmt: Select[Any], params: Mapping[str, Any]) -> list[Any]:
        """The rows of ``stmt`` with ``params`` (expanding ``IN`` lists included), each a
        tuple with the selected columns as attributes."""
        known = self._plans.get(id(stmt))
        if known is None:
            known = self._plans[id(stmt)] = (stmt, _Plan(stmt, self.engine))
        plan = known[1]
        state = plan.compiled.construct_expanded_state(dict(params))
        values = state.parameters
        args = [values[name] for name in state.positiontup or ()]
        try:
            rows = self._connection().execute(state.statement, args).fetchall()
        except sqlite3.OperationalError as exc:
            self.close()
            raise InlineBusy(str(exc)) from exc
        except sqlite3.Error as exc:
            self.close()
            raise InlineError(type(exc).__name__) from exc
        converters = plan.converters
        make = plan.row._make
        if not any(converters):
            return [make(r) for r in rows]
        return [
            make(
                [v if f is None or v is None else f(v) for f, v in zip(converters, r, strict=True)]
            )
            for r in rows
        ]

    def _connection(self) -> sqlite3.Connection:
        held = self._held
        if held is None:
            held = self._held = self.engine.raw_connection()
        driver = held.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        return driver

    def close(self) -> None:
        """Give the held connection back (a later read takes a new one)."""
        held, self._held = self._held, None
        if held is not None:
            held.invalidate()
