"""Land and property: titles registered to the citizen at the land registry."""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry

from schema.common import Address, Money

__all__ = ["PropertyTitle", "Tenure", "TitleCharge"]


@strawberry.enum(description="How a property is held.")
class Tenure(Enum):
    FREEHOLD = strawberry.enum_value("FREEHOLD", description="Owned outright, with its land.")
    LEASEHOLD = strawberry.enum_value(
        "LEASEHOLD", description="Held for a term of years under a lease."
    )


@strawberry.type(description="A charge (usually a mortgage) registered against a title.")
class TitleCharge:
    lender: str = strawberry.field(description="Who the charge is in favour of.")
    registered_on: date | None = strawberry.field(description="Date the charge was registered.")


@strawberry.type(
    description="A registered title to land or property of which the citizen is a "
    "registered proprietor (owner)."
)
class PropertyTitle:
    title_number: str = strawberry.field(
        description="The land registry's title number, e.g. `MB412305`."
    )
    tenure: Tenure = strawberry.field(description="Freehold or leasehold.")
    class_of_title: str = strawberry.field(
        description="How good the registered title is: `ABSOLUTE`, `GOOD_LEASEHOLD`, "
        "`POSSESSORY` or `QUALIFIED`."
    )
    address: Address = strawberry.field(description="The property's address.")
    registered_on: date | None = strawberry.field(
        description="Date the current proprietors were registered."
    )
    price_paid: Money | None = strawberry.field(
        description="Price paid when the current proprietors bought it, if recorded."
    )
    lease_expires_on: date | None = strawberry.field(
        description="For leasehold titles: the date the lease ends."
    )
    proprietor_count: int = strawberry.field(
        description="How many proprietors are registered (joint owners are not named here)."
    )
    charges: list[TitleCharge] = strawberry.field(
        description="Charges registered against the title, oldest first."
    )
