"""Named tables: saved table requests of the catalogue, counted where the data lives.

A named table (:class:`~govgraph.departments.SavedTable`, declared by a department) is computed
from the same declarations as a table request: its lead department's records are grouped by the
table's dimensions (one ``GROUP BY`` of the key and the dimensions, or the cached full pass of a
batch file or a paged service), the other departments it names only narrow the population
(their keys, joined through the citizen index), and the result is a
:class:`~govgraph.statistics.tables.Table` of exact people, records and amounts at every level,
published only through :func:`~govgraph.statistics.disclosure.protect`.
"""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

from govgraph.departments import StatisticsDimension
from govgraph.statistics import cross
from govgraph.statistics.builder import TableBuilder, meets, month_label
from govgraph.statistics.filters import StatisticsFilter, add_months, month_of, postcode_area
from govgraph.statistics.requests import SavedPart, SavedPlan
from govgraph.statistics.tables import Accumulator, Table
from legacy_connectors.aggregation import GroupBy, Where

__all__ = ["label", "month_range", "saved_table"]

UNKNOWN = "unknown"
"""The label of a missing value in a named table."""

Group = tuple[str, tuple[str, ...], int, Decimal]
"""One group of a department's records: key, dimension labels, records, amount."""


def month_range(plan: SavedPlan, flt: StatisticsFilter, today: date) -> tuple[str, str] | None:
    """The months the table's dates must fall in: the filter's, or the table's window."""
    window = plan.table.window
    if window is None:
        return flt.months
    start = flt.from_month or month_of(today)
    return start, flt.to_month or add_months(start, window - 1)


def label(value: Any) -> str:
    """A value as a published label."""
    if value is None or value == "":
        return UNKNOWN
    return str(value)


def _label(dim: StatisticsDimension, value: Any) -> str:
    if dim.by == "month":
        return label(month_label(value))
    if dim.by == "area":
        return label(postcode_area(str(value or "")))
    return label(value)


def _amount(value: Any) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value or 0))
    except ArithmeticError:
        return Decimal("0")


def _wheres(part: SavedPart, flt: StatisticsFilter) -> list[Where]:
    out: list[Where] = []
    for cond in part.conditions:
        if cond.values:
            out.append(Where(cond.field, cond.values))
        out.extend(Where(f, values) for f, values in cond.also)
    if flt.postcode_areas:
        out.extend(Where(f, flt.postcode_areas, by="area") for f in part.placed)
    return out


def _alternatives(part: SavedPart, months: tuple[str, str] | None) -> list[Where | None]:
    """The month conditions of which a record meets at least one (``[None]``: no range)."""
    if months is None or not part.dated:
        return [None]
    return [Where(f, months=months) for f in part.dated]


async def _groups(
    builder: TableBuilder,
    part: SavedPart,
    flt: StatisticsFilter,
    months: tuple[str, str] | None,
    amount: str | None,
) -> list[Group]:
    """The lead department's records meeting the part's conditions, grouped by key and labels."""
    d = part.department
    spec = d.statistics
    wheres = _wheres(part, flt)
    alternatives = _alternatives(part, months)
    dims = part.dimensions
    out: list[Group] = []
    if spec.read is not None:
        for key, row in await builder._rows(d):
            if not all(meets(row, w) for w in wheres):
                continue
            if not any(alt is None or meets(row, alt) for alt in alternatives):
                continue
            labels = tuple(_label(dim, row.get(dim.field)) for dim in dims)
            value = _amount(row.get(amount)) if amount else Decimal("0")
            out.append((key, labels, 1, value))
        return out
    source = builder.service.source(d.source_name)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for alt in alternatives:
        found = await source.aggregate(
            group_by=[GroupBy(spec.key_field), *(GroupBy(dim.field, dim.by) for dim in dims)],
            where=[*wheres, *([alt] if alt is not None else [])],
            sums=[amount] if amount else [],
            collection=spec.collection,
        )
        builder.service.count(d.source_name, source.member_count)
        for agg in found:
            key = str(agg.groups[0] or "").strip()
            labels = tuple(_label(dim, v) for dim, v in zip(dims, agg.groups[1:], strict=True))
            if not key or (key, labels) in seen:
                continue
            seen.add((key, labels))
            out.append((key, labels, agg.records, _amount(agg.sums[0]) if amount else Decimal(0)))
    return out


async def _keys(
    builder: TableBuilder, part: SavedPart, flt: StatisticsFilter, months: tuple[str, str] | None
) -> set[str]:
    """Keys of a department that only narrows the population."""
    d = part.department
    if d.statistics.read is not None:
        return {key for key, _, _, _ in await _groups(builder, part, flt, months, None)}
    source = builder.service.source(d.source_name)
    wheres = _wheres(part, flt)
    keys: set[str] = set()
    for alt in _alternatives(part, months):
        found = await source.distinct_keys(
            where=[*wheres, *([alt] if alt is not None else [])],
            collection=d.statistics.collection,
        )
        builder.service.count(d.source_name, source.member_count)
        keys.update(k for k in (str(k or "").strip() for k in found) if k)
    return keys


async def saved_table(builder: TableBuilder, plan: SavedPlan, flt: StatisticsFilter) -> Table:
    """The exact tallies of named table ``plan`` under ``flt`` (never publish these)."""
    table = plan.table
    service = builder.service
    months = month_range(plan, flt, service.today())
    lead = plan.parts[plan.lead.id]
    heads = [dim.name for dim in lead.dimensions]
    width = len(table.rows)
    acc = Accumulator(
        table.name,
        tuple(heads[:width]),
        heads[width] if table.column else None,
        amount=table.amount is not None,
    )
    others = [p for p in plan.parts.values() if p is not lead]
    groups, narrowing = await asyncio.gather(
        _groups(builder, lead, flt, months, table.amount),
        asyncio.gather(*(_keys(builder, p, flt, months) for p in others)),
    )

    def cell(labels: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
        return labels[:width], labels[width] if table.column else None

    if not others:
        for key, labels, records, amount in groups:
            row, col = cell(labels)
            acc.add(row, col, key, amount if table.amount else None, records=records)
        return acc.table()
    citizens = await cross.citizens_for(
        service, plan.lead.source_name, sorted({g[0] for g in groups})
    )
    population = set(citizens.values())
    for part, keys in zip(others, narrowing, strict=True):
        found = await cross.citizens_for(service, part.department.source_name, sorted(keys))
        population &= set(found.values())
    counted: set[tuple[str, tuple[str, ...]]] = set()
    for key, labels, _, _ in groups:
        citizen = citizens.get(key)
        if citizen is None or citizen not in population or (citizen, labels) in counted:
            continue
        counted.add((citizen, labels))
        row, col = cell(labels)
        acc.add(row, col, citizen)
    return acc.table()
