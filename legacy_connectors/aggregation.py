"""The vocabulary of aggregate queries a connector may answer: groups, conditions, results."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

__all__ = ["Aggregate", "GroupBy", "GroupKind", "Where"]

GroupKind = Literal["value", "month", "area"]
"""How a field groups: by its value, the month of a date, or the area of a postcode."""


@dataclass(frozen=True, slots=True)
class GroupBy:
    """Group by a readable field: its value, the month of a date, or the area of a postcode."""

    field: str
    by: GroupKind = "value"


@dataclass(frozen=True, slots=True)
class Where:
    """A condition on a readable field: one of ``values``, or a month range (``YYYY-MM``).

    For an ``area`` condition ``values`` are postcode areas (the leading letters, e.g. ``SW``).
    """

    field: str
    values: tuple[str, ...] = ()
    by: GroupKind = "value"
    months: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One group: its readable group values, rows, distinct keys and sums of amount fields."""

    groups: tuple[Any, ...]
    records: int
    distinct: int
    """Distinct keys of the source in the group (within one database)."""
    sums: tuple[Decimal, ...]
