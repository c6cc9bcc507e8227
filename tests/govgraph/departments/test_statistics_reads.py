"""The built-in departments' statistics readers: whole pounds, bands and the fields they read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from govgraph.departments import departments
from govgraph.departments.values import whole_pounds


@pytest.mark.parametrize(
    ("value", "pounds"),
    [
        (Decimal("2.50"), 2),
        (Decimal("3.50"), 4),
        (Decimal("-2.50"), -2),
        (Decimal("0.49"), 0),
        ("10000.51", 10001),
        (7, 7),
        (None, 0),
        ("not money", 0),
        (Decimal("NaN"), 0),
        (Decimal("Infinity"), 0),
        (Decimal("123456789012345678901234567890.5"), 123456789012345678901234567890),
    ],
)
def test_whole_pounds_round_half_to_even(value: Any, pounds: int) -> None:
    """Half a pound goes to the even pound; what is not a finite amount is zero."""
    assert whole_pounds(value) == pounds


def _tax(balance: Any, postcode: Any = "SW1A 1AA") -> dict[str, Any]:
    return {"Nino": "AA000001A", "Account": {"Balance": balance}, "Address": {"PostCode": postcode}}


@pytest.mark.parametrize(
    ("balance", "band", "owed"),
    [
        (Decimal("-12.00"), "NONE", 0),
        (Decimal("0.49"), "NONE", 0),
        (Decimal("0.50"), "NONE", 0),
        (Decimal("0.51"), "UP_TO_500", 1),
        (Decimal("500.00"), "UP_TO_500", 500),
        (Decimal("500.50"), "UP_TO_500", 500),
        (Decimal("500.51"), "500_TO_2000", 501),
        (Decimal("2000.00"), "500_TO_2000", 2000),
        (Decimal("2000.99"), "2000_TO_10000", 2001),
        (Decimal("10000.00"), "2000_TO_10000", 10000),
        (Decimal("10000.50"), "2000_TO_10000", 10000),
        (Decimal("10001.00"), "OVER_10000", 10001),
    ],
)
def test_a_tax_balance_falls_in_the_band_of_its_whole_pounds(
    balance: Decimal, band: str, owed: int
) -> None:
    """Each band holds the whole pounds owed up to its upper bound, inclusive."""
    read = departments()["tax"].statistics.read
    assert read is not None
    fields = read(_tax(balance))
    assert (fields["tax_band"], fields["balance_owed"], fields["balance"]) == (band, owed, balance)
    assert fields["owes"] == ("YES" if owed > 0 else "NO")


def test_the_tax_reader_needs_only_the_fields_it_declares() -> None:
    """The tax reader gives the same from a record cut down to its declared ``reads`` as from a
    whole one, and treats a record without an account or address as owing nothing, nowhere."""
    spec = departments()["tax"].statistics
    assert spec.read is not None and spec.reads
    whole = {
        **_tax(Decimal("812.40"), "NB20 4LX"),
        "Name": {"GivenName": "Isla"},
        "TaxYear": [{"Year": "2025-26", "TaxDue": Decimal("1.00")}],
    }
    whole["Account"]["RefundDue"] = Decimal("3.00")
    assert spec.read(_tax(Decimal("812.40"), "NB20 4LX")) == spec.read(whole)
    empty = spec.read({"Nino": "AA000001A", "Account": None, "Address": None})
    assert (empty["tax_band"], empty["postcode"], empty["balance"]) == ("NONE", None, Decimal(0))
