"""Run compiled Core statements on the pooled driver connection, returning raw rows.

SQLAlchemy Core builds and compiles each statement once (its compiled form is reused with new
``IN`` lists through ``construct_expanded_state``) and its pool hands out connections with
sessions already prepared; the rows are then fetched with the driver's own call (aiosqlite,
asyncpg, aiomysql), and decoded by the plan in one pass. This skips SQLAlchemy's per-row result
processing, which costs more than the query itself for wide batches.

Inside a gateway request every statement to a database server starts with
``/* request_id=<id> */``, added to the SQL text at execution time (compiled forms stay
shared), so a DBA can find the request in the database's own logs. SQLite has no such log (it
is a file read in this process), so its statements carry no comment: a text unique to each
request would be prepared again on every call and fill each connection's statement cache.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import Select

from legacy_connectors.base import current_call

__all__ = ["StatementRunner", "request_comment", "tag_statements"]

Row = Sequence[Any]

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_comment() -> str:
    """``/* request_id=<id> */ `` for the current gateway request; empty outside one, and for
    an id holding anything but letters, digits, ``.``, ``_`` and ``-`` (so it cannot end the
    comment)."""
    request_id = current_call().request_id
    if request_id is None or not _SAFE_REQUEST_ID.fullmatch(request_id):
        return ""
    return f"/* request_id={request_id} */ "


def _tag_statement(
    _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
) -> tuple[str, Any]:
    return request_comment() + statement, parameters


def tag_statements(engine: AsyncEngine) -> None:
    """Prefix what ``engine`` executes through SQLAlchemy with :func:`request_comment` (not on
    SQLite, which keeps no log of statements)."""
    if engine.dialect.name == "sqlite":
        return
    event.listen(engine.sync_engine, "before_cursor_execute", _tag_statement, retval=True)


@dataclass(frozen=True, slots=True)
class _InList:
    """A statement whose only parameter is one expanding ``IN`` list, split around it."""

    name: str
    prefix: str
    suffix: str
    placeholder: str
    numbered: bool

    @classmethod
    def of(cls, compiled: SQLCompiler) -> _InList | None:
        names = list(compiled.positiontup or ())
        if len(names) != 1:
            return None
        token = f"__[POSTCOMPILE_{names[0]}]"
        text = compiled.string
        if text.count(token) != 1:
            return None
        prefix, suffix = text.split(token)
        single = compiled.construct_expanded_state({names[0]: [None]}).statement
        if not (single.startswith(prefix) and single.endswith(suffix)):
            return None
        placeholder = single[len(prefix) : len(single) - len(suffix)]
        numbered = placeholder.startswith("$1")
        return cls(names[0], prefix, suffix, placeholder, numbered)

    def render(self, count: int) -> str:
        """The SQL text for a list of ``count`` values."""
        if self.numbered:
            rest = self.placeholder[2:]
            marks = ", ".join(f"${i}{rest}" for i in range(1, count + 1))
        else:
            marks = ", ".join([self.placeholder] * count)
        return f"{self.prefix}{marks}{self.suffix}"


class StatementRunner:
    """Compiles statements for one dialect (once each) and fetches their rows via the driver."""

    def __init__(self, dialect: Dialect, *, sqlite_timeout_s: float | None = None) -> None:
        self.dialect = dialect
        self.backend = dialect.name
        self.sqlite_timeout_s = sqlite_timeout_s
        """SQLite has no server-side statement timeout: a statement still running after this
        long is interrupted (``sqlite3.Connection.interrupt``), which reads as a timeout."""
        self._compiled: dict[int, tuple[Select[Any], SQLCompiler, _InList | None]] = {}

    def _compile(self, statement: Select[Any]) -> tuple[SQLCompiler, _InList | None]:
        found = self._compiled.get(id(statement))
        if found is not None and found[0] is statement:
            return found[1], found[2]
        compiled = statement.compile(dialect=self.dialect)
        assert isinstance(compiled, SQLCompiler)
        in_list = _InList.of(compiled)
        self._compiled[id(statement)] = (statement, compiled, in_list)
        return compiled, in_list

    def render(self, statement: Select[Any], params: dict[str, Any]) -> tuple[str, list[Any]]:
        """The SQL text and positional parameters the driver receives for ``params``."""
        compiled, in_list = self._compile(statement)
        if in_list is not None and set(params) == {in_list.name}:
            values = list(params[in_list.name])
            return in_list.render(len(values)), values
        state = compiled.construct_expanded_state(params)
        return state.statement, [state.parameters[name] for name in state.positiontup or ()]

    async def fetch(
        self, conn: AsyncConnection, statement: Select[Any], params: dict[str, Any]
    ) -> list[Row]:
        """Every row of ``statement`` run with ``params`` on ``conn``'s driver connection."""
        sql, values = self.render(statement, params)
        if self.backend != "sqlite":
            sql = request_comment() + sql
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        try:
            return await self._fetch(driver, sql, values)
        except BaseException:
            if _closed(driver):
                await conn.invalidate()
            raise

    async def _fetch(self, driver: Any, sql: str, values: list[Any]) -> list[Row]:
        if self.backend == "postgresql":
            return list(await driver.fetch(sql, *values))
        if self.backend == "sqlite":
            return await self._fetch_sqlite(driver, sql, values)
        async with driver.cursor() as cursor:
            await cursor.execute(sql, values)
            return list(await cursor.fetchall())

    async def _fetch_sqlite(self, driver: Any, sql: str, values: list[Any]) -> list[Row]:
        interrupts: list[asyncio.Task[None]] = []
        timer = None
        if self.sqlite_timeout_s:
            timer = asyncio.get_running_loop().call_later(
                self.sqlite_timeout_s,
                lambda: interrupts.append(asyncio.create_task(driver.interrupt())),
            )
        try:
            cursor = await driver.execute(sql, values)
            try:
                return list(await cursor.fetchall())
            finally:
                await cursor.close()
        finally:
            if timer is not None:
                timer.cancel()
            for task in interrupts:
                await task


def _closed(driver: Any) -> bool:
    """Whether the driver connection can no longer be used (so the pool must drop it)."""
    is_closed = getattr(driver, "is_closed", None)
    if callable(is_closed):
        return bool(is_closed())
    closed = getattr(driver, "closed", None)
    if isinstance(closed, bool):
        return closed
    return getattr(driver, "_connection", True) is None
