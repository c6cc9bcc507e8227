"""What each part of government holds about a citizen, in the citizen's terms."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from schema.common import Money, Node

__all__ = [
    "BenefitClaim",
    "BenefitPayment",
    "BenefitType",
    "ClaimStatus",
    "PaymentFrequency",
    "PenaltyNotice",
    "PenaltyStatus",
    "SelfAssessmentStatus",
    "TaxAccount",
    "TaxPayment",
    "TaxYearSummary",
]


@strawberry.enum(description="Whether the citizen must file a self-assessment tax return.")
class SelfAssessmentStatus(Enum):
    NOT_REQUIRED = strawberry.enum_value("NOT_REQUIRED", description="No return is needed.")
    REQUIRED = strawberry.enum_value("REQUIRED", description="A return is needed and not filed.")
    FILED = strawberry.enum_value("FILED", description="This year's return has been filed.")
    OVERDUE = strawberry.enum_value("OVERDUE", description="The return is late.")


@strawberry.type(description="A tax payment the citizen must make.")
class TaxPayment:
    reference: str = strawberry.field(description="Payment reference to quote.")
    due_date: date = strawberry.field(description="Date by which it must be paid.")
    amount: Money = strawberry.field(description="Amount due.")
    description: str = strawberry.field(description="What the payment is for.")


@strawberry.type(description="Income and tax for one tax year.")
class TaxYearSummary:
    tax_year: str = strawberry.field(description="Tax year, e.g. `2025-26`.")
    total_income: Money = strawberry.field(description="Total taxable income.")
    tax_paid: Money = strawberry.field(description="Tax already paid.")
    tax_due: Money = strawberry.field(description="Tax charged for the year.")


@strawberry.type(description="The citizen's income tax position.")
class TaxAccount:
    tax_code: str = strawberry.field(description="PAYE tax code, e.g. `1257L`.")
    self_assessment_status: SelfAssessmentStatus = strawberry.field(
        description="Self-assessment filing status."
    )
    balance_owed: Money = strawberry.field(description="Total tax currently owed.")
    refund_due: Money = strawberry.field(description="Tax to be repaid to the citizen.")
    payments_due: list[TaxPayment] = strawberry.field(description="Payments due, earliest first.")
    tax_years: list[TaxYearSummary] = strawberry.field(description="Recent tax years.")


@strawberry.enum(description="Kind of benefit.")
class BenefitType(Enum):
    UNIVERSAL_CREDIT = strawberry.enum_value("UNIVERSAL_CREDIT", description="Universal Credit.")
    PERSONAL_INDEPENDENCE_PAYMENT = strawberry.enum_value(
        "PERSONAL_INDEPENDENCE_PAYMENT", description="Personal Independence Payment."
    )
    STATE_PENSION = strawberry.enum_value("STATE_PENSION", description="State Pension.")
    CHILD_BENEFIT = strawberry.enum_value("CHILD_BENEFIT", description="Child Benefit.")
    EMPLOYMENT_AND_SUPPORT_ALLOWANCE = strawberry.enum_value(
        "EMPLOYMENT_AND_SUPPORT_ALLOWANCE", description="Employment and Support Allowance."
    )
    JOBSEEKERS_ALLOWANCE = strawberry.enum_value(
        "JOBSEEKERS_ALLOWANCE", description="Jobseeker's Allowance."
    )
    OTHER = strawberry.enum_value("OTHER", description="A benefit this API does not name yet.")


@strawberry.enum(description="Where a benefit claim stands.")
class ClaimStatus(Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Being paid.")
    SUSPENDED = strawberry.enum_value("SUSPENDED", description="Payments paused.")
    CLOSED = strawberry.enum_value("CLOSED", description="Ended.")
    PENDING = strawberry.enum_value("PENDING", description="Awaiting a decision.")


@strawberry.enum(description="How often a benefit is paid.")
class PaymentFrequency(Enum):
    WEEKLY = strawberry.enum_value("WEEKLY", description="Every week.")
    FORTNIGHTLY = strawberry.enum_value("FORTNIGHTLY", description="Every two weeks.")
    FOUR_WEEKLY = strawberry.enum_value("FOUR_WEEKLY", description="Every four weeks.")
    MONTHLY = strawberry.enum_value("MONTHLY", description="Every month.")


@strawberry.type(description="A benefit payment made to the citizen.")
class BenefitPayment:
    paid_on: date = strawberry.field(description="Date of payment.")
    amount: Money = strawberry.field(description="Amount paid.")


@strawberry.type(description="A claim for a benefit.")
class BenefitClaim(Node):
    reference: str = strawberry.field(description="Claim reference.")
    benefit: BenefitType = strawberry.field(description="Which benefit.")
    status: ClaimStatus = strawberry.field(description="Where the claim stands.")
    award_amount: Money = strawberry.field(description="Amount paid each period.")
    frequency: PaymentFrequency | None = strawberry.field(description="How often it is paid.")
    start_date: date | None = strawberry.field(description="Date the award started.")
    end_date: date | None = strawberry.field(description="Date the award ended, if it has.")
    next_payment_date: date | None = strawberry.field(description="Date of the next payment.")
    overpayment: Money = strawberry.field(description="Amount overpaid that must be repaid.")
    recent_payments: list[BenefitPayment] = strawberry.field(
        description="Recent payments, most recent first."
    )


@strawberry.enum(description="Where a penalty charge notice stands.")
class PenaltyStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Unpaid.")
    PAID = strawberry.enum_value("PAID", description="Paid in full.")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled by the council.")
    APPEALED = strawberry.enum_value("APPEALED", description="Under appeal; payment on hold.")
    CHARGE_CERTIFICATE = strawberry.enum_value(
        "CHARGE_CERTIFICATE", description="Unpaid after the deadline; the charge has increased."
    )


@strawberry.type(description="A council's penalty charge notice for a vehicle the citizen keeps.")
class PenaltyNotice(Node):
    pcn: str = strawberry.field(description="Penalty charge notice number.")
    authority: str = strawberry.field(description="The council that issued it.")
    vehicle_registration: str = strawberry.field(description="Vehicle registration mark.")
    contravention_code: str = strawberry.field(description="Contravention code.")
    contravention: str = strawberry.field(description="What the contravention was.")
    location: str | None = strawberry.field(description="Where it happened.")
    issued_at: datetime | None = strawberry.field(description="When the notice was issued.")
    amount: Money = strawberry.field(description="Full charge.")
    discount_amount: Money = strawberry.field(description="Reduced charge if paid in time.")
    discount_deadline: date | None = strawberry.field(
        description="Last day the reduced charge applies."
    )
    status: PenaltyStatus = strawberry.field(description="Where the notice stands.")
    amount_due: Money = strawberry.field(
        description="What must be paid today: the discount before its deadline, else the full "
        "charge; zero once paid, cancelled or under appeal."
    )
