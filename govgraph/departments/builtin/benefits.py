"""Work and pensions: benefit claims from the mainframe's EBCDIC batch files, keyed by NINO."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
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
from govgraph.departments.values import amount, as_date, listed, text, whole_pounds

_BENEFIT_TYPES = (
    ("UNIVERSAL_CREDIT", "Universal Credit."),
    ("PERSONAL_INDEPENDENCE_PAYMENT", "Personal Independence Payment."),
    ("STATE_PENSION", "State Pension."),
    ("CHILD_BENEFIT", "Child Benefit."),
    ("EMPLOYMENT_AND_SUPPORT_ALLOWANCE", "Employment and Support Allowance."),
    ("JOBSEEKERS_ALLOWANCE", "Jobseeker's Allowance."),
    ("OTHER", "A benefit this API does not name yet."),
)
_CLAIM_STATUSES = (
    ("ACTIVE", "Being paid."),
    ("SUSPENDED", "Payments paused."),
    ("CLOSED", "Ended."),
    ("PENDING", "Awaiting a decision."),
)
_FREQUENCIES = (
    ("WEEKLY", "Every week."),
    ("FORTNIGHTLY", "Every two weeks."),
    ("FOUR_WEEKLY", "Every four weeks."),
    ("MONTHLY", "Every month."),
)
_BENEFIT_CODES = {
    "UC": "UNIVERSAL_CREDIT",
    "PIP": "PERSONAL_INDEPENDENCE_PAYMENT",
    "SP": "STATE_PENSION",
    "CB": "CHILD_BENEFIT",
    "ESA": "EMPLOYMENT_AND_SUPPORT_ALLOWANCE",
    "JSA": "JOBSEEKERS_ALLOWANCE",
}
_STATUS_CODES = {"A": "ACTIVE", "S": "SUSPENDED", "C": "CLOSED", "P": "PENDING"}
_FREQUENCY_CODES = {"W": "WEEKLY", "F": "FORTNIGHTLY", "4": "FOUR_WEEKLY", "M": "MONTHLY"}

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
        "award_amount": amount(record.get("AWARD_AMOUNT")),
    }


_BENEFIT_CODES = {
    "UC": "UNIVERSAL_CREDIT",
    "PIP": "PERSONAL_INDEPENDENCE_PAYMENT",
    "SP": "STATE_PENSION",
    "CB": "CHILD_BENEFIT",
    "ESA": "EMPLOYMENT_AND_SUPPORT_ALLOWANCE",
    "JSA": "JOBSEEKERS_ALLOWANCE",
}
_STATUS_CODES = {"A": "ACTIVE", "S": "SUSPENDED", "C": "CLOSED", "P": "PENDING"}
_FREQUENCY_CODES = {"W": "WEEKLY", "F": "FORTNIGHTLY", "4": "FOUR_WEEKLY", "M": "MONTHLY"}


def claim_values(record: Mapping[str, Any], today: date) -> dict[str, Any]:
    """A claim record of the batch file as a ``BenefitClaim``'s values."""
    payments: list[dict[str, Any]] = [
        {"paid_on": paid_on, "amount": amount(p.get("PAY_AMOUNT"))}
        for p in listed(record.get("PAYMENT"))
        if (paid_on := as_date(p.get("PAY_DATE"))) is not None
    ]
    payments.sort(key=lambda p: p["paid_on"], reverse=True)
    return {
        "reference": text(record.get("CLAIM_ID")),
        "benefit": _BENEFIT_CODES.get(text(record.get("BENEFIT_TYPE")), "OTHER"),
        "status": _STATUS_CODES.get(text(record.get("CLAIM_STATUS")), "PENDING"),
        "award_amount": amount(record.get("AWARD_AMOUNT")),
        "frequency": _FREQUENCY_CODES.get(text(record.get("PAY_FREQUENCY"))),
        "start_date": as_date(record.get("START_DATE")),
        "end_date": as_date(record.get("END_DATE")),
        "next_payment_date": as_date(record.get("NEXT_PAY_DATE")),
        "overpayment": amount(record.get("OVERPAYMENT")),
        "recent_payments": payments,
    }


def _active_first(claims: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    return sorted(claims, key=lambda c: (c["status"] != "ACTIVE", c["reference"]))


def _overpayment(claim: Mapping[str, Any], today: date) -> Iterable[Item]:
    if claim["overpayment"] > 0:
        yield Item(claim["reference"], "Benefit overpayment to repay", claim["overpayment"])


def _next_payment(claim: Mapping[str, Any], today: date) -> Iterable[Item]:
    if claim["status"] == "ACTIVE" and claim["next_payment_date"] is not None:
        benefit = claim["benefit"].replace("_", " ").lower()
        yield Item(
            claim["reference"],
            f"Next {benefit} payment",
            claim["award_amount"],
            claim["next_payment_date"],
        )


DEPARTMENT = Department(
    id="benefits",
    name="Work and pensions",
    description="Work and pensions.",
    level="central",
    record_key="National Insurance number (one record per claim)",
    label="Benefits",
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
        tables=(
            SavedTable(
                "benefit_claims",
                "Benefit claims by benefit and claim status: claimants, claims and the sum of "
                "award amounts. Dated by the claim's start month; placed by the claim's postcode.",
                rows=("benefits.benefit_type",),
                column="benefits.claim_status",
                amount="award_amount",
                dated=("benefits.start_month",),
                placed=("benefits.postcode_area",),
            ),
            SavedTable(
                "unpaid_penalty_and_active_benefit",
                "People with an unpaid penalty notice (open or charge certificate, issued in the "
                "month range) who also have an active benefit claim, by the postcode area of "
                "their claim. Joined across departments through the citizen index.",
                rows=("benefits.postcode_area",),
                where=("benefits.active_claim", "parking.unpaid"),
                dated=("parking.issue_month",),
                placed=("benefits.postcode_area",),
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
    types=(
        EnumType("BenefitType", "Kind of benefit.", _BENEFIT_TYPES),
        EnumType("ClaimStatus", "Where a benefit claim stands.", _CLAIM_STATUSES),
        EnumType("PaymentFrequency", "How often a benefit is paid.", _FREQUENCIES),
        RecordType(
            "BenefitPayment",
            "A benefit payment made to the citizen.",
            (
                FieldSpec("paid_on", "date", "Date of payment."),
                FieldSpec("amount", "money", "Amount paid."),
            ),
        ),
        RecordType(
            "BenefitClaim",
            "A claim for a benefit.",
            (
                FieldSpec("reference", "str", "Claim reference."),
                FieldSpec("benefit", "BenefitType", "Which benefit."),
                FieldSpec("status", "ClaimStatus", "Where the claim stands."),
                FieldSpec("award_amount", "money", "Amount paid each period."),
                FieldSpec("frequency", "PaymentFrequency?", "How often it is paid."),
                FieldSpec("start_date", "date?", "Date the award started."),
                FieldSpec("end_date", "date?", "Date the award ended, if it has."),
                FieldSpec("next_payment_date", "date?", "Date of the next payment."),
                FieldSpec("overpayment", "money", "Amount overpaid that must be repaid."),
                FieldSpec(
                    "recent_payments", "[BenefitPayment]", "Recent payments, most recent first."
                ),
            ),
            node_key="reference",
        ),
    ),
    fields=(
        CitizenField(
            "benefits", "BenefitClaim", "Benefit claims, active ones first.", select=_active_first
        ),
    ),
    record=claim_values,
    items=(
        ItemRule(
            "obligations",
            "BENEFIT_OVERPAYMENT",
            "Benefit paid in error that must be repaid.",
            _overpayment,
        ),
        ItemRule("entitlements", "BENEFIT_PAYMENT", "Next benefit payment.", _next_payment),
    ),
)
