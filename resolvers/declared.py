"""A declared department's records for one citizen, mapped to plain values, and their items.

The department's declaration says how a raw record maps to its record type's values
(``record``), which of them each ``Citizen`` field shows (``select``) and what each record adds
to the cross-department views (``items``). Records a source could only partly serve come with
their errors, reported beside the data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from govgraph.departments import CitizenField, Department, Item, ItemRule
from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import LegacyError
from resolvers.citizen import load_source
from resolvers.context import RequestContext

__all__ = ["field_values", "items", "mapped_records"]


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
