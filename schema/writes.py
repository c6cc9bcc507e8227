"""Types of the mutations: payments, address changes and their deliveries, applications."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry

from govgraph.globalids import encode_id
from schema.common import Address, Department, Money, Node

__all__ = [
    "AddressChange",
    "AddressDelivery",
    "AddressInput",
    "Application",
    "ApplicationKind",
    "DeliveryStatus",
    "FailedDelivery",
    "PassportRenewal",
    "PassportRenewalInput",
    "PenaltyPayment",
    "address_change_id",
]


def address_change_id(citizen_id: str, outbox_id: str) -> str:
    """The global id of the change of address ``outbox_id`` reported by ``citizen_id``
    (``AddressChange:citizen:outbox-id``, usable with ``node(id:)``)."""
    return encode_id("AddressChange", citizen_id, outbox_id)


@strawberry.type(description="A payment of a penalty charge notice, as the council took it.")
class PenaltyPayment:
    reference: str = strawberry.field(description="Payment reference (quote it if you call).")
    pcn: str = strawberry.field(description="The notice paid.")
    authority: str = strawberry.field(description="The council that took the payment.")
    amount_paid: Money = strawberry.field(description="The amount paid.")
    paid_at: datetime = strawberry.field(description="When the payment was taken (UTC).")

    @classmethod
    def of(cls, result: dict[str, Any]) -> PenaltyPayment:
        return cls(
            reference=result["reference"],
            pcn=result["pcn"],
            authority=result["authority"],
            amount_paid=Money(amount=Decimal(result["amountPaid"])),
            paid_at=datetime.fromisoformat(result["paidAt"]),
        )


@strawberry.input(description="A UK postal address.")
class AddressInput:
    lines: list[str] = strawberry.field(description="One to three street lines, each up to 35.")
    town: str = strawberry.field(description="Post town, up to 30 characters.")
    postcode: str = strawberry.field(description="Postcode, e.g. `SW1A 1AA`.")


@strawberry.enum(description="How a department's copy of a change is getting on.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not sent yet.")
    RETRYING = strawberry.enum_value(
        "RETRYING", description="Sending failed; it will be tried again (see `lastError`)."
    )
    DELIVERED = strawberry.enum_value("DELIVERED", description="The department has it.")
    FAILED = strawberry.enum_value(
        "FAILED",
        description="The department refused it (see `lastError`); it is not tried again "
        "unless a caseworker retries it.",
    )
    CANCELLED = strawberry.enum_value(
        "CANCELLED", description="A caseworker cancelled it after a refusal: not delivered."
    )


@strawberry.type(description="One department's copy of a change of address.")
class AddressDelivery:
    department: Department = strawberry.field(description="The department told.")
    authority: str | None = strawberry.field(
        description="For councils: which council (each is told separately)."
    )
    status: DeliveryStatus = strawberry.field(description="Whether it has been delivered.")
    attempts: int = strawberry.field(description="Attempts so far.")
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed, or the department's reason for refusing it "
        "(null once delivered)."
    )
    delivered_at: datetime | None = strawberry.field(description="When it was delivered (UTC).")


@strawberry.type(description="A change of address reported once, delivered to every department.")
class AddressChange(Node):
    address: Address = strawberry.field(description="The new address.")
    reported_at: datetime = strawberry.field(description="When it was reported (UTC).")
    deliveries: list[AddressDelivery] = strawberry.field(
        description="One per department (and per council) that holds the citizen."
    )

    @strawberry.field(
        description="Whether every department has it (false while any delivery is pending, "
        "retrying, failed or cancelled)."
    )
    def complete(self) -> bool:
        return all(d.status is DeliveryStatus.DELIVERED for d in self.deliveries)


@strawberry.type(
    description="A delivery of a change of address that a department refused, for a "
    "caseworker to retry or cancel."
)
class FailedDelivery:
    delivery_id: strawberry.ID = strawberry.field(
        description="The delivery's id (for `retryDelivery` and `cancelDelivery`)."
    )
    change_id: strawberry.ID = strawberry.field(description="The change of address it belongs to.")
    citizen_id: strawberry.ID = strawberry.field(
        description="The citizen who reported the change (global id, for `citizen(id:)`)."
    )
    department: Department = strawberry.field(description="The department that refused it.")
    authority: str | None = strawberry.field(description="For councils: which council.")
    status: DeliveryStatus = strawberry.field(
        description="`FAILED`; after a decision, `PENDING` (retried) or `CANCELLED`."
    )
    attempts: int = strawberry.field(description="Attempts so far.")
    last_error: str | None = strawberry.field(description="The department's reason.")
    reported_at: datetime = strawberry.field(description="When the change was reported (UTC).")


@strawberry.input(description="An application to renew a passport.")
class PassportRenewalInput:
    passport_number: str = strawberry.field(description="The current passport's 9 digits.")
    photo_code: str = strawberry.field(
        description="The digital photo code: 8 to 16 capital letters and digits."
    )
    declaration: bool = strawberry.field(
        description="The applicant declares the information is true (must be true)."
    )


@strawberry.type(description="A passport renewal application, as the passport office holds it.")
class PassportRenewal:
    reference: str = strawberry.field(description="Application reference.")
    passport_number: str = strawberry.field(description="The passport being renewed.")
    received: date = strawberry.field(description="Date the office received it.")
    status: str = strawberry.field(description="`RECEIVED` when it has just been made.")


@strawberry.enum(description="What an application is for.")
class ApplicationKind(Enum):
    PASSPORT_RENEWAL = strawberry.enum_value(
        "PASSPORT_RENEWAL", description="Renewal of a passport."
    )


@strawberry.type(description="An application the citizen has made, with its status.")
class Application:
    kind: ApplicationKind = strawberry.field(description="What it is for.")
    reference: str = strawberry.field(description="Application reference.")
    department: Department = strawberry.field(description="The department deciding it.")
    received: date | None = strawberry.field(description="Date the department received it.")
    status: str = strawberry.field(
        description="`RECEIVED`, `IN_PROGRESS`, `APPROVED`, `ISSUED` or `REJECTED`."
    )
