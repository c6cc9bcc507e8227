"""Schema drift: where a live database no longer matches its mapping, found before a query fails.

Each configured database is reflected; every table and column a mapping names must exist, and
its reflected type must suit the converter (a ``cyymmdd`` column must still be a number, a
``char`` column still text, a ``CHAR(n)`` key still ``n`` wide). A column missing from the
mapping's table is reported with the unmapped live columns that look like its new name.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy.types import CHAR, Date, DateTime, Integer, Numeric, String, TypeEngine

from legacy_connectors.errors import LegacyError
from legacy_connectors.sql.connector import SqlConnector
from legacy_connectors.sql.database import Database
from legacy_connectors.sql.settings import ColumnSpec, SqlSettings, TableMapping
from legacy_connectors.sql.translate import translate

__all__ = ["Drift", "check", "check_database", "describe"]


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference between a mapping and the live schema of one database."""

    service: str
    """The database (``<source>`` or ``<source>/<database>``)."""
    mapping_key: str
    """Where in the mapping, e.g. ``columns.surname`` or ``children.applications.table``."""
    problem: str
    """What differs: names the table, the column, what was expected and what was found."""

    def __str__(self) -> str:
        return f"{self.service}: {self.mapping_key}: {self.problem}"


_NUMBER = (Integer, Numeric)
_EXPECTED: dict[str, tuple[str, tuple[type[TypeEngine[Any]], ...]]] = {
    "char": ("text", (String,)),
    "int": ("a number", (*_NUMBER, String)),
    "yyyymmdd": ("a number or text", (*_NUMBER, String)),
    "decimal": ("a number or text", (*_NUMBER, String)),
    "code": ("text or a number", (String, *_NUMBER)),
}


def _expected(spec: ColumnSpec) -> tuple[str, tuple[type[TypeEngine[Any]], ...]] | None:
    if spec.type in ("date", "datetime"):
        if spec.format:
            return "text", (String,)
        return f"a {spec.type} (or ISO text)", (Date, DateTime, String)
    if spec.type == "cyymmdd":
        return "a number", _NUMBER
    return _EXPECTED.get(spec.type)


def _columns(
    live: dict[str, TypeEngine[Any]],
    table: str,
    prefix: str,
    columns: dict[str, ColumnSpec],
    service: str,
) -> list[Drift]:
    drifts: list[Drift] = []
    mapped = {c.lower() for s in columns.values() for c in _names(s)}
    unmapped = [name for name in live if name.lower() not in mapped]
    lowered = {name.lower(): name for name in live}
    for field, spec in columns.items():
        for column in _names(spec):
            found = lowered.get(column.lower())
            if found is None:
                similar = difflib.get_close_matches(column, unmapped, n=2, cutoff=0.4)
                hint = f"; unmapped columns like it: {', '.join(similar)}" if similar else ""
                drifts.append(
                    Drift(
                        service, f"{prefix}columns.{field}", f"column {column} not in {table}{hint}"
                    )
                )
                continue
            expectation = _expected(spec) if isinstance(spec.column, str) else None
            if expectation is not None and not isinstance(live[found], expectation[1]):
                drifts.append(
                    Drift(
                        service,
                        f"{prefix}columns.{field}",
                        f"column {column} of {table}: expected {expectation[0]} for "
                        f"type {spec.type!r}, found {live[found]!r}",
                    )
                )
    return drifts


def _names(spec: ColumnSpec) -> list[str]:
    return list(spec.column) if isinstance(spec.column, list) else [spec.column]


def _reflect(
    connection: Connection, mapping: TableMapping
) -> dict[str, dict[str, TypeEngine[Any]] | None]:
    inspector = inspect(connection)
    tables = [mapping.table, *(child.table for child in mapping.children.values())]
    if mapping.changes is not None and mapping.changes.removals_table:
        tables.append(mapping.changes.removals_table)
    found: dict[str, dict[str, TypeEngine[Any]] | None] = {}
    for table in tables:
        try:
            columns = inspector.get_columns(table, schema=mapping.db_schema)
        except sa_exc.NoSuchTableError:
            found[table] = None
            continue
        found[table] = {column["name"]: column["type"] for column in columns}
    return found


def _compare(
    service: str, mapping: TableMapping, live: dict[str, dict[str, TypeEngine[Any]] | None]
) -> list[Drift]:
    drifts: list[Drift] = []
    main = live[mapping.table]
    if main is None:
        return [Drift(service, "table", f"table {mapping.table} not found")]
    drifts.extend(_columns(main, mapping.table, "", mapping.columns, service))
    lowered = {name.lower(): name for name in main}
    key = lowered.get(mapping.key.column.lower())
    if key is None:
        drifts.append(
            Drift(service, "key.column", f"column {mapping.key.column} not in {mapping.table}")
        )
    elif mapping.key.length is not None:
        live_type = main[key]
        width = getattr(live_type, "length", None)
        if not isinstance(live_type, CHAR) or width != mapping.key.length:
            drifts.append(
                Drift(
                    service,
                    "key.length",
                    f"column {mapping.key.column} of {mapping.table}: expected "
                    f"CHAR({mapping.key.length}), found {live_type!r}",
                )
            )
    drifts.extend(_change_columns(service, mapping, live, lowered))
    for name, child in mapping.children.items():
        child_live = live[child.table]
        if child_live is None:
            drifts.append(
                Drift(service, f"children.{name}.table", f"table {child.table} not found")
            )
            continue
        drifts.extend(
            _columns(child_live, child.table, f"children.{name}.", child.columns, service)
        )
        for parent, column in child.join.items():
            if parent.lower() not in lowered:
                drifts.append(
                    Drift(
                        service, f"children.{name}.join", f"column {parent} not in {mapping.table}"
                    )
                )
            if column.lower() not in {c.lower() for c in child_live}:
                drifts.append(
                    Drift(service, f"children.{name}.join", f"column {column} not in {child.table}")
                )
    return drifts


def _change_columns(
    service: str,
    mapping: TableMapping,
    live: dict[str, dict[str, TypeEngine[Any]] | None],
    main_columns: dict[str, str],
) -> list[Drift]:
    """The change feed's row-version column (an integer) and removals table, if mapped."""
    spec = mapping.changes
    if spec is None:
        return []
    drifts: list[Drift] = []
    found = main_columns.get(spec.column.lower())
    main = live[mapping.table] or {}
    if found is None:
        drifts.append(
            Drift(service, "changes.column", f"column {spec.column} not in {mapping.table}")
        )
    elif not isinstance(main[found], Integer):
        drifts.append(
            Drift(
                service,
                "changes.column",
                f"column {spec.column} of {mapping.table}: expected an integer row version, "
                f"found {main[found]!r}",
            )
        )
    if spec.removals_table:
        gone = live.get(spec.removals_table)
        if gone is None:
            return [
                *drifts,
                Drift(
                    service,
                    "changes.removals_table",
                    f"table {spec.removals_table} not found",
                ),
            ]
        names = {c.lower() for c in gone}
        for setting, column in (
            ("removals_key_column", spec.removals_key_column or mapping.key.column),
            ("removals_column", spec.removals_column or spec.column),
        ):
            if column.lower() not in names:
                drifts.append(
                    Drift(
                        service,
                        f"changes.{setting}",
                        f"column {column} not in {spec.removals_table}",
                    )
                )
    return drifts


async def check_database(database: Database) -> list[Drift]:
    """Reflect ``database`` and compare it with its mapping."""
    mapping = database.mapping
    try:
        async with database.engine.connect() as conn:
            live = await conn.run_sync(_reflect, mapping)
    except LegacyError:
        raise
    except Exception as exc:
        raise translate(exc, database.service) from exc
    return _compare(database.service, mapping, live)


async def check(name: str, settings: SqlSettings | dict[str, Any]) -> list[Drift]:
    """Every drift of source ``name`` across its databases; a database that cannot be reached
    is reported as a drift of its ``url`` naming the error code."""
    validated = (
        settings if isinstance(settings, SqlSettings) else SqlSettings.model_validate(settings)
    )
    connector = SqlConnector(name, validated)
    try:
        drifts: list[Drift] = []
        for database in connector.databases:
            try:
                drifts.extend(await check_database(database))
            except LegacyError as error:
                drifts.append(
                    Drift(database.service, "url", f"database unreachable ({error.code})")
                )
        return drifts
    finally:
        await connector.aclose()


def describe(drifts: Sequence[Drift]) -> str:
    """A readable report, one drift a line."""
    return "\n".join(str(drift) for drift in drifts)
