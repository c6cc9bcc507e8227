"""Run a SQL source's write commands: one transaction per delivery, deduplicated by its id.

Writes use their own small read-write pool per database (reads stay on the read-only pool).
In the transaction, the delivery id is inserted into the command's journal table first: if it
is already there the transaction is rolled back and the answer is ``DUPLICATE``. The command's
statements follow; an update that does not change the expected number of rows refuses the
whole command. Target tables are reflected once so that each value is bound in the type its
column stores (padded ``CHAR``, text, integer, decimal, date).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Integer, MetaData, Numeric, String, Table, event, insert, update
from sqlalchemy import exc as sa_exc
from sqlalchemy import types as sa_types
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from legacy_connectors.base import Record
from legacy_connectors.errors import ConfigurationError, InvalidInputError, RecordNotFoundError
from legacy_connectors.limits import unencodable
from legacy_connectors.payload import payload_value
from legacy_connectors.sql.charsets import column_charsets
from legacy_connectors.sql.commands import SqlCommand, SqlStatement, encode_value
from legacy_connectors.sql.driver import tag_statements
from legacy_connectors.sql.engines import EngineOptions, build_engine
from legacy_connectors.sql.limits import column_limit
from legacy_connectors.sql.settings import SqlSettings
from legacy_connectors.sql.translate import translate

__all__ = ["SqlWriter"]

_WRITE_POOL = 2


class _Duplicate(Exception):
    """The delivery id is already in the journal: roll back, change nothing."""


def _journal(name: str) -> Table:
    return Table(
        name,
        MetaData(),
        Column("DELIVERY_ID", String(64), primary_key=True),
        Column("COMMAND", String(40), nullable=False),
        Column("TARGET_KEY", String(64)),
        Column("APPLIED_AT", String(32), nullable=False),
    )


def _bind(column: Column[Any], value: Any) -> Any:
    """``value`` in the Python type ``column`` stores (text padded to a ``CHAR`` width)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_bind(column, item) for item in value]
    kind = column.type
    if isinstance(kind, sa_types.String):
        text = value.isoformat() if hasattr(value, "isoformat") else str(value)
        if isinstance(kind, sa_types.CHAR) and kind.length:
            return text.ljust(kind.length)
        return text
    if isinstance(kind, Integer) and not isinstance(value, int):
        return int(value)
    if isinstance(kind, Numeric) and isinstance(value, str):
        return Decimal(value) if kind.asdecimal else float(value)
    return value


class _Target:
    """One database a command may write to."""

    def __init__(self, service: str, url: str, label: str, mapping_name: str | None) -> None:
        self.service = service
        self.url = url
        self.label = label
        self.mapping_name = mapping_name
        self.engine: AsyncEngine | None = None
        self.tables: dict[tuple[str | None, str], Table] = {}
        self.journals: set[str] = set()
        self.charsets: dict[tuple[str | None, str], dict[str, tuple[str | None, str]]] = {}


class SqlWriter:
    """Executes ``SqlSettings.commands`` against the source's databases."""

    def __init__(self, name: str, settings: SqlSettings) -> None:
        self.name = name
        self.settings = settings
        self._options = EngineOptions(
            pool_size=_WRITE_POOL,
            pool_timeout_s=settings.pool_timeout_s,
            connect_timeout_s=settings.connect_timeout_s,
            statement_timeout_ms=settings.statement_timeout_ms,
            read_only=False,
        )
        single = settings.url is not None
        mapping_names = {db.name: db.mapping for db in settings.databases}
        self._targets = [
            _Target(
                name if single else f"{name}/{db_name}",
                url,
                label or db_name,
                mapping_names.get(db_name),
            )
            for db_name, url, label, _mapping in settings.targets()
        ]

    def _target(self, command: str, spec: SqlCommand, payload: Mapping[str, Any]) -> _Target:
        if len(self._targets) == 1 and spec.database_field is None:
            return self._targets[0]
        if spec.database_field is None:
            raise ConfigurationError(
                f"{self.name}: command {command!r} needs 'database_field' for a set of databases",
                service=self.name,
            )
        try:
            wanted = str(payload_value(payload, spec.database_field))
        except KeyError:
            raise InvalidInputError(
                f"{self.name}: command {command!r}: payload field "
                f"{spec.database_field!r} is missing",
                service=self.name,
            ) from None
        for target, db_name in zip(self._targets, self._db_names(), strict=True):
            if wanted in (db_name, target.label):
                return target
        raise RecordNotFoundError(
            f"{self.name}: command {command!r}: no database of the set is named by payload "
            f"field {spec.database_field!r}",
            service=self.name,
        )

    def _db_names(self) -> list[str]:
        return [db_name for db_name, *_ in self.settings.targets()]

    def _statements(self, command: str, spec: SqlCommand, target: _Target) -> list[SqlStatement]:
        if target.mapping_name is not None and target.mapping_name in spec.by_mapping:
            return spec.by_mapping[target.mapping_name]
        if spec.statements:
            return spec.statements
        raise ConfigurationError(
            f"{self.name}: command {command!r} has no statements for mapping "
            f"{target.mapping_name!r}",
            service=target.service,
        )

    async def _engine(self, target: _Target) -> AsyncEngine:
        if target.engine is None:
            target.engine = build_engine(target.url, self._options)
            tag_statements(target.engine)
            if target.engine.dialect.name == "sqlite":
                _serialise_sqlite(target.engine)
        return target.engine

    async def _table(
        self, conn: AsyncConnection, target: _Target, statement: SqlStatement
    ) -> Table:
        key = (statement.db_schema, statement.table)
        table = target.tables.get(key)
        if table is None:

            def reflect(sync: Any) -> Table:
                return Table(
                    statement.table, MetaData(), schema=statement.db_schema, autoload_with=sync
                )

            try:
                table = await conn.run_sync(reflect)
            except sa_exc.NoSuchTableError as exc:
                raise ConfigurationError(
                    f"{self.name}: table {statement.table!r} of a command is not in database "
                    f"{target.service!r}",
                    service=target.service,
                ) from exc
            target.tables[key] = table
        return table

    async def _charsets(
        self, conn: AsyncConnection, target: _Target, statement: SqlStatement
    ) -> dict[str, tuple[str | None, str]]:
        """(codec, note) of each column of ``statement``'s table: what characters it holds."""
        key = (statement.db_schema, statement.table)
        found = target.charsets.get(key)
        if found is None:
            table = await self._table(conn, target, statement)
            found = await column_charsets(conn, table)
            target.charsets[key] = found
        return found

    async def _ensure_journal(self, engine: AsyncEngine, target: _Target, name: str) -> Table:
        journal = _journal(name)
        if name not in target.journals:
            async with engine.begin() as conn:
                await conn.run_sync(journal.metadata.create_all, checkfirst=True)
            target.journals.add(name)
        return journal

    async def submit(
        self, command: str, spec: SqlCommand, payload: Mapping[str, Any], delivery_id: str
    ) -> Record:
        """Apply ``spec`` once for ``delivery_id``; ``outcome`` is ACCEPTED or DUPLICATE."""
        target = self._target(command, spec, payload)
        statements = self._statements(command, spec, target)
        now = datetime.now(UTC)
        key = None
        if spec.journal_key_field is not None:
            try:
                key = str(payload_value(payload, spec.journal_key_field))[:64]
            except KeyError:
                key = None
        result: Record = {"outcome": "ACCEPTED", "database": target.label}
        try:
            engine = await self._engine(target)
            journal = await self._ensure_journal(engine, target, spec.journal_table)
            async with engine.begin() as conn:
                try:
                    await conn.execute(
                        insert(journal).values(
                            DELIVERY_ID=delivery_id,
                            COMMAND=command[:40],
                            TARGET_KEY=key,
                            APPLIED_AT=now.isoformat(timespec="seconds"),
                        )
                    )
                except sa_exc.IntegrityError as exc:
                    raise _Duplicate from exc
                for number, statement in enumerate(statements, start=1):
                    await self._run(conn, target, statement, payload, now, command, number)
        except _Duplicate:
            return {"outcome": "DUPLICATE", "database": target.label}
        except (InvalidInputError, RecordNotFoundError, ConfigurationError) as exc:
            raise exc.with_service(target.service) from None
        except Exception as exc:
            raise translate(exc, target.service) from exc
        return result

    async def _run(
        self,
        conn: AsyncConnection,
        target: _Target,
        statement: SqlStatement,
        payload: Mapping[str, Any],
        now: datetime,
        command: str,
        number: int,
    ) -> None:
        table = await self._table(conn, target, statement)
        unknown = [c for c in (*statement.values, *statement.where) if c not in table.c]
        if unknown:
            raise ConfigurationError(
                f"{self.name}: command {command!r}: columns {unknown} are not in table "
                f"{statement.table!r}",
                service=target.service,
            )
        values = {
            column: _bind(table.c[column], encode_value(spec, payload, now, column))
            for column, spec in statement.values.items()
        }
        for column, value in values.items():
            width = column_limit(table.c[column])
            if width is not None and isinstance(value, str) and len(value) > width:
                raise InvalidInputError(
                    f"{self.name}: command {command!r}: column {column!r} of "
                    f"{statement.table!r} holds {width} characters, got {len(value)}; nothing "
                    "was written",
                    service=target.service,
                )
        charsets = await self._charsets(conn, target, statement)
        for column, value in values.items():
            codec = charsets.get(column, (None, ""))[0]
            bad = unencodable(value, codec) if codec and isinstance(value, str) else []
            if bad:
                shown = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
                raise InvalidInputError(
                    f"{self.name}: command {command!r}: column {column!r} of "
                    f"{statement.table!r} cannot hold {shown}; nothing was written",
                    service=target.service,
                )
        if statement.action == "insert":
            await conn.execute(insert(table).values(**values))
            return
        conditions = []
        for column, spec in statement.where.items():
            bound = _bind(table.c[column], encode_value(spec, payload, now, column))
            if isinstance(bound, list):
                conditions.append(table.c[column].in_(bound))
            else:
                conditions.append(table.c[column] == bound)
        done = await conn.execute(update(table).where(*conditions).values(**values))
        if statement.expect_rows != "any" and done.rowcount != statement.expect_rows:
            raise InvalidInputError(
                f"{self.name}: command {command!r}: statement {number} on "
                f"{statement.table!r} changed {done.rowcount} rows, expected "
                f"{statement.expect_rows}; nothing was written",
                service=target.service,
            )

    async def aclose(self) -> None:
        """Close the write pools."""
        for target in self._targets:
            if target.engine is not None:
                engine, target.engine = target.engine, None
                await engine.dispose()


def _serialise_sqlite(engine: AsyncEngine) -> None:
    """SQLite write transactions take the write lock at ``BEGIN`` and wait for it when busy."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 10000")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
