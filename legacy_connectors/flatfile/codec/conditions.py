"""Level-88 condition names: which named value (``CS-ACTIVE``) a decoded field holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

__all__ = ["condition_matcher"]


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, str):
        return isinstance(wanted, str) and value.strip() == wanted.strip()
    if isinstance(value, int | Decimal) and isinstance(wanted, int | Decimal):
        return Decimal(value) == Decimal(wanted)
    return False


def _within(value: Any, low: Any, high: Any) -> bool:
    if isinstance(value, str) and isinstance(low, str) and isinstance(high, str):
        return low.strip() <= value.strip() <= high.strip()
    if (
        isinstance(value, int | Decimal)
        and isinstance(low, int | Decimal)
        and isinstance(high, int | Decimal)
    ):
        return Decimal(low) <= Decimal(value) <= Decimal(high)
    return False


def condition_matcher(conditions: Mapping[str, list[Any]]) -> Callable[[Any], str | None]:
    """A function giving the first condition name (``-`` as ``_``) that a value meets."""
    table = [(name.replace("-", "_"), values) for name, values in conditions.items()]

    def match(value: Any) -> str | None:
        if value is None:
            return None
        for name, values in table:
            for wanted in values:
                if isinstance(wanted, tuple):
                    if _within(value, wanted[0], wanted[1]):
                        return name
                elif _same(value, wanted):
                    return name
        return None

    return match
