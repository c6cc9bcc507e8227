"""Turning each source's records (readable dicts from its connector) into schema objects.

This is the only place that knows the field names each department's records use.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from strawberry import ID

from govgraph.departments.values import as_date
from govgraph.departments.values import text as _text
from resolvers.ids import encode_id
from schema.common import Money
from schema.departments import (
    BenefitClaim,
    BenefitPayment,
    BenefitType,
    ClaimStatus,
    PaymentFrequency,
    PenaltyNotice,
    PenaltyStatus,
    SelfAssessmentStatus,
    TaxAccount,
    TaxPayment,
    TaxYearSummary,
)

__all__ = [
    "benefit_claim",
    "money",
    "penalty_notice",
    "tax_account",
]

_BENEFIT_TYPES = {
    "UC": BenefitType.UNIVERSAL_CREDIT,
    "PIP": BenefitType.PERSONAL_INDEPENDENCE_PAYMENT,
    "SP": BenefitType.STATE_PENSION,
    "CB": BenefitType.CHILD_BENEFIT,
    "ESA": BenefitType.EMPLOYMENT_AND_SUPPORT_ALLOWANCE,
    "JSA": BenefitType.JOBSEEKERS_ALLOWANCE,
}
_CLAIM_STATUS = {
    "A": ClaimStatus.ACTIVE,
    "S": ClaimStatus.SUSPENDED,
    "C": ClaimStatus.CLOSED,
    "P": ClaimStatus.PENDING,
}
_FREQUENCY = {
    "W": PaymentFrequency.WEEKLY,
    "F": PaymentFrequency.FORTNIGHTLY,
    "4": PaymentFrequency.FOUR_WEEKLY,
    "M": PaymentFrequency.MONTHLY,
}


def money(value: Any) -> Money:
    if value is None:
        return Money(amount=Decimal("0.00"))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("0.00")
    return Money(amount=amount.quantize(Decimal("0.01")))


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def tax_account(rec: dict[str, Any]) -> TaxAccount:
    account = rec.get("Account") or {}
    payments = [
        TaxPayment(
            reference=_text(p.get("Reference")),
            due_date=as_date(p.get("DueDate")) or date.min,
            amount=money(p.get("Amount")),
            description=_text(p.get("Description")),
        )
        for p in _list(account.get("PaymentDue"))
    ]
    payments.sort(key=lambda p: p.due_date)
    years = [
        TaxYearSummary(
            tax_year=_text(y.get("Year")),
            total_income=money(y.get("TotalIncome")),
            tax_paid=money(y.get("TaxPaid")),
            tax_due=money(y.get("TaxDue")),
        )
        for y in _list(rec.get("TaxYear"))
    ]
    try:
        sa_status = SelfAssessmentStatus(_text(rec.get("SelfAssessmentStatus")))
    except ValueError:
        sa_status = SelfAssessmentStatus.NOT_REQUIRED
    return TaxAccount(
        tax_code=_text(rec.get("TaxCode")),
        self_assessment_status=sa_status,
        balance_owed=money(account.get("Balance")),
        refund_due=money(account.get("RefundDue")),
        payments_due=payments,
        tax_years=years,
    )


def benefit_claim(citizen_id: str, rec: dict[str, Any]) -> BenefitClaim:
    reference = _text(rec.get("CLAIM_ID"))
    payments = [
        BenefitPayment(paid_on=d, amount=money(p.get("PAY_AMOUNT")))
        for p in _list(rec.get("PAYMENT"))
        if (d := as_date(p.get("PAY_DATE"))) is not None
    ]
    return BenefitClaim(
        id=ID(encode_id("BenefitClaim", citizen_id, reference)),
        reference=reference,
        benefit=_BENEFIT_TYPES.get(_text(rec.get("BENEFIT_TYPE")), BenefitType.OTHER),
        status=_CLAIM_STATUS.get(_text(rec.get("CLAIM_STATUS")), ClaimStatus.PENDING),
        award_amount=money(rec.get("AWARD_AMOUNT")),
        frequency=_FREQUENCY.get(_text(rec.get("PAY_FREQUENCY"))),
        start_date=as_date(rec.get("START_DATE")),
        end_date=as_date(rec.get("END_DATE")),
        next_payment_date=as_date(rec.get("NEXT_PAY_DATE")),
        overpayment=money(rec.get("OVERPAYMENT")),
        recent_payments=sorted(payments, key=lambda p: p.paid_on, reverse=True),
    )


def penalty_notice(citizen_id: str, rec: dict[str, Any], today: date) -> PenaltyNotice:
    pcn = _text(rec.get("pcn"))
    try:
        status = PenaltyStatus(_text(rec.get("status")))
    except ValueError:
        status = PenaltyStatus.OPEN
    amount = money(rec.get("amount"))
    discount = money(rec.get("discount_amount"))
    deadline = as_date(rec.get("discount_deadline"))
    paid = money(rec.get("paid_amount")).amount
    if status in (PenaltyStatus.OPEN, PenaltyStatus.CHARGE_CERTIFICATE):
        in_discount = deadline is not None and today <= deadline
        due = (discount if in_discount else amount).amount - paid
        amount_due = money(max(due, Decimal("0")))
    else:
        amount_due = money(0)
    issued = rec.get("issued_at")
    return PenaltyNotice(
        id=ID(encode_id("PenaltyNotice", citizen_id, pcn)),
        pcn=pcn,
        authority=_text(rec.get("authority")),
        vehicle_registration=_text(rec.get("vrm")),
        contravention_code=_text(rec.get("contravention_code")),
        contravention=_text(rec.get("contravention")),
        location=rec.get("location"),
        issued_at=issued if isinstance(issued, datetime) else None,
        amount=amount,
        discount_amount=discount,
        discount_deadline=deadline,
        status=status,
        amount_due=amount_due,
    )


def penalty_due_date(notice: PenaltyNotice, today: date) -> date | None:
    """The date by which the amount now due must be paid (28 days from issue after discount)."""
    if notice.discount_deadline is not None and today <= notice.discount_deadline:
        return notice.discount_deadline
    if notice.issued_at is not None:
        return notice.issued_at.date() + timedelta(days=28)
    return None
