"""Aggregate queries over a SQL source, built from the source's own table mappings.

The database does the grouping (``GROUP BY``): only one row per group crosses the wire. Groups
and conditions name readable fields of the mapping, never legacy columns; each field's converter
tells how its stored encoding is grouped by month (CYYMMDD and YYYYMMDD integers, native dates,
dates as text in a fixed-width format) or by postcode area, and how readable codes map back to
the stored ones. A source with several databases is asked in parallel and the groups merged;
the database's label is available as a group under the source's ``source_field``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Integer,
    Numeric,
    String,
    TableClause,
    and_,
    cast,
    column,
    distinct,
    func,
    literal_column,
    select,
    table,
    type_coerce,
)

from legacy_connectors.aggregation import Aggregate, GroupBy, Where
from legacy_connectors.errors import ConfigurationError
from legacy_connectors.sql.connector import SqlConnector
from legacy_connectors.sql.database import Database
from legacy_connectors.sql.settings import ColumnSpec
from legacy_connectors.sql.translate import translate
from legacy_connectors.sql.types import Invalid, converter

__all__ = ["Aggregate", "GroupBy", "Where", "aggregate", "distinct_keys"]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_AREA = re.compile(r"^[A-Z]{1,2}$")
_WIDTHS = {"%Y": 4, "%m": 2, "%d": 2, "%H": 2, "%M": 2, "%S": 2, "%y": 2}


@dataclass(frozen=True, slots=True)
class _Target:
    columns: dict[str, ColumnSpec]
    table: TableClause
    count_column: str


def _target(db: Database, collection: str | None) -> _Target:
    mapping = db.mapping
    if collection is None:
        columns = dict(mapping.columns)
        key_column = mapping.key.column
        name, count_column = mapping.table, key_column
    else:
        child = mapping.children.get(collection)
        if child is None:
            raise ConfigurationError(
                f"collection: expected one of {sorted(mapping.children)}, got {collection!r}",
                service=db.service,
            )
        ((parent, count_column),) = child.join.items()
        if parent != mapping.key.column:
            raise ConfigurationError(
                f"collection {collection!r}: its join column must be the key column "
                f"{mapping.key.column!r}, got {parent!r}",
                service=db.service,
            )
        columns, name = dict(child.columns), child.table
    used = {count_column}
    for spec in columns.values():
        used.update(spec.column if isinstance(spec.column, list) else [spec.column])
    cols: list[ColumnClause[Any]] = [column(c) for c in sorted(used)]
    return _Target(columns, table(name, *cols, schema=mapping.db_schema), count_column)


def _spec(target: _Target, field: str, service: str) -> ColumnSpec:
    spec = target.columns.get(field)
    if spec is None:
        raise ConfigurationError(
            f"field: expected one of {sorted(target.columns)}, got {field!r}", service=service
        )
    return spec


def _single(target: _Target, spec: ColumnSpec, field: str, service: str) -> ColumnElement[Any]:
    if isinstance(spec.column, list):
        raise ConfigurationError(
            f"field {field!r}: expected a single-column field, got {len(spec.column)} columns",
            service=service,
        )
    return target.table.c[spec.column]


def _text(expr: ColumnElement[Any]) -> ColumnElement[str]:
    return type_coerce(cast(expr, String), String)


def _substr(expr: ColumnElement[Any], start: int, length: int) -> ColumnElement[str]:
    return type_coerce(func.substr(expr, start, length), String)


def _format_positions(fmt: str, field: str, service: str) -> tuple[int, int]:
    position, found = 1, {}
    i = 0
    while i < len(fmt):
        token = fmt[i : i + 2]
        if token in _WIDTHS:
            found[token] = position
            position += _WIDTHS[token]
            i += 2
        elif fmt[i] == "%":
            break
        else:
            position += 1
            i += 1
    if "%Y" not in found or "%m" not in found:
        raise ConfigurationError(
            f"field {field!r}: expected a fixed-width date format with %Y and %m, got {fmt!r}",
            service=service,
        )
    return found["%Y"], found["%m"]


@dataclass(frozen=True, slots=True)
class _Month:
    """How a stored date is reduced to a comparable month key, and the key read back."""

    expr: ColumnElement[Any]
    bound: Callable[[int, int], Any]
    decode: Callable[[Any], str | None]


def _cyymm(year: int, month: int) -> int:
    return (year - 1900) // 100 * 1_000_000 + year % 100 * 10_000 + month * 100


def _from_cyymm(value: Any) -> str | None:
    if value is None or int(value) == 0:
        return None
    number = int(value)
    year = 1900 + 100 * (number // 1_000_000) + number // 10_000 % 100
    return f"{year:04d}-{number // 100 % 100:02d}"


def _from_digits(value: Any) -> str | None:
    text = "" if value is None else str(value).strip().replace("-", "")
    if len(text) < 6 or not text[:6].isdigit() or text[:6].strip("0") == "":
        return None
    return f"{text[:4]}-{text[4:6]}"


def _month(target: _Target, field: str, service: str) -> _Month:
    spec = _spec(target, field, service)
    col = _single(target, spec, field, service)
    if spec.type == "cyymmdd":
        number = type_coerce(col, Integer)
        return _Month(number - number % 100, _cyymm, _from_cyymm)
    if spec.type == "yyyymmdd":
        return _Month(_substr(_text(col), 1, 6), lambda y, m: f"{y:04d}{m:02d}", _from_digits)
    if spec.type in ("date", "datetime") and spec.format is None:
        return _Month(_substr(_text(col), 1, 7), lambda y, m: f"{y:04d}-{m:02d}", _from_digits)
    if spec.type in ("date", "datetime") and spec.format is not None:
        year_at, month_at = _format_positions(spec.format, field, service)
        key = _substr(col, year_at, 4) + _substr(col, month_at, 2)
        return _Month(key, lambda y, m: f"{y:04d}{m:02d}", _from_digits)
    raise ConfigurationError(
        f"field {field!r}: expected a date field to group by month, got type {spec.type!r}",
        service=service,
    )


def _area_expr(target: _Target, field: str, service: str) -> ColumnElement[str]:
    spec = _spec(target, field, service)
    col = _single(target, spec, field, service)
    return _substr(func.upper(func.trim(_text(col))), 1, 2)


def _area(prefix: Any) -> str | None:
    text = "" if prefix is None else str(prefix)
    letters = ""
    for char in text:
        if not char.isalpha():
            break
        letters += char
    return letters or None


def _area_prefixes(areas: Sequence[str], service: str) -> list[str]:
    prefixes: list[str] = []
    for area in areas:
        if not _AREA.match(area):
            raise ConfigurationError(
                f"postcode area: expected one or two capital letters, got {area!r}",
                service=service,
            )
        prefixes.extend([area] if len(area) == 2 else [f"{area}{d}" for d in range(10)])
    return prefixes


def _month_pair(months: tuple[str, str], service: str) -> tuple[tuple[int, int], tuple[int, int]]:
    parsed = []
    for text in months:
        if not _MONTH.match(text):
            raise ConfigurationError(f"month: expected YYYY-MM, got {text!r}", service=service)
        parsed.append((int(text[:4]), int(text[5:])))
    return parsed[0], parsed[1]


def _stored_values(spec: ColumnSpec, values: Sequence[str]) -> list[str]:
    if spec.type == "code":
        assert spec.values is not None
        return [code for code, readable in spec.values.items() if readable in values]
    return list(values)


def _condition(target: _Target, where: Where, service: str) -> ColumnElement[bool]:
    if where.months is not None:
        month = _month(target, where.field, service)
        (y1, m1), (y2, m2) = _month_pair(where.months, service)
        return month.expr.between(month.bound(y1, m1), month.bound(y2, m2))
    if where.by == "area":
        return _area_expr(target, where.field, service).in_(_area_prefixes(where.values, service))
    spec = _spec(target, where.field, service)
    col = _single(target, spec, where.field, service)
    return func.trim(_text(col)).in_(_stored_values(spec, where.values))


@dataclass(frozen=True, slots=True)
class _Group:
    exprs: list[ColumnElement[Any]]
    decode: Callable[[Sequence[Any]], Any]


def _value_decoder(spec: ColumnSpec, field: str) -> Callable[[Sequence[Any]], Any]:
    if isinstance(spec.column, list):
        template = spec.format or ""

        def joined(raw: Sequence[Any]) -> Any:
            parts = [v.rstrip() if isinstance(v, str) else v for v in raw]
            if all(p in (None, "") for p in parts):
                return None
            try:
                return template.format(*parts)
            except (ValueError, TypeError, IndexError, KeyError):
                return None

        return joined
    convert = converter(spec, field)

    def single(raw: Sequence[Any]) -> Any:
        value = convert(raw[0])
        return None if isinstance(value, Invalid) else value

    return single


def _group(db: Database, target: _Target, group: GroupBy) -> _Group | None:
    service = db.service
    if group.field == db.source_field and group.field not in target.columns:
        return None
    if group.by == "month":
        month = _month(target, group.field, service)
        return _Group([month.expr], lambda raw: month.decode(raw[0]))
    if group.by == "area":
        return _Group([_area_expr(target, group.field, service)], lambda raw: _area(raw[0]))
    spec = _spec(target, group.field, service)
    names = spec.column if isinstance(spec.column, list) else [spec.column]
    return _Group([target.table.c[n] for n in names], _value_decoder(spec, group.field))


def _sum_expr(target: _Target, field: str, service: str) -> tuple[ColumnElement[Any], int]:
    spec = _spec(target, field, service)
    if spec.type not in ("decimal", "int"):
        raise ConfigurationError(
            f"field {field!r}: expected a decimal or int field to sum, got {spec.type!r}",
            service=service,
        )
    col = _single(target, spec, field, service)
    return func.sum(cast(col, Numeric(18, 4))), spec.scale


def _decimal(value: Any, scale: int) -> Decimal:
    if value is None:
        return Decimal("0.00")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return number.scaleb(-scale).quantize(Decimal("0.01"))


async def _one(
    db: Database,
    group_by: Sequence[GroupBy],
    where: Sequence[Where],
    sums: Sequence[str],
    collection: str | None,
) -> list[Aggregate]:
    target = _target(db, collection)
    groups = [_group(db, target, g) for g in group_by]
    exprs = [e for g in groups if g is not None for e in g.exprs]
    sum_parts = [_sum_expr(target, f, db.service) for f in sums]
    counted = target.table.c[target.count_column]
    statement = select(
        *exprs, func.count(), func.count(distinct(counted)), *(s for s, _ in sum_parts)
    )
    conditions = [_condition(target, w, db.service) for w in where]
    if conditions:
        statement = statement.where(and_(*conditions))
    if exprs:
        statement = statement.group_by(*(literal_column(str(i + 1)) for i in range(len(exprs))))
    try:
        async with db.engine.connect() as conn:
            db.queries += 1
            rows = (await conn.execute(statement)).all()
    except Exception as exc:
        raise translate(exc, db.service, db.mapping) from exc
    merged: dict[tuple[Any, ...], Aggregate] = {}
    for row in rows:
        position, values = 0, []
        for g in groups:
            if g is None:
                values.append(db.label)
                continue
            width = len(g.exprs)
            values.append(g.decode(row[position : position + width]))
            position += width
        records, unique = int(row[position]), int(row[position + 1])
        totals = tuple(
            _decimal(row[position + 2 + i], scale) for i, (_, scale) in enumerate(sum_parts)
        )
        key = tuple(values)
        if not records:
            continue
        found = merged.get(key)
        if found is not None:
            records += found.records
            unique += found.distinct
            totals = tuple(a + b for a, b in zip(found.sums, totals, strict=True))
        merged[key] = Aggregate(key, records, unique, totals)
    return list(merged.values())


async def aggregate(
    connector: SqlConnector,
    *,
    group_by: Sequence[GroupBy] = (),
    where: Sequence[Where] = (),
    sums: Sequence[str] = (),
    collection: str | None = None,
) -> list[Aggregate]:
    """Rows, distinct keys and sums of ``sums`` per group, computed by each database.

    ``collection`` aggregates a child collection's table instead of the main table (its join
    column must be the key column). Groups from several databases with equal values are added
    together (their distinct-key counts too). Raises the source's typed error if a database
    fails.
    """
    outcomes = await asyncio.gather(
        *(_one(db, group_by, where, sums, collection) for db in connector.databases)
    )
    merged: dict[tuple[Any, ...], Aggregate] = {}
    for rows in outcomes:
        for row in rows:
            found = merged.get(row.groups)
            if found is None:
                merged[row.groups] = row
                continue
            merged[row.groups] = Aggregate(
                row.groups,
                found.records + row.records,
                found.distinct + row.distinct,
                tuple(a + b for a, b in zip(found.sums, row.sums, strict=True)),
            )
    return list(merged.values())


def _key(
    db: Database, target: _Target, collection: str | None
) -> tuple[list[ColumnElement[Any]], Callable[[Sequence[Any]], str | None]]:
    """The expressions giving a row's key, and how to read the key the way ``scan`` does."""
    field = db.mapping.key_field
    if collection is None and field is not None:
        group = _group(db, target, GroupBy(field))
        assert group is not None
        decode = group.decode
        return group.exprs, lambda raw: None if (v := decode(raw)) is None else str(v)
    column_ = target.table.c[target.count_column]
    return [column_], lambda raw: None if raw[0] is None else db.normalise(str(raw[0]).rstrip())


async def distinct_keys(
    connector: SqlConnector,
    *,
    where: Sequence[Where] = (),
    collection: str | None = None,
    group_by: GroupBy | None = None,
) -> dict[str, Any]:
    """The source's keys of rows meeting ``where``, as ``scan`` reports them.

    Keys are the mapping's ``key_field`` values when it names one, else the stored key
    normalised as ``load_many`` takes it (for a collection: its join column's value).

    Each key maps to its group value under ``group_by`` (``None`` without one); a key in
    several groups keeps one of them. Only keys leave the database, never other fields.
    """

    async def one(db: Database) -> dict[str, Any]:
        target = _target(db, collection)
        group = _group(db, target, group_by) if group_by is not None else None
        key_exprs, read_key = _key(db, target, collection)
        exprs = group.exprs if group is not None else []
        statement = select(*key_exprs, *exprs).distinct()
        conditions = [_condition(target, w, db.service) for w in where]
        if conditions:
            statement = statement.where(and_(*conditions))
        try:
            async with db.engine.connect() as conn:
                db.queries += 1
                rows = (await conn.execute(statement)).all()
        except Exception as exc:
            raise translate(exc, db.service, db.mapping) from exc
        found: dict[str, Any] = {}
        width = len(key_exprs)
        for row in rows:
            key = read_key(row[:width])
            if key:
                found[key] = group.decode(row[width:]) if group is not None else None
        return found

    merged: dict[str, Any] = {}
    for part in await asyncio.gather(*(one(db) for db in connector.databases)):
        merged.update(part)
    return merged
