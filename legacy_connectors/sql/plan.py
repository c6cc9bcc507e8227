"""Compile a :class:`TableMapping` into SQLAlchemy Core statements and row decoders.

The statements are built once per database and reused with an expanding ``IN`` parameter, so
SQLAlchemy's compiled cache serves every batch after the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import call
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    Select,
    Table,
    bindparam,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.types import NullType

from legacy_connectors.sql.settings import ColumnSpec, TableMapping
from legacy_connectors.sql.types import Converted, Invalid, PaddedKey, converter

__all__ = ["ChildPlan", "FieldPlan", "TablePlan", "first_invalid"]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """A readable field built from several raw columns by a format template."""

    name: str
    positions: tuple[int, ...]
    template: str


def _table(metadata: MetaData, name: str, schema: str | None, columns: set[str]) -> Table:
    return Table(name, metadata, *(Column(c, NullType()) for c in sorted(columns)), schema=schema)


def _engine_trims(spec: ColumnSpec) -> bool:
    return spec.type == "char" and not spec.pattern


def _trim(column: Column[Any]) -> ColumnElement[Any]:
    """Padded text trimmed by the engine itself, empty as ``NULL`` (as the ``char`` converter)."""
    return func.nullif(func.rtrim(column), literal_column("''"))


def _spec_columns(spec: ColumnSpec) -> list[str]:
    return list(spec.column) if isinstance(spec.column, list) else [spec.column]


def _ordering(table: Table, order_by: Sequence[str]) -> list[ColumnElement[Any]]:
    clauses: list[ColumnElement[Any]] = []
    for item in order_by:
        name, _, direction = item.partition(" ")
        column = table.c[name]
        clauses.append(column.desc() if direction.strip().lower() == "desc" else column.asc())
    return clauses


class _Fields:
    """The selected expressions for a set of readable fields and how to rebuild them.

    Columns come in three runs: text the engine trims itself (no decoding), columns decoded by
    their converter, and raw columns that composite fields join by a template.
    """

    def __init__(self, table: Table, columns: dict[str, ColumnSpec], start: int) -> None:
        trimmed = {
            f: s for f, s in columns.items() if isinstance(s.column, str) and _engine_trims(s)
        }
        decoded = {
            f: s for f, s in columns.items() if isinstance(s.column, str) and f not in trimmed
        }
        self.trimmed = list(trimmed)
        self.decoded = list(decoded)
        self.converters = [converter(spec, field) for field, spec in decoded.items()]
        self.expressions: list[ColumnElement[Any]] = [
            _trim(table.c[str(spec.column)]) for spec in trimmed.values()
        ]
        self.expressions.extend(
            type_coerce(table.c[str(spec.column)], Converted(spec.model_dump_json(), field))
            for field, spec in decoded.items()
        )
        self.composite: list[FieldPlan] = []
        position = start + len(self.expressions)
        for field, spec in columns.items():
            if isinstance(spec.column, list):
                assert spec.format is not None
                positions = tuple(range(position, position + len(spec.column)))
                self.composite.append(FieldPlan(field, positions, spec.format))
                self.expressions.extend(table.c[c] for c in spec.column)
                position += len(spec.column)
        self.start = start
        self.middle = start + len(self.trimmed)
        self.stop = self.middle + len(self.decoded)

    def record(self, row: Sequence[Any]) -> dict[str, Any]:
        """The readable record of one raw driver row."""
        record = dict(zip(self.trimmed, row[self.start : self.middle], strict=True))
        record.update(
            zip(self.decoded, map(call, self.converters, row[self.middle : self.stop]), strict=True)
        )
        for plan in self.composite:
            values = [row[i] for i in plan.positions]
            trimmed = [v.rstrip() if isinstance(v, str) else v for v in values]
            try:
                record[plan.name] = (
                    None
                    if all(v in (None, "") for v in trimmed)
                    else plan.template.format(*trimmed)
                )
            except (ValueError, TypeError, IndexError, KeyError):
                record[plan.name] = Invalid(f"field {plan.name!r}: values do not fit its format")
        return record


class ChildPlan:
    """The statement and decoder of one child collection."""

    def __init__(self, metadata: MetaData, name: str, mapping: TableMapping) -> None:
        spec = mapping.children[name]
        self.name = name
        ((self.parent_column, child_column),) = spec.join.items()
        needed = {child_column} | {c for s in spec.columns.values() for c in _spec_columns(s)}
        needed |= {item.partition(" ")[0] for item in spec.order_by}
        table = _table(metadata, spec.table, mapping.db_schema, needed)
        self.fields = _Fields(table, spec.columns, start=1)
        self.statement: Select[Any] = (
            select(table.c[child_column], *self.fields.expressions)
            .where(table.c[child_column].in_(bindparam("parents", expanding=True)))
            .order_by(*_ordering(table, spec.order_by))
        )


class TablePlan:
    """Statements and decoders for one mapping: main rows by key, children by join value."""

    def __init__(self, mapping: TableMapping) -> None:
        self.mapping = mapping
        metadata = MetaData()
        join_columns = sorted({p for child in mapping.children.values() for p in child.join})
        needed = {mapping.key.column, *join_columns}
        needed |= {c for s in mapping.columns.values() for c in _spec_columns(s)}
        needed |= {item.partition(" ")[0] for item in mapping.order_by}
        self.table = _table(metadata, mapping.table, mapping.db_schema, needed)
        self.key_expression = type_coerce(
            self.table.c[mapping.key.column], PaddedKey(mapping.key.length)
        )
        self.join_positions = {name: 1 + i for i, name in enumerate(join_columns)}
        self.fields = _Fields(self.table, mapping.columns, start=1 + len(join_columns))
        selected = [self.key_expression, *(self.table.c[c] for c in join_columns)]
        base = select(*selected, *self.fields.expressions)
        order = _ordering(self.table, mapping.order_by)
        self.statement: Select[Any] = base.where(
            self.key_expression.in_(bindparam("keys", expanding=True))
        ).order_by(*order)
        raw_key = self.table.c[mapping.key.column]
        self.keys_first: Select[Any] = select(raw_key).distinct().order_by(raw_key)
        self.keys_after: Select[Any] = self.keys_first.where(raw_key > bindparam("after"))
        self.children = [ChildPlan(metadata, name, mapping) for name in mapping.children]
        self.probe: Select[Any] = select(self.key_expression).limit(1)


def first_invalid(record: dict[str, Any]) -> Invalid | None:
    """The first undecodable value in ``record`` (children included), if any."""
    for value in record.values():
        if type(value) is Invalid:
            return value
        if type(value) is list:
            for child in value:
                found = first_invalid(child)
                if found is not None:
                    return found
    return None
