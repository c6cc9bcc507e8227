"""Types shared by every part of the schema: names, addresses, money, departments, nodes."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING

import strawberry

from govgraph.departments import all_departments

__all__ = [
    "DEPARTMENT_BY_SOURCE",
    "Address",
    "Department",
    "Money",
    "Node",
    "PageInfo",
    "PersonName",
    "department_of",
]


if TYPE_CHECKING:

    class Department(Enum):
        """A part of government (one value per declared department)."""

else:
    Department = strawberry.enum(
        Enum(
            "Department",
            {
                d.enum_value: strawberry.enum_value(d.enum_value, description=d.description)
                for d in all_departments()
            },
        ),
        description="A part of government that holds records about citizens (one value per "
        "declared department).",
    )

DEPARTMENT_BY_SOURCE: dict[str, Department] = {
    d.source_name: Department[d.enum_value] for d in all_departments()
}
"""Each declared department's enum value, by the name of the source that serves it."""


def department_of(source: str) -> Department | None:
    """The department a source serves (``None`` for any other source, e.g. ``index``)."""
    return DEPARTMENT_BY_SOURCE.get(source)


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


@strawberry.type(
    description="Where a page of a connection starts and ends, and whether more lie on either "
    "side (Relay cursor connections)."
)
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the page's last item: pass it as `after` for the next page "
        "(null when the page is empty)."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page (before its first item, or before "
        "`after`)."
    )
    start_cursor: str | None = strawberry.field(
        description="Cursor of the page's first item: pass it as `before` for the previous "
        "page (null when the page is empty)."
    )

    @classmethod
    def of(cls, cursors: list[str], *, has_previous: bool, has_next: bool) -> PageInfo:
        """The page info of a page whose items have ``cursors``, in order."""
        return cls(
            has_next_page=has_next,
            end_cursor=cursors[-1] if cursors else None,
            has_previous_page=has_previous,
            start_cursor=cursors[0] if cursors else None,
        )
