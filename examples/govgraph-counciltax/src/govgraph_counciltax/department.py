"""The council tax department, declared once: identity for linkage, its bills in the schema,
what they add to the citizen's obligations and tasks. Access is the default policy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from govgraph.departments import (
    CitizenField,
    Department,
    EnumType,
    FieldSpec,
    Identifier,
    IdentityMapping,
    Item,
    ItemRule,
    RecordType,
    StatisticsSpec,
)

__all__ = ["COLUMNS", "DEPARTMENT", "bill_values"]

COLUMNS = (
    "account_ref",
    "council",
    "surname",
    "forenames",
    "date_of_birth",
    "address_line1",
    "town",
    "postcode",
    "band",
    "financial_year",
    "annual_charge",
    "balance_due",
    "next_instalment_date",
    "next_instalment_amount",
    "status",
)
"""The columns of the councils' CSV export, in order."""

_BANDS = tuple((band, f"Valuation band {band}.") for band in "ABCDEFGH")
_STATUSES = (
    ("PAID_UP", "Nothing is owed for the year so far."),
    ("INSTALMENTS", "Being paid by instalments, on time."),
    ("ARREARS", "Instalments are overdue; the council may issue a reminder or summons."),
)


def _amount(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def bill_values(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """One CSV row as a ``CouncilTaxBill``'s values."""
    status = str(record.get("status") or "").upper()
    band = str(record.get("band") or "").upper()
    return {
        "account_reference": record.get("account_ref") or "",
        "council": record.get("council") or "",
        "property_address": {
            "lines": [record.get("address_line1") or ""],
            "town": record.get("town"),
            "postcode": record.get("postcode"),
        },
        "band": band if band in "ABCDEFGH" and band else None,
        "financial_year": record.get("financial_year") or "",
        "annual_charge": _amount(record.get("annual_charge")) or Decimal(0),
        "balance_due": _amount(record.get("balance_due")) or Decimal(0),
        "next_instalment_date": record.get("next_instalment_date"),
        "next_instalment_amount": _amount(record.get("next_instalment_amount")),
        "status": status if status in {s for s, _ in _STATUSES} else "INSTALMENTS",
    }


def _owed(bill: Mapping[str, Any], today: date) -> Iterable[Item]:
    if bill["balance_due"] > 0:
        yield Item(
            reference=bill["account_reference"],
            description=f"Council tax {bill['financial_year']} ({bill['council']})",
            amount=bill["balance_due"],
            date=bill["next_instalment_date"],
        )


def _arrears(bill: Mapping[str, Any], today: date) -> Iterable[Item]:
    if bill["status"] == "ARREARS" and bill["balance_due"] > 0:
        yield Item(
            reference=bill["account_reference"],
            description=f"Pay your council tax arrears to {bill['council']}",
            amount=bill["balance_due"],
            date=bill["next_instalment_date"],
        )


DEPARTMENT = Department(
    id="counciltax",
    name="Council tax",
    description="Local councils' council tax.",
    level="local",
    record_key="council tax account number",
    identifiers=(Identifier("counciltax_account", "council tax account number", r"CT\d{8}"),),
    identity=IdentityMapping(
        key="counciltax_account",
        surname="surname",
        forenames="forenames",
        date_of_birth="date_of_birth",
        postcode="postcode",
        address_lines="address_line1",
        town="town",
    ),
    record_fields=COLUMNS,
    types=(
        EnumType("CouncilTaxBand", "A property's council tax valuation band.", _BANDS),
        EnumType("CouncilTaxStatus", "Where a council tax account stands.", _STATUSES),
        RecordType(
            "CouncilTaxBill",
            "A council tax bill for a property the citizen is liable for.",
            (
                FieldSpec(
                    "account_reference",
                    "str",
                    "The council tax account number to quote, e.g. `CT10293847`.",
                ),
                FieldSpec("council", "str", "The council that sends the bill."),
                FieldSpec("property_address", "address", "The property the bill is for."),
                FieldSpec("band", "CouncilTaxBand?", "The property's valuation band."),
                FieldSpec("financial_year", "str", "The year billed, e.g. `2026-27`."),
                FieldSpec("annual_charge", "money", "The charge for the whole year."),
                FieldSpec("balance_due", "money", "What is owed now for the year."),
                FieldSpec(
                    "next_instalment_date", "date?", "When the next instalment is due, if any."
                ),
                FieldSpec("next_instalment_amount", "money?", "The next instalment's amount."),
                FieldSpec("status", "CouncilTaxStatus", "Where the account stands."),
            ),
            node_key="account_reference",
        ),
    ),
    fields=(
        CitizenField(
            "council_tax",
            "CouncilTaxBill",
            "Council tax bills from the councils whose export is connected, for properties "
            "the citizen is liable for. Null, with an error naming the service, when the export "
            "cannot be read.",
        ),
    ),
    record=bill_values,
    items=(
        ItemRule("obligations", "COUNCIL_TAX", "Council tax owed for a property.", _owed),
        ItemRule("tasks", "PAY_COUNCIL_TAX", "Pay council tax arrears.", _arrears),
    ),
    statistics=StatisticsSpec(
        dimensions=("council", "band", "status"), measures=("accounts", "balance_due")
    ),
    cost=2,
)
