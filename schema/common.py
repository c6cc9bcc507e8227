"""Types shared by every part of the schema: names, addresses, money, departments, nodes."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

import strawberry

__all__ = ["Address", "Department", "Money", "Node", "PageInfo", "PersonName"]


@strawberry.enum(description="A part of government that holds records about citizens.")
class Department(Enum):
    TAX = strawberry.enum_value("TAX", description="Revenue and customs.")
    BENEFITS = strawberry.enum_value("BENEFITS", description="Work and pensions.")
    PASSPORTS = strawberry.enum_value("PASSPORTS", description="The passport office.")
    VEHICLES = strawberry.enum_value("VEHICLES", description="Driver and vehicle licensing.")
    PARKING = strawberry.enum_value("PARKING", description="Local councils' parking services.")


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id, usable with `node(id:)`.")


@strawberry.type(description="An amount of money in pounds sterling.")
class Money:
    amount: Decimal = strawberry.field(description="Exact amount, in pounds, as a decimal string.")
    currency: str = strawberry.field(default="GBP", description="ISO 4217 currency code.")

    @strawberry.field(description="The amount formatted for display, e.g. `£1,234.50`.")
    def formatted(self) -> str:
        sign = "-" if self.amount < 0 else ""
        return f"{sign}£{abs(self.amount):,.2f}"


@strawberry.type(description="A person's name as government holds it.")
class PersonName:
    given_name: str = strawberry.field(description="First given name.")
    middle_names: str | None = strawberry.field(description="Other given names, if any.")
    family_name: str = strawberry.field(description="Surname.")

    @strawberry.field(description="Given, middle and family names in display order.")
    def full_name(self) -> str:
        parts = [self.given_name, self.middle_names or "", self.family_name]
        return " ".join(p for p in parts if p)


@strawberry.type(description="A UK postal address.")
class Address:
    lines: list[str] = strawberry.field(description="Street lines, house number first.")
    town: str | None = strawberry.field(description="Post town.")
    postcode: str | None = strawberry.field(description="Postcode, e.g. `SW1A 1AA`.")


@strawberry.type(description="Where a page of a connection ends (Relay cursor connections).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    end_cursor: str | None = strawberry.field(description="Cursor to pass as `after`.")
