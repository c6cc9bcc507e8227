"""Work and pensions: benefit claims from the mainframe's EBCDIC batch files, keyed by NINO."""

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

_BENEFITS = {
    "UC": "UNIVERSAL_CREDIT",
    "PIP": "PERSONAL_INDEPENDENCE_PAYMENT",
    "SP": "STATE_PENSION",
    "CB": "CHILD_BENEFIT",
    "ESA": "EMPLOYMENT_AND_SUPPORT_ALLOWANCE",
    "JSA": "JOBSEEKERS_ALLOWANCE",
}
_BENEFIT_NAMES = tuple(_BENEFITS.values())
_STATUSES = {"A": "ACTIVE", "S": "SUSPENDED", "C": "CLOSED", "P": "PENDING"}
_STATUS_NAMES = tuple(_STATUSES.values())


def _statistics_fields(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """The readable statistics fields of one claim record."""
    overpayment = whole_pounds(record.get("OVERPAYMENT"))
    return {
        "benefit_type": _BENEFITS.get(str(record.get("BENEFIT_TYPE") or "").strip(), "OTHER"),
        "claim_status": _STATUSES.get(str(record.get("CLAIM_STATUS") or "").strip(), "OTHER"),
        "postcode": record.get("POSTCODE"),
        "start_date": record.get("START_DATE"),
        "overpaid": "YES" if overpayment > 0 else "NO",
        "overpayment": overpayment,
    }


DEPARTMENT = Department(
    id="benefits",
    name="Work and pensions",
    description="Work and pensions.",
    level="central",
    record_key="National Insurance number (one record per claim)",
    identity=IdentityMapping(
        key="nino",
        surname="SURNAME",
        forenames="FORENAMES",
        date_of_birth="DATE_OF_BIRTH",
        sex="SEX",
        postcode="POSTCODE",
        address_lines="ADDRESS_LINE",
        town="POST_TOWN",
        trust=3,
    ),
    access=AccessPolicy(group="benefits", confidence="P2"),
    record_fields=(
        "NINO",
        "CLAIM_ID",
        "SURNAME",
        "FORENAMES",
        "DATE_OF_BIRTH",
        "SEX",
        "ADDRESS_LINE",
        "POST_TOWN",
        "POSTCODE",
        "BENEFIT_TYPE",
        "CLAIM_STATUS",
        "AWARD_AMOUNT",
    ),
    statistics=StatisticsSpec(
        dimensions=("benefit", "claim_status", "postcode_area"),
        measures=("claimants", "claims", "award_amount"),
        read=_statistics_fields,
        breakdowns=(
            StatisticsDimension(
                "benefit_type", "The benefit claimed.", "benefit_type", values=_BENEFIT_NAMES
            ),
            StatisticsDimension(
                "claim_status", "The claim's status.", "claim_status", values=_STATUS_NAMES
            ),
            StatisticsDimension(
                "postcode_area", "Postcode area of the claim's address.", "postcode", by="area"
            ),
            StatisticsDimension(
                "start_month",
                "Month the claim started (needs a month range).",
                "start_date",
                by="month",
            ),
        ),
        conditions=(
            StatisticsCondition(
                "overpayment",
                "Has a claim with an overpayment still to repay.",
                "overpaid",
                values=("YES",),
            ),
            StatisticsCondition(
                "claims",
                "Has a claim of one of the given benefits (`values`), in any status.",
                "benefit_type",
                choices=_BENEFIT_NAMES,
            ),
            StatisticsCondition(
                "active_claim",
                "Has an active claim (of any benefit).",
                "claim_status",
                values=("ACTIVE",),
            ),
        ),
        sums=(
            StatisticsMeasure("claims", "Benefit claims.", bound=4),
            StatisticsMeasure(
                "overpayment", "Overpayment still to repay, in pounds.", "overpayment", bound=5000
            ),
        ),
    ),
    writes=(
        WriteCommand(
            "change_address",
            "An address-change transaction record appended to the mainframe's input file.",
            address_change=True,
            key_field="nino",
            receiver="the benefits office",
        ),
    ),
    cost=4,
    builtin_fields=("benefits",),
    builtin_node_types=("BenefitClaim",),
    builtin_items=(
        (
            "obligations",
            "BENEFIT_OVERPAYMENT",
            "Benefit paid in error that must be repaid.",
        ),
        ("entitlements", "BENEFIT_PAYMENT", "Next benefit payment."),
    ),
)
