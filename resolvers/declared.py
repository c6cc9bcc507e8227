"""A declared department's records for one citizen, mapped to plain values, and their items.

The department's declaration says how a raw record maps to its record type's values
(``record``), which of them each ``Citizen`` field shows (``select``) and what each record adds
to the cross-department views (``items``). Records a source could only partly serve come with
their errors, reported beside the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from graphql import GraphQLError

from govgraph.departments import CitizenField, Department, Item, ItemRule, all_departments
from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import LegacyError
from resolvers.citizen import load_source
from resolvers.context import RequestContext
from schema.declared import instance, node_key

__all__ = [
    "citizen_field",
    "declared_node",
    "field_values",
    "items",
    "mapped_records",
    "report_error",
]


def report_error(ctx: RequestContext, path: list[str | int] | None, exc: Exception) -> None:
    """Add ``exc`` to the response's errors at ``path`` while the field keeps its data (the
    response's error formatting turns it into a client-safe message and code)."""
    ctx.add_error(GraphQLError(str(exc), path=path, original_error=exc))


async def mapped_records(
    ctx: RequestContext, citizen_id: str, department: Department
) -> tuple[list[dict[str, Any]], list[LegacyError]]:
    """The citizen's records in ``department``, mapped, and the errors of members that failed."""
    rows: list[Any] = []
    errors: list[LegacyError] = []
    for result in await load_source(ctx, citizen_id, department.source_name):
        if isinstance(result, PartialRecords):
            rows.extend(result.records)
            errors.extend(result.errors)
        elif isinstance(result, list):
            rows.extend(result)
        else:
            rows.append(result)
    mapper = department.record
    mapped = [
        dict(mapper(r, ctx.today)) if mapper is not None else dict(r)
        for r in rows
        if isinstance(r, dict)
    ]
    return mapped, errors


async def field_values(
    ctx: RequestContext, citizen_id: str, department: Department, field: CitizenField
) -> tuple[Any, list[LegacyError]]:
    """The value(s) of one declared ``Citizen`` field, and partial errors to report."""
    mapped, errors = await mapped_records(ctx, citizen_id, department)
    return _selected(field, mapped, ctx.today), errors


def _selected(field: CitizenField, mapped: list[dict[str, Any]], today: date) -> Any:
    if field.select is not None:
        return field.select(mapped, today)
    if field.many:
        return mapped
    return mapped[0] if mapped else None


async def items(
    ctx: RequestContext, citizen_id: str, department: Department, view: str
) -> tuple[list[tuple[ItemRule, Item]], list[LegacyError]]:
    """Every item ``department`` adds to ``view`` for the citizen, with its rule."""
    rules = [r for r in department.items if r.view == view]
    if not rules:
        return [], []
    mapped, errors = await mapped_records(ctx, citizen_id, department)
    out: list[tuple[ItemRule, Item]] = []
    for rule in rules:
        records = mapped
        if rule.field:
            field = next(f for f in department.fields if f.name == rule.field)
            value = _selected(field, mapped, ctx.today)
            records = value if isinstance(value, list) else [] if value is None else [value]
        out.extend((rule, item) for record in records for item in rule.produce(record, ctx.today))
    return out, errors


async def citizen_field(
    ctx: RequestContext,
    path: list[str | int],
    citizen_id: str,
    department: Department,
    field: CitizenField,
) -> Any:
    """The objects one declared ``Citizen`` field shows; a failing member of the source is
    reported at ``path`` beside the others' records."""
    values, errors = await field_values(ctx, citizen_id, department, field)
    for error in errors:
        report_error(ctx, path, error)
    if values is None:
        return None
    if field.many:
        return [instance(field.type, v, citizen_id) for v in values]
    return instance(field.type, values, citizen_id)


async def declared_node(
    ctx: RequestContext, type_name: str, citizen_id: str, local: str
) -> Any | None:
    """The declared object ``type_name`` with node key ``local`` of the citizen, if any."""
    key = node_key(type_name)
    for department in all_departments():
        for field in department.fields:
            if field.type != type_name:
                continue
            values, _ = await field_values(ctx, citizen_id, department, field)
            for v in values if isinstance(values, list) else [values]:
                if isinstance(v, Mapping) and str(v.get(key)) == local:
                    return instance(type_name, v, citizen_id)
    return None
