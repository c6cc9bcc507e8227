"""The root mutation type: things a citizen can get done, each at most once per key."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from govgraph.departments import address_change_command
from govgraph.globalids import encode_id
from govgraph.outbox import FailedDelivery as FailedRecord
from govgraph.outbox.types import AddressChange as ChangeRecord
from schema.common import Address, Department
from schema.handlers import handlers
from schema.writes import (
    AddressChange,
    AddressDelivery,
    AddressInput,
    DeliveryStatus,
    FailedDelivery,
    PassportRenewal,
    PassportRenewalInput,
    PenaltyPayment,
    address_change_id,
)

__all__ = ["Mutation", "address_change_of", "failed_delivery_of"]


def _authority(source: str, payload: dict[str, Any]) -> str | None:
    """The member a delivery went to (e.g. the council), for departments that send one
    delivery per member."""
    command = address_change_command(source)
    if command is None or not command.per_field:
        return None
    value = payload.get(command.per_field)
    return None if value is None else str(value)


_KEY_HELP = (
    "A key the client makes up for this request (8 to 64 letters, digits or `._:-`). Sending "
    "the same key again returns the first result and never does the thing twice."
)


def address_change_of(change: ChangeRecord) -> AddressChange:
    """The GraphQL view of a recorded change."""
    address = change.address
    return AddressChange(
        id=strawberry.ID(address_change_id(change.citizen_id, change.id)),
        address=Address(
            lines=list(address.get("lines", [])),
            town=address.get("town"),
            postcode=address.get("postcode"),
        ),
        reported_at=change.created_at.astimezone(UTC),
        deliveries=[
            AddressDelivery(
                department=Department(d.department),
                authority=_authority(d.source, d.payload),
                status=DeliveryStatus(d.status),
                attempts=d.attempts,
                last_error=d.last_error,
                delivered_at=d.delivered_at.astimezone(UTC) if d.delivered_at else None,
            )
            for d in change.deliveries
        ],
    )


def failed_delivery_of(found: FailedRecord) -> FailedDelivery:
    """The GraphQL view of a refused delivery."""
    d = found.delivery
    return FailedDelivery(
        delivery_id=strawberry.ID(d.id),
        change_id=strawberry.ID(address_change_id(found.citizen_id, d.change_id)),
        citizen_id=strawberry.ID(encode_id("Citizen", found.citizen_id)),
        department=Department(d.department),
        authority=_authority(d.source, d.payload),
        status=DeliveryStatus(d.status),
        attempts=d.attempts,
        last_error=d.last_error,
        reported_at=found.reported_at.astimezone(UTC),
    )


@strawberry.type(description="Things a signed-in citizen can do, for themselves.")
class Mutation:
    @strawberry.mutation(
        description="Pay a penalty charge notice for a vehicle you keep. The amount must be "
        "what is due today: the discounted charge up to its deadline, the full charge after. "
        "Refusals are errors whose `extensions.code` says why (`UNKNOWN_PCN`, `WRONG_AMOUNT`, "
        "`DISCOUNT_EXPIRED`, `ALREADY_PAID`, `NOT_PAYABLE`, `INVALID_PCN`, `INVALID_AMOUNT`) "
        "and `extensions.field` names the argument; nothing is paid then."
    )
    async def pay_penalty_notice(
        self,
        info: Info,
        pcn: Annotated[str, strawberry.argument(description="The notice's number.")],
        amount: Annotated[
            Decimal,
            strawberry.argument(
                description="Amount in pounds as typed, e.g. `35.00` (digits, optionally a "
                "point and one or two decimals; anything else is `INVALID_AMOUNT`)."
            ),
        ],
        idempotency_key: Annotated[str, strawberry.argument(description=_KEY_HELP)],
    ) -> PenaltyPayment:
        result = await handlers(info).pay_penalty_notice(
            info.context, info.path.as_list(), pcn, amount, idempotency_key
        )
        return PenaltyPayment.of(result)

    @strawberry.mutation(
        description="Tell us once: report a new address. It is recorded at once and then "
        "delivered to every department (and council) that holds records about you, each "
        "tracked and retried until it has it; follow it with `addressChange(id:)`. An invalid "
        "field is an error whose `extensions.code` says why and `extensions.field` names it."
    )
    async def change_address(
        self,
        info: Info,
        new_address: Annotated[AddressInput, strawberry.argument(description="The new address.")],
        idempotency_key: Annotated[str, strawberry.argument(description=_KEY_HELP)],
    ) -> AddressChange:
        change = await handlers(info).change_address(
            info.context,
            info.path.as_list(),
            list(new_address.lines),
            new_address.town,
            new_address.postcode,
            idempotency_key,
        )
        return address_change_of(change)

    @strawberry.mutation(
        description="Send a delivery a department refused again, now, with the same delivery "
        "id (caseworkers only, with a stated purpose; recorded in the citizen's access log). "
        "`NOT_FOUND` if it is not failed."
    )
    async def retry_delivery(
        self,
        info: Info,
        delivery_id: Annotated[
            strawberry.ID, strawberry.argument(description="`FailedDelivery.deliveryId`.")
        ],
    ) -> FailedDelivery:
        return failed_delivery_of(
            await handlers(info).retry_delivery(info.context, str(delivery_id))
        )

    @strawberry.mutation(
        description="Give up a delivery a department refused: that department is not told "
        "(caseworkers only, with a stated purpose; recorded in the citizen's access log). "
        "`NOT_FOUND` if it is not failed."
    )
    async def cancel_delivery(
        self,
        info: Info,
        delivery_id: Annotated[
            strawberry.ID, strawberry.argument(description="`FailedDelivery.deliveryId`.")
        ],
    ) -> FailedDelivery:
        return failed_delivery_of(
            await handlers(info).cancel_delivery(info.context, str(delivery_id))
        )

    @strawberry.mutation(
        description="Apply to renew your passport. Each invalid field is an error whose "
        "`extensions.code` says why and `extensions.field` names it; nothing is applied then."
    )
    async def apply_for_passport_renewal(
        self,
        info: Info,
        input: Annotated[PassportRenewalInput, strawberry.argument(description="The application.")],
        idempotency_key: Annotated[str, strawberry.argument(description=_KEY_HELP)],
    ) -> PassportRenewal:
        result = await handlers(info).apply_for_renewal(
            info.context,
            info.path.as_list(),
            input.passport_number,
            input.photo_code,
            input.declaration,
            idempotency_key,
        )
        return PassportRenewal(
            reference=result["reference"],
            passport_number=result["passportNumber"],
            received=date.fromisoformat(result["received"]),
            status=result["status"],
        )
