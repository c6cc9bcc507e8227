"""One database of a SQL source: batch reads by key through its plan, in chunks.

Every exception from SQLAlchemy or the driver leaves this module as a typed
:class:`~legacy_connectors.errors.LegacyError` naming the database (see ``translate``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from legacy_connectors.base import Record
from legacy_connectors.errors import (
    ConfigurationError,
    CorruptRecordError,
    LegacyError,
    UpstreamUnavailableError,
)
from legacy_connectors.sql.driver import StatementRunner, tag_statements
from legacy_connectors.sql.engines import (
    EngineOptions,
    build_engine,
    default_chunk,
    parameter_limit,
    timeout_statements,
)
from legacy_connectors.sql.plan import TablePlan, first_invalid
from legacy_connectors.sql.settings import TableMapping
from legacy_connectors.sql.translate import translate
from legacy_connectors.sql.types import Invalid, key_normaliser

__all__ = ["Database", "Fetched"]

Fetched = tuple[dict[str, list[Record]], dict[str, LegacyError]]
"""Records by normalised key, and a record-level error for keys whose rows did not decode."""


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _plain(value: Any) -> Any:
    return value.rstrip() if isinstance(value, str) else value


class Database:
    """A pooled engine, a compiled mapping and the knowledge of how to read it in batches."""

    def __init__(
        self,
        *,
        service: str,
        url: str,
        mapping: TableMapping,
        options: EngineOptions,
        chunk_size: int | None = None,
        label: str | None = None,
        source_field: str | None = None,
    ) -> None:
        self.service = service
        self.url = url
        self.mapping = mapping
        self.plan = TablePlan(mapping)
        self.label = label
        self.source_field = source_field
        self.normalise = key_normaliser(mapping.key)
        self._options = options
        self._chunk_size = chunk_size
        self._engine: AsyncEngine | None = None
        self._runner: StatementRunner | None = None
        self._scan_runner: StatementRunner | None = None
        self.queries = 0
        """Statements issued so far (for benchmarks and tests)."""

    @property
    def engine(self) -> AsyncEngine:
        """The pooled engine, created on first use."""
        if self._engine is None:
            try:
                self._engine = build_engine(self.url, self._options)
            except Exception as exc:
                raise translate(exc, self.service, self.mapping) from exc
            tag_statements(self._engine)
        return self._engine

    @property
    def chunk_size(self) -> int:
        """Keys per ``IN`` list: the setting, capped below the engine's parameter limit."""
        backend = self.engine.dialect.name
        limit = parameter_limit(backend) - 16
        return min(self._chunk_size or default_chunk(backend), limit)

    async def aclose(self) -> None:
        """Close the pool."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()

    async def _execute(self, conn: AsyncConnection, statement: Any, params: dict[str, Any]) -> Any:
        self.queries += 1
        result = await conn.execute(statement, params)
        return result.all()

    async def _fetch_rows(
        self, conn: AsyncConnection, statement: Any, params: dict[str, Any], scan: bool = False
    ) -> list[Any]:
        self.queries += 1
        runner = self._scan_runner if scan else self._runner
        if runner is None:
            options = self._options
            timeout_ms = options.scan_statement_timeout_ms if scan else options.statement_timeout_ms
            runner = StatementRunner(
                self.engine.dialect, sqlite_timeout_s=timeout_ms / 1000 if timeout_ms else None
            )
            if scan:
                self._scan_runner = runner
            else:
                self._runner = runner
        return await runner.fetch(conn, statement, params)

    @asynccontextmanager
    async def _connect(self, scan: bool) -> AsyncIterator[AsyncConnection]:
        """A pooled connection; for a scan, its statements get ``scan_statement_timeout_ms``
        instead of ``statement_timeout_ms`` until it goes back to the pool."""
        async with self.engine.connect() as conn:
            backend = conn.dialect.name
            options = self._options
            if not scan or options.scan_statement_timeout_ms == options.statement_timeout_ms:
                yield conn
                return
            await self._set_timeout(conn, options.scan_statement_timeout_ms)
            try:
                yield conn
            finally:
                if backend != "sqlite":
                    try:
                        await self._set_timeout(conn, options.statement_timeout_ms)
                    except Exception:
                        await conn.invalidate()

    async def _set_timeout(self, conn: AsyncConnection, timeout_ms: int) -> None:
        alternatives = timeout_statements(conn.dialect.name, timeout_ms)
        for number, statement in enumerate(alternatives, start=1):
            try:
                await conn.exec_driver_sql(statement)
                return
            except Exception:
                if number == len(alternatives):
                    raise

    def _bind_keys(self, keys: Sequence[str]) -> list[str]:
        width = self.mapping.key.length
        return [key.ljust(width) for key in keys] if width else list(keys)

    async def fetch(self, keys: Sequence[str], *, scan: bool = False) -> Fetched:
        """Records for already-normalised ``keys`` (duplicates allowed), grouped by key;
        ``scan``: a page of a whole-source read (statements get the scan's timeout)."""
        unique = list(dict.fromkeys(keys))
        by_key: dict[str, list[Record]] = {}
        errors: dict[str, LegacyError] = {}
        if not unique:
            return by_key, errors
        invalid_before = Invalid.created
        try:
            async with self._connect(scan) as conn:
                rows: list[Any] = []
                for chunk in _chunks(unique, self.chunk_size):
                    params = {"keys": self._bind_keys(chunk)}
                    rows.extend(await self._fetch_rows(conn, self.plan.statement, params, scan))
                children = await self._children(conn, rows, scan)
        except Exception as exc:
            raise await self._translate(exc) from exc
        wanted = set(unique)
        normalise = self.normalise
        decode = self.plan.fields.record
        links = [(c.name, self.plan.join_positions[c.parent_column]) for c in self.plan.children]
        source_field, label = self.source_field, self.label
        for row in rows:
            raw = row[0]
            key = raw.rstrip() if raw.__class__ is str else str(raw)
            if key not in wanted:
                key = normalise(key)
            record = decode(row)
            for name, position in links:
                parent = row[position]
                record[name] = children[name].get(
                    parent.rstrip() if parent.__class__ is str else parent, []
                )
            if source_field is not None:
                record[source_field] = label
            by_key.setdefault(key, []).append(record)
        if Invalid.created != invalid_before:
            self._set_aside_invalid(by_key, errors)
        return by_key, errors

    def _set_aside_invalid(
        self, by_key: dict[str, list[Record]], errors: dict[str, LegacyError]
    ) -> None:
        for key, records in list(by_key.items()):
            for record in records:
                invalid = first_invalid(record)
                if invalid is not None:
                    errors[key] = CorruptRecordError(
                        f"a record in {self.service!r} could not be decoded: {invalid.reason}",
                        service=self.service,
                    )
                    del by_key[key]
                    break

    async def _translate(self, exc: Exception) -> LegacyError:
        """``exc`` as a typed error; a schema mismatch on a dropped database is unavailability."""
        error = translate(exc, self.service, self.mapping)
        if isinstance(error, ConfigurationError) and not await self._database_present():
            return UpstreamUnavailableError(
                f"database {self.service!r} is unavailable",
                service=self.service,
                detail=error.detail,
            )
        return error

    async def _database_present(self) -> bool:
        engine = self.engine
        if engine.dialect.name != "mysql":
            return True
        query = text("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :name")
        try:
            async with engine.connect() as conn:
                found = await conn.scalar(query, {"name": engine.url.database})
        except Exception:
            return False
        return bool(found)

    async def _children(
        self, conn: AsyncConnection, rows: Sequence[Any], scan: bool = False
    ) -> dict[str, dict[Any, list[Record]]]:
        collections: dict[str, dict[Any, list[Record]]] = {}
        for child in self.plan.children:
            position = self.plan.join_positions[child.parent_column]
            parents = list(
                dict.fromkeys(row[position] for row in rows if row[position] is not None)
            )
            grouped: dict[Any, list[Record]] = {}
            for chunk in _chunks(parents, self.chunk_size):
                params = {"parents": list(chunk)}
                decode = child.fields.record
                for row in await self._fetch_rows(conn, child.statement, params, scan):
                    grouped.setdefault(_plain(row[0]), []).append(decode(row))
            collections[child.name] = grouped
        return collections

    async def keys(self, batch_size: int) -> AsyncIterator[list[str]]:
        """Every distinct stored key, normalised, in batches of at most ``batch_size`` (a
        whole-source read: statements get ``scan_statement_timeout_ms``)."""
        after: Any = None
        while True:
            try:
                async with self._connect(scan=True) as conn:
                    if after is None:
                        statement = self.plan.keys_first.limit(batch_size)
                        params: dict[str, Any] = {}
                    else:
                        statement = self.plan.keys_after.limit(batch_size)
                        params = {"after": after}
                    raw = [row[0] for row in await self._execute(conn, statement, params)]
            except Exception as exc:
                raise translate(exc, self.service, self.mapping) from exc
            if not raw:
                return
            after = raw[-1]
            yield [self.normalise(str(_plain(value))) for value in raw]
            if len(raw) < batch_size:
                return

    async def read(self, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
        """The rows of one whole-source statement (the change feed's), with the scan's
        statement timeout; errors as typed errors naming the database."""
        try:
            async with self._connect(scan=True) as conn:
                return list(await self._execute(conn, statement, params or {}))
        except Exception as exc:
            raise translate(exc, self.service, self.mapping) from exc

    async def ping(self) -> float:
        """Run a cheap query against the mapped table; the round trip in milliseconds."""
        started = time.perf_counter()
        try:
            async with self.engine.connect() as conn:
                await conn.execute(self.plan.probe)
        except Exception as exc:
            raise translate(exc, self.service, self.mapping) from exc
        return (time.perf_counter() - started) * 1000
