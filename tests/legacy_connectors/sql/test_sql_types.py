"""Legacy value converters: padding, CYYMMDD and YYYYMMDD dates, pence, codes, text dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from legacy_connectors.sql import ColumnSpec, KeySpec
from legacy_connectors.sql.types import Invalid, converter, key_normaliser


def _convert(value: Any, **spec: Any) -> Any:
    return converter(ColumnSpec(column="C", **spec), "field")(value)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [(1250131, date(2025, 1, 31)), (991231, date(1999, 12, 31)), ("0010101", date(1901, 1, 1))],
)
def test_cyymmdd(stored: Any, expected: date) -> None:
    """CYYMMDD: the century digit 0 is 19xx, 1 is 20xx; text digits are accepted."""
    assert _convert(stored, type="cyymmdd") == expected


@pytest.mark.parametrize("stored", [0, "00000000", "        ", None])
def test_blank_dates_are_none(stored: Any) -> None:
    """Zero, blank and NULL legacy dates read as None."""
    assert _convert(stored, type="yyyymmdd") is None
    if stored != "        ":
        assert _convert(stored, type="cyymmdd") is None


def test_yyyymmdd_text_and_int() -> None:
    """YYYYMMDD reads from integers and from CHAR(8) text."""
    assert _convert(20240229, type="yyyymmdd") == date(2024, 2, 29)
    assert _convert("20240229", type="yyyymmdd") == date(2024, 2, 29)


def test_impossible_date_is_invalid_not_raised() -> None:
    """A stored date that does not exist becomes an Invalid marker naming the field."""
    result = _convert(1250231, type="cyymmdd")
    assert isinstance(result, Invalid) and "field" in result.reason


def test_char_padding_is_trimmed_and_blank_is_none() -> None:
    """CHAR values lose their trailing padding; an all-blank value is None."""
    assert _convert("SMITH     ", type="char") == "SMITH"
    assert _convert("     ", type="char") is None


def test_decimal_scales_and_quantises() -> None:
    """Integer pence with scale 2 become pounds; floats and text read exactly to two places."""
    assert _convert(7050, type="decimal", scale=2) == Decimal("70.50")
    assert _convert(35.5, type="decimal") == Decimal("35.50")
    assert _convert("70.00", type="decimal") == Decimal("70.00")


def test_code_maps_trimmed_values() -> None:
    """Codes are matched as trimmed text (integers too); an unknown code is Invalid."""
    assert _convert("PD ", type="code", values={"PD": "PAID"}) == "PAID"
    assert _convert(20, type="code", values={"20": "PAID"}) == "PAID"
    unknown = _convert("ZZ", type="code", values={"PD": "PAID"})
    assert isinstance(unknown, Invalid) and "'ZZ'" in unknown.reason


def test_text_dates_with_format() -> None:
    """date and datetime read text with a strptime format, or ISO text without one."""
    assert _convert("15/12/2025", type="date", format="%d/%m/%Y") == date(2025, 12, 15)
    assert _convert("20251201093005", type="datetime", format="%Y%m%d%H%M%S") == datetime(
        2025, 12, 1, 9, 30, 5
    )
    assert _convert("2025-12-01 09:30:05.000000", type="datetime") == datetime(
        2025, 12, 1, 9, 30, 5
    )


def test_pattern_regroups_text() -> None:
    """pattern/replace reshape text after trimming, e.g. a VRM stored without its space."""
    spec = {"type": "char", "pattern": "^(.{4})(.{3})$", "replace": "\\1 \\2"}
    assert _convert("AB12CDE", **spec) == "AB12 CDE"


def test_key_normaliser_is_idempotent() -> None:
    """Requested and stored keys meet in one form, and normalising twice changes nothing."""
    spec = KeySpec(
        column="VRM",
        transforms=["strip", "upper", "remove_spaces"],
        pattern="^(.{4})(.{3})$",
        replace="\\1 \\2",
    )
    normalise = key_normaliser(spec)
    assert normalise(" ab12cde ") == "AB12 CDE"
    assert normalise(normalise("ab12 cde")) == "AB12 CDE"
