"""Revenue and customs: income tax accounts from the SOAP tax service, keyed by NINO."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from govgraph.departments.model import (
    AccessPolicy,
    CitizenField,
    Department,
    EnumType,
    FieldSpec,
    IdentityMapping,
    Item,
    ItemRule,
    RecordType,
    SavedTable,
    StatisticsCondition,
    StatisticsDimension,
    StatisticsMeasure,
    StatisticsSpec,
    WriteCommand,
)
from govgraph.departments.values import amount, as_date, listed, pounds, text, whole_pounds

REMINDER_DAYS = 60
"""A tax payment due within this many days gets a task."""
RETURN_NEEDED = frozenset({"REQUIRED", "OVERDUE"})
"""Self-assessment statuses that mean a return is to be filed."""

_SELF_ASSESSMENT = (
    ("NOT_REQUIRED", "No return is needed."),
    ("REQUIRED", "A return is needed and not filed."),
    ("FILED", "This year's return has been filed."),
    ("OVERDUE", "The return is late."),
)

_BANDS = ((0, "NONE"), (500, "UP_TO_500"), (2000, "500_TO_2000"), (10000, "2000_TO_10000"))
_BAND_NAMES = (*(name for _, name in _BANDS), "OVER_10000")


_BAND_UPPERS = tuple(upper for upper, _ in _BANDS)
"""A balance of ``owed`` whole pounds is in the first band whose upper bound it does not
exceed: ``_BAND_NAMES[bisect_left(_BAND_UPPERS, owed)]``."""


def _statistics_fields(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The readable statistics fields of one taxpayer record (reads ``Account.Balance`` and
    ``Address.PostCode`` only: the statistics pass asks the service for no more)."""
    account = record.get("Account")
    address = record.get("Address")
    balance = amount(account.get("Balance") if isinstance(account, dict | Mapping) else None)
    owed = max(0, whole_pounds(balance))
    return {
        "balance": balance,
        "balance_owed": owed,
        "owes": "YES" if owed > 0 else "NO",
        "tax_band": _BAND_NAMES[bisect_left(_BAND_UPPERS, owed)],
        "postcode": address.get("PostCode") if isinstance(address, dict | Mapping) else None,
    }


def account_values(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A tax service account as a ``TaxAccount``'s values (payments earliest first)."""
    account = record.get("Account") or {}
    payments: list[dict[str, Any]] = [
        {
            "reference": text(p.get("Reference")),
            "due_date": as_date(p.get("DueDate")) or date.min,
            "amount": amount(p.get("Amount")),
            "description": text(p.get("Description")),
        }
        for p in listed(account.get("PaymentDue"))
    ]
    payments.sort(key=lambda p: p["due_date"])
    status = text(record.get("SelfAssessmentStatus"))
    return {
        "tax_code": text(record.get("TaxCode")),
        "self_assessment_status": (
            status if status in {s for s, _ in _SELF_ASSESSMENT} else "NOT_REQUIRED"
        ),
        "balance_owed": amount(account.get("Balance")),
        "refund_due": amount(account.get("RefundDue")),
        "payments_due": payments,
        "tax_years": [
            {
                "tax_year": text(y.get("Year")),
                "total_income": amount(y.get("TotalIncome")),
                "tax_paid": amount(y.get("TaxPaid")),
                "tax_due": amount(y.get("TaxDue")),
            }
            for y in listed(record.get("TaxYear"))
        ],
    }


def _payments(account: Mapping[str, Any], today: date) -> Iterable[Item]:
    for p in account["payments_due"]:
        yield Item(p["reference"], p["description"] or "Tax payment", p["amount"], p["due_date"])


def _refund(account: Mapping[str, Any], today: date) -> Iterable[Item]:
    if account["refund_due"] > 0:
        yield Item("tax-refund", "Tax refund", account["refund_due"])


def _pay(account: Mapping[str, Any], today: date) -> Iterable[Item]:
    for p in account["payments_due"]:
        if p["due_date"] <= today + timedelta(days=REMINDER_DAYS):
            yield Item(p["reference"], f"Pay {pounds(p['amount'])} tax", p["amount"], p["due_date"])


def _file_return(account: Mapping[str, Any], today: date) -> Iterable[Item]:
    if account["self_assessment_status"] in RETURN_NEEDED:
        deadline = date(today.year + (1 if today.month > 1 else 0), 1, 31)
        yield Item("self-assessment", "File your self-assessment tax return", date=deadline)


DEPARTMENT = Department(
    id="tax",
    name="Revenue and customs",
    description="Revenue and customs.",
    level="central",
    record_key="National Insurance number",
    label="Tax",
    identity=IdentityMapping(
        key="nino",
        surname="Name.FamilyName",
        given_name="Name.GivenName",
        middle_names="Name.MiddleNames",
        date_of_birth="DateOfBirth",
        sex="Sex",
        postcode="Address.PostCode",
        address_lines="Address.Line",
        town="Address.Town",
        trust=1,
    ),
    access=AccessPolicy(group="tax", confidence="P2"),
    record_fields=(
        "Nino",
        "Name",
        "DateOfBirth",
        "Sex",
        "Address",
        "TaxCode",
        "SelfAssessmentStatus",
        "Account",
        "TaxYear",
    ),
    statistics=StatisticsSpec(
        dimensions=("tax_band", "postcode_area"),
        measures=("balance_owed",),
        read=_statistics_fields,
        reads=("Account.Balance", "Address.PostCode"),
        breakdowns=(
            StatisticsDimension(
                "tax_band", "Band of the tax owed.", "tax_band", values=tuple(_BAND_NAMES)
            ),
            StatisticsDimension(
                "postcode_area", "Postcode area of the taxpayer's address.", "postcode", by="area"
            ),
        ),
        conditions=(
            StatisticsCondition("owes", "Owes tax (a balance above nothing).", "owes", ("YES",)),
            StatisticsCondition(
                "tax_band",
                "Owes tax in one of the given bands (`values`).",
                "tax_band",
                choices=tuple(_BAND_NAMES),
            ),
        ),
        sums=(
            StatisticsMeasure("balance_owed", "Tax owed, in pounds.", "balance_owed", bound=20000),
        ),
        tables=(
            SavedTable(
                "tax_balances",
                "Taxpayers by band of tax owed: taxpayers and the sum owed. Placed by the "
                "taxpayer's postcode; the month range does not apply.",
                rows=("tax.tax_band",),
                amount="balance",
                placed=("tax.postcode_area",),
            ),
        ),
    ),
    writes=(
        WriteCommand(
            "change_address",
            "The tax service's address-change operation, one per NINO.",
            address_change=True,
            key_field="nino",
            receiver="the tax office",
        ),
    ),
    cost=10,
    types=(
        EnumType(
            "SelfAssessmentStatus",
            "Whether the citizen must file a self-assessment tax return.",
            _SELF_ASSESSMENT,
        ),
        RecordType(
            "TaxPayment",
            "A tax payment the citizen must make.",
            (
                FieldSpec("reference", "str", "Payment reference to quote."),
                FieldSpec("due_date", "date", "Date by which it must be paid."),
                FieldSpec("amount", "money", "Amount due."),
                FieldSpec("description", "str", "What the payment is for."),
            ),
        ),
        RecordType(
            "TaxYearSummary",
            "Income and tax for one tax year.",
            (
                FieldSpec("tax_year", "str", "Tax year, e.g. `2025-26`."),
                FieldSpec("total_income", "money", "Total taxable income."),
                FieldSpec("tax_paid", "money", "Tax already paid."),
                FieldSpec("tax_due", "money", "Tax charged for the year."),
            ),
        ),
        RecordType(
            "TaxAccount",
            "The citizen's income tax position.",
            (
                FieldSpec("tax_code", "str", "PAYE tax code, e.g. `1257L`."),
                FieldSpec(
                    "self_assessment_status",
                    "SelfAssessmentStatus",
                    "Self-assessment filing status.",
                ),
                FieldSpec("balance_owed", "money", "Total tax currently owed."),
                FieldSpec("refund_due", "money", "Tax to be repaid to the citizen."),
                FieldSpec("payments_due", "[TaxPayment]", "Payments due, earliest first."),
                FieldSpec("tax_years", "[TaxYearSummary]", "Recent tax years."),
            ),
        ),
    ),
    fields=(
        CitizenField(
            "tax",
            "TaxAccount",
            "Income tax: tax code, balance, payments due, recent years.",
            many=False,
        ),
    ),
    record=account_values,
    items=(
        ItemRule("obligations", "TAX_PAYMENT", "A tax payment due.", _payments, field="tax"),
        ItemRule("entitlements", "TAX_REFUND", "Tax to be repaid.", _refund, field="tax"),
        ItemRule("tasks", "PAY_TAX", "Pay tax due.", _pay, field="tax"),
        ItemRule("tasks", "FILE_TAX_RETURN", "File a tax return.", _file_return, field="tax"),
    ),
)
