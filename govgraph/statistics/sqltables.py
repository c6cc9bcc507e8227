"""Tables computed by a SQL source itself: one ``GROUP BY`` per level of the table."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from govgraph.sources import Source
from govgraph.statistics.tables import CellKey, RowKey, Table, Tally
from legacy_connectors.aggregation import GroupBy, Where

__all__ = ["UNKNOWN", "label", "sql_table"]

UNKNOWN = "unknown"


def label(value: Any) -> str:
    """A group value as a published label."""
    if value is None or value == "":
        return UNKNOWN
    return str(value)


async def sql_table(
    source: Source,
    name: str,
    rows: Sequence[GroupBy],
    col: GroupBy | None,
    where: Sequence[Where],
    amount: str | None = None,
) -> tuple[Table, int]:
    """The table grouped by ``rows`` (and ``col``), and how many statements it took.

    People are the source's distinct keys at every level (each level is its own query).
    """
    sums = [amount] if amount else []
    levels: list[tuple[bool, bool]] = [(True, False), (False, False)]
    if col is not None:
        levels += [(True, True), (False, True)]
    values: dict[CellKey, Tally] = {}
    statements = 0
    for with_rows, with_col in levels:
        groups = [*(rows if with_rows else ()), *([col] if with_col and col else [])]
        found = await source.aggregate(group_by=groups, where=where, sums=sums)
        statements += source.member_count
        width = len(rows) if with_rows else 0
        for agg in found:
            row: RowKey | None = tuple(label(v) for v in agg.groups[:width]) if width else None
            column = label(agg.groups[width]) if with_col else None
            key: CellKey = (row, column)
            total = agg.sums[0] if sums else None
            previous = values.get(key)
            if previous is not None:
                merged_amount = (
                    (previous.amount or Decimal(0)) + (total or Decimal(0)) if sums else None
                )
                values[key] = Tally(
                    previous.people + agg.distinct, previous.records + agg.records, merged_amount
                )
            else:
                values[key] = Tally(agg.distinct, agg.records, total)
    dims = tuple(g.field if g.by == "value" else g.by for g in rows)
    col_dim = None if col is None else (col.field if col.by == "value" else col.by)
    return Table(name, dims, col_dim, values, bool(sums)), statements
