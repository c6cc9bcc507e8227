"""The citizen: one person as the whole of government knows them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from govgraph.departments import CitizenField, all_departments
from govgraph.departments import Department as Declaration
from govgraph.globalids import encode_id
from schema.access import AccessRecord
from schema.common import DEPARTMENT_BY_SOURCE, Address, Department, Node, PageInfo, PersonName
from schema.declared import field_annotation
from schema.handlers import handlers
from schema.linkage import CitizenLink, citizen_links_of
from schema.views import Document, Entitlement, Obligation, Task
from schema.writes import Application

__all__ = ["Citizen", "CitizenConnection", "CitizenEdge"]


def _declared_field(department: Declaration, field: CitizenField) -> Any:
    """A ``Citizen`` field serving ``field`` of ``department`` from its mapped records."""

    async def resolve(self: Any, info: Info) -> Any:
        path = info.path.as_list()
        return await handlers(info).citizen_field(
            info.context, path, self.citizen_id, department, field
        )

    resolve.__annotations__ = {"self": Any, "info": Info, "return": field_annotation(field)}
    resolve.__name__ = field.name
    return strawberry.field(resolver=resolve, description=field.description)


def with_declared_fields(cls: type) -> type:
    """Add every declared department's ``Citizen`` fields to ``cls`` (before it becomes a
    strawberry type)."""
    for department in all_departments():
        for field in department.fields:
            setattr(cls, field.name, _declared_field(department, field))
    return cls


@strawberry.type(
    description="A citizen, with what every part of government holds about them. Each "
    "department's field is null (with an error naming the service) when that department "
    "cannot answer; the other fields are unaffected."
)
@with_declared_fields
class Citizen(Node):
    citizen_id: strawberry.Private[str]

    @classmethod
    def of(cls, citizen_id: str) -> Citizen:
        return cls(id=strawberry.ID(encode_id("Citizen", citizen_id)), citizen_id=citizen_id)

    @strawberry.field(description="The citizen's name.")
    async def name(self, info: Info) -> PersonName | None:
        profile = await info.context.profiles.load(self.citizen_id)
        if profile is None:
            return None
        return PersonName(
            given_name=profile.given_name,
            middle_names=profile.middle_names or None,
            family_name=profile.surname,
        )

    @strawberry.field(description="Date of birth.")
    async def date_of_birth(self, info: Info) -> date | None:
        profile = await info.context.profiles.load(self.citizen_id)
        return None if profile is None else profile.date_of_birth

    @strawberry.field(
        description="Current postal address: the one the citizen last reported "
        "(`changeAddress`), else the one government holds."
    )
    async def address(self, info: Info) -> Address | None:
        reported = await handlers(info).reported_address(info.context, self.citizen_id)
        if reported is not None:
            return Address(
                lines=list(reported["lines"]), town=reported["town"], postcode=reported["postcode"]
            )
        profile = await info.context.profiles.load(self.citizen_id)
        if profile is None:
            return None
        return Address(
            lines=list(profile.address_lines), town=profile.town, postcode=profile.postcode
        )

    @strawberry.field(description="Which parts of government hold records about the citizen.")
    async def departments(self, info: Info) -> list[Department]:
        links = await info.context.links.load(self.citizen_id)
        return [dept for source, dept in DEPARTMENT_BY_SOURCE.items() if links.get(source)]

    @strawberry.field(
        description="How each department's record was linked to the citizen: department, "
        "method, confidence and when, with the department's key masked (caseworkers only, "
        "with a stated purpose; recorded in the access ledger)."
    )
    async def links(self, info: Info) -> list[CitizenLink] | None:
        return citizen_links_of(await handlers(info).citizen_links(info.context, self.citizen_id))

    @strawberry.field(
        description="Applications the citizen has made (such as passport renewals) and where "
        "each stands, newest first."
    )
    async def applications(self, info: Info) -> list[Application] | None:
        return await handlers(info).applications(info.context, self.citizen_id)

    @strawberry.field(
        description="Everything the citizen owes, to any department, earliest due first."
    )
    async def obligations(self, info: Info) -> list[Obligation]:
        return await handlers(info).obligations(info.context, self.citizen_id, info.path.as_list())

    @strawberry.field(description="Money the citizen is owed: benefit payments, tax refunds.")
    async def entitlements(self, info: Info) -> list[Entitlement]:
        return await handlers(info).entitlements(info.context, self.citizen_id, info.path.as_list())

    @strawberry.field(description="Documents and certificates with expiry dates, soonest first.")
    async def documents(self, info: Info) -> list[Document]:
        return await handlers(info).documents(info.context, self.citizen_id, info.path.as_list())

    @strawberry.field(description="What the citizen should do next, across government.")
    async def tasks(self, info: Info) -> list[Task]:
        return await handlers(info).tasks(info.context, self.citizen_id, info.path.as_list())

    @strawberry.field(
        description="Who read the citizen's data, when, why and from which departments, "
        "newest first (the citizen only). Reads by the citizen themself are left out unless "
        "`includeOwn` is true."
    )
    async def access_log(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 200.")] = 50,
        include_own: Annotated[
            bool, strawberry.argument(description="Include the citizen's own reads.")
        ] = False,
    ) -> list[AccessRecord]:
        return await handlers(info).access_log(info.context, self.citizen_id, first, include_own)


@strawberry.type(description="A citizen in a page of citizens.")
class CitizenEdge:
    cursor: str = strawberry.field(description="Cursor of this citizen.")
    node: Citizen = strawberry.field(description="The citizen.")


@strawberry.type(description="A page of citizens (Relay cursor connection).")
class CitizenConnection:
    edges: list[CitizenEdge] = strawberry.field(description="Citizens on this page.")
    page_info: PageInfo = strawberry.field(
        description="Where this page starts and ends, and whether more lie on either side."
    )
