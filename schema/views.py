"""Cross-department views: what the citizen owes, is owed, holds, and should do next."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from schema.common import Department, Money

__all__ = [
    "Document",
    "DocumentKind",
    "Entitlement",
    "EntitlementKind",
    "Obligation",
    "ObligationKind",
    "Task",
    "TaskKind",
]


@strawberry.enum(description="Kind of money the citizen owes.")
class ObligationKind(Enum):
    TAX_PAYMENT = strawberry.enum_value("TAX_PAYMENT", description="A tax payment due.")
    PENALTY_NOTICE = strawberry.enum_value("PENALTY_NOTICE", description="An unpaid penalty.")
    BENEFIT_OVERPAYMENT = strawberry.enum_value(
        "BENEFIT_OVERPAYMENT", description="Benefit paid in error that must be repaid."
    )


@strawberry.type(description="Something the citizen owes, to any part of government.")
class Obligation:
    kind: ObligationKind = strawberry.field(description="What sort of debt it is.")
    department: Department = strawberry.field(description="Who it is owed to.")
    reference: str = strawberry.field(description="Reference to quote when paying.")
    description: str = strawberry.field(description="A plain-language description.")
    amount: Money = strawberry.field(description="Amount owed now.")
    due_date: date | None = strawberry.field(description="When it is due, if there is a date.")


@strawberry.enum(description="Kind of money the citizen is owed.")
class EntitlementKind(Enum):
    BENEFIT_PAYMENT = strawberry.enum_value("BENEFIT_PAYMENT", description="Next benefit payment.")
    TAX_REFUND = strawberry.enum_value("TAX_REFUND", description="Tax to be repaid.")


@strawberry.type(description="Money the citizen is owed, by any part of government.")
class Entitlement:
    kind: EntitlementKind = strawberry.field(description="What sort of payment it is.")
    department: Department = strawberry.field(description="Who pays it.")
    reference: str = strawberry.field(description="Reference of the claim or account.")
    description: str = strawberry.field(description="A plain-language description.")
    amount: Money = strawberry.field(description="Amount to be paid.")
    expected_on: date | None = strawberry.field(description="When it is expected, if known.")


@strawberry.enum(description="Kind of document or certificate with an expiry date.")
class DocumentKind(Enum):
    PASSPORT = strawberry.enum_value("PASSPORT", description="Passport.")
    DRIVING_LICENCE = strawberry.enum_value("DRIVING_LICENCE", description="Licence photocard.")
    VEHICLE_TAX = strawberry.enum_value("VEHICLE_TAX", description="Vehicle tax.")
    MOT = strawberry.enum_value("MOT", description="MOT test certificate.")


@strawberry.type(description="A document or certificate the citizen holds, with its expiry.")
class Document:
    kind: DocumentKind = strawberry.field(description="What the document is.")
    department: Department = strawberry.field(description="Who issued it.")
    reference: str = strawberry.field(description="Its number or the vehicle's registration.")
    expiry_date: date | None = strawberry.field(description="When it expires.")
    days_until_expiry: int | None = strawberry.field(
        description="Days from today to expiry; negative once expired."
    )


@strawberry.enum(description="Kind of action the citizen should take.")
class TaskKind(Enum):
    RENEW_PASSPORT = strawberry.enum_value("RENEW_PASSPORT", description="Renew the passport.")
    RENEW_LICENCE = strawberry.enum_value("RENEW_LICENCE", description="Renew the photocard.")
    TAX_VEHICLE = strawberry.enum_value("TAX_VEHICLE", description="Tax a vehicle.")
    BOOK_MOT = strawberry.enum_value("BOOK_MOT", description="Book an MOT test.")
    PAY_PENALTY = strawberry.enum_value("PAY_PENALTY", description="Pay a penalty notice.")
    PAY_TAX = strawberry.enum_value("PAY_TAX", description="Pay tax due.")
    FILE_TAX_RETURN = strawberry.enum_value("FILE_TAX_RETURN", description="File a tax return.")


@strawberry.type(description="Something the citizen should do next, across government.")
class Task:
    kind: TaskKind = strawberry.field(description="What to do.")
    department: Department = strawberry.field(description="Who it concerns.")
    title: str = strawberry.field(description="A short instruction for the citizen.")
    reference: str = strawberry.field(description="The document, notice or account concerned.")
    due_date: date | None = strawberry.field(description="Do it by this date, if there is one.")
