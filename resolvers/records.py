"""Money values for the schema from the loosely typed amounts records and declarations carry."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from schema.common import Money

__all__ = ["money"]


def money(value: Any) -> Money:
    """``Money`` of ``value`` to the penny (zero when absent or unreadable)."""
    if value is None:
        return Money(amount=Decimal("0.00"))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("0.00")
    return Money(amount=amount.quantize(Decimal("0.01")))
