"""Revenue and customs: income tax accounts from the SOAP tax service, keyed by NINO."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from govgraph.departments.model import (
    AccessPolicy,
    Department,
    IdentityMapping,
    StatisticsCondition,
    StatisticsDimension,
    StatisticsMeasure,
    StatisticsSpec,
    WriteCommand,
)
from govgraph.departments.values import whole_pounds

_BANDS = ((0, "NONE"), (500, "UP_TO_500"), (2000, "500_TO_2000"), (10000, "2000_TO_10000"))
_BAND_NAMES = (*(name for _, name in _BANDS), "OVER_10000")


def _band(owed: int) -> str:
    for upper, name in _BANDS:
        if owed <= upper:
            return name
    return _BAND_NAMES[-1]


def _statistics_fields(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The readable statistics fields of one taxpayer record."""
    account = record.get("Account") or {}
    address = record.get("Address") or {}
    owed = max(0, whole_pounds(account.get("Balance") if isinstance(account, Mapping) else None))
    return {
        "balance_owed": owed,
        "owes": "YES" if owed > 0 else "NO",
        "tax_band": _band(owed),
        "postcode": address.get("PostCode") if isinstance(address, Mapping) else None,
    }


DEPARTMENT = Department(
    id="tax",
    name="Revenue and customs",
    description="Revenue and customs.",
    level="central",
    record_key="National Insurance number",
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
    builtin_fields=("tax",),
    builtin_items=(
        ("obligations", "TAX_PAYMENT", "A tax payment due."),
        ("entitlements", "TAX_REFUND", "Tax to be repaid."),
        ("tasks", "PAY_TAX", "Pay tax due."),
        ("tasks", "FILE_TAX_RETURN", "File a tax return."),
    ),
)
