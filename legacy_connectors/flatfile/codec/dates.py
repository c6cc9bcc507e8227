"""Legacy date layouts (YYMMDD, CYYMMDD, YYYYMMDD, Julian YYDDD and CYYDDD) to and from dates.

All-zero values and LOW-VALUES mean "no date" and give ``None``. Two-digit years use a
sliding window: ``YY < pivot`` is 20YY, otherwise 19YY. In the ``C`` layouts the century digit
is 0 for 19xx, 1 for 20xx, 2 for 21xx.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Literal

from legacy_connectors.flatfile.errors import FieldDecodeError

__all__ = ["DATE_FORMATS", "DateFormat", "date_converter", "date_to_number", "number_to_date"]

DateFormat = Literal["YYMMDD", "CYYMMDD", "YYYYMMDD", "YYDDD", "CYYDDD"]
DATE_FORMATS: tuple[str, ...] = ("YYMMDD", "CYYMMDD", "YYYYMMDD", "YYDDD", "CYYDDD")
_PIVOT = 50


def number_to_date(value: Any, fmt: str, pivot: int = _PIVOT) -> date | None:
    """Convert a decoded field value (int, Decimal or digit string) to a date."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text or set(text) <= {"0", "\x00"}:
            return None
        if not text.isdigit():
            raise FieldDecodeError(f"{fmt} date is not all digits")
        n = int(text)
    else:
        n = int(value)
    if n == 0:
        return None
    if n < 0:
        raise FieldDecodeError(f"{fmt} date is negative")
    try:
        if fmt == "YYYYMMDD":
            return date(n // 10000, n // 100 % 100, n % 100)
        if fmt in ("YYMMDD", "CYYMMDD"):
            yy = n // 10000 % 100
            century = (19 + n // 1000000) if fmt == "CYYMMDD" else (20 if yy < pivot else 19)
            return date(century * 100 + yy, n // 100 % 100, n % 100)
        if fmt in ("YYDDD", "CYYDDD"):
            yy = n // 1000 % 100
            century = (19 + n // 100000) if fmt == "CYYDDD" else (20 if yy < pivot else 19)
            day = n % 1000
            year = century * 100 + yy
            if not 1 <= day <= (366 if _leap(year) else 365):
                raise ValueError("day of year out of range")
            return date(year, 1, 1) + timedelta(days=day - 1)
    except ValueError as exc:
        raise FieldDecodeError(f"not a valid {fmt} date") from exc
    raise FieldDecodeError(f"unknown date format {fmt}")


def date_converter(fmt: str, pivot: int = _PIVOT) -> Callable[[Any], date | None]:
    """A fast converter for one layout (falls back to :func:`number_to_date` on odd input)."""
    make = date

    if fmt == "YYYYMMDD":

        def ymd(value: Any) -> date | None:
            if type(value) is int and value > 0:
                try:
                    return make(value // 10000, value // 100 % 100, value % 100)
                except ValueError:
                    pass
            return number_to_date(value, fmt, pivot)

        return ymd
    if fmt == "CYYMMDD":

        def cymd(value: Any) -> date | None:
            if type(value) is int and value > 0:
                try:
                    return make(1900 + value // 10000, value // 100 % 100, value % 100)
                except ValueError:
                    pass
            return number_to_date(value, fmt, pivot)

        return cymd

    def other(value: Any) -> date | None:
        return number_to_date(value, fmt, pivot)

    return other


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def date_to_number(value: date | None, fmt: str) -> int:
    """The number a date is stored as in ``fmt`` (0 for no date)."""
    if value is None:
        return 0
    y, m, d = value.year, value.month, value.day
    if fmt == "YYYYMMDD":
        return y * 10000 + m * 100 + d
    if fmt == "YYMMDD":
        return (y % 100) * 10000 + m * 100 + d
    if fmt == "CYYMMDD":
        return (y // 100 - 19) * 1000000 + (y % 100) * 10000 + m * 100 + d
    doy = value.timetuple().tm_yday
    if fmt == "YYDDD":
        return (y % 100) * 1000 + doy
    if fmt == "CYYDDD":
        return (y // 100 - 19) * 100000 + (y % 100) * 1000 + doy
    raise ValueError(f"unknown date format {fmt}")
