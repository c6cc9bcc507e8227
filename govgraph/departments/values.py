"""Small readers for declarations' record mappings: text, dates, amounts and lists from the
loosely typed values legacy records carry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["amount", "as_date", "listed", "pounds", "text", "whole_pounds"]


def text(value: Any) -> str:
    """The value as stripped text (empty for ``None``)."""
    return "" if value is None else str(value).strip()


def as_date(value: Any) -> date | None:
    """A date from a date, a datetime, an ISO string or a ``YYYYMMDD`` integer; 0 or blank is
    none."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    try:
        if raw.isdigit() and len(raw) == 8:
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        return date.fromisoformat(raw[:10])
    except ValueError:
        return None


def amount(value: Any) -> Decimal:
    """A decimal amount (zero when absent or unreadable)."""
    if value is None:
        return Decimal("0")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return Decimal("0")


def whole_pounds(value: Any) -> int:
    """An amount rounded to whole pounds, half to even (zero when absent or unreadable)."""
    if type(value) is int:
        return value
    number = amount(value)
    return round(number) if number.is_finite() else 0


def listed(value: Any) -> list[Any]:
    """A list from a list, a single value, or ``None``."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def pounds(value: Decimal) -> str:
    """An amount as the schema's ``Money.formatted`` shows it, e.g. ``£1,234.50``."""
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.2f}"
