"""The citizen's access log: who read their data, when, why and from which departments."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.common import Department

__all__ = ["AccessRecord", "AccessorRole"]


@strawberry.enum(description="The role of whoever read the data.")
class AccessorRole(Enum):
    CITIZEN = strawberry.enum_value("CITIZEN", description="The citizen themself.")
    CASEWORKER = strawberry.enum_value("CASEWORKER", description="A public servant on a case.")
    ANALYST = strawberry.enum_value("ANALYST", description="An analyst (aggregates only).")


@strawberry.type(
    description="One read of the citizen's data, as the access ledger recorded it before the "
    "data was sent."
)
class AccessRecord:
    at: datetime = strawberry.field(description="When the data was read (UTC).")
    accessor: str = strawberry.field(
        description="A pseudonymous reference to who read it: the same person always has the "
        "same reference, which the department can resolve if the citizen asks."
    )
    role: AccessorRole = strawberry.field(description="Their role.")
    purpose: str | None = strawberry.field(description="The purpose they stated, if any.")
    departments: list[Department] = strawberry.field(
        description="Departments whose records were read."
    )
    field_groups: list[str] = strawberry.field(
        description="Kinds of data read, e.g. `identity`, `tax`, `passport`."
    )
    request_id: str = strawberry.field(description="The request's id, for any complaint.")
