"""Statistical tables before disclosure control: exact counts at every level of a table.

A table has row dimensions and at most one column dimension. Its values are kept for every
interior cell ``(row, column)``, every row total ``(row, None)``, every column total
``(None, column)`` and the grand total ``(None, None)``; a one-way table (no column) has
``(row, None)`` cells and the grand total only. People are counted as distinct at every level,
never by adding the counts of the cells below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["Accumulator", "CellKey", "RowKey", "Table", "Tally"]

RowKey = tuple[str, ...]
CellKey = tuple[RowKey | None, str | None]
"""``(row, column)``; ``None`` stands for the total over that axis."""


@dataclass(frozen=True, slots=True)
class Tally:
    """The exact figures of one cell: distinct people, records and (optionally) money."""

    people: int
    records: int
    amount: Decimal | None = None


@dataclass(slots=True)
class Table:
    """One table of exact tallies (never leaves the engine: publish it through disclosure)."""

    name: str
    row_dims: tuple[str, ...]
    col_dim: str | None
    values: dict[CellKey, Tally] = field(default_factory=dict)
    has_amount: bool = False

    def rows(self) -> list[RowKey]:
        return sorted({k[0] for k in self.values if k[0] is not None})

    def cols(self) -> list[str]:
        return sorted({k[1] for k in self.values if k[1] is not None})

    def get(self, key: CellKey) -> Tally:
        return self.values.get(key) or Tally(0, 0, Decimal("0.00") if self.has_amount else None)


@dataclass(slots=True)
class _Level:
    people: set[str] = field(default_factory=set)
    records: int = 0
    amount: Decimal = Decimal("0.00")


class Accumulator:
    """Builds a :class:`Table` from individual records, counting distinct people per level."""

    def __init__(self, name: str, row_dims: tuple[str, ...], col_dim: str | None, *, amount: bool):
        self.name = name
        self.row_dims = row_dims
        self.col_dim = col_dim
        self.amount = amount
        self._levels: dict[CellKey, _Level] = {}

    def add(
        self,
        row: RowKey,
        col: str | None,
        person: str,
        amount: Decimal | None = None,
        *,
        records: int = 1,
    ) -> None:
        """Count ``records`` records of ``person`` (with their ``amount``) in the cell."""
        keys: list[CellKey] = [(row, None), (None, None)]
        if self.col_dim is not None:
            keys += [(row, col), (None, col)]
        for key in keys:
            level = self._levels.get(key)
            if level is None:
                level = self._levels[key] = _Level()
            level.people.add(person)
            level.records += records
            if amount is not None:
                level.amount += amount

    def table(self) -> Table:
        values = {
            key: Tally(len(lv.people), lv.records, lv.amount if self.amount else None)
            for key, lv in self._levels.items()
        }
        return Table(self.name, self.row_dims, self.col_dim, values, self.amount)
