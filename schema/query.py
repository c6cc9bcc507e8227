"""The root query type."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from schema.citizen import Citizen, CitizenConnection, CitizenEdge
from schema.common import Node, PageInfo
from schema.connections import AFTER_HELP, BEFORE_HELP, FIRST_HELP, LAST_HELP
from schema.handlers import handlers
from schema.linkage import LinkReview, LinkReviewConnection, link_review_page
from schema.mutations import address_change_of, failed_delivery_of
from schema.services import Service
from schema.statistics import Statistics, resolve_statistics
from schema.writes import AddressChange, FailedDelivery

__all__ = ["Query"]


@strawberry.type(description="Everything a client can ask govgraph.")
class Query:
    @strawberry.field(
        description="The signed-in citizen (citizen tokens only): their records from every "
        "department, without needing to know which department holds what. Null with "
        "`NOT_FOUND` when the token names a citizen the index does not hold."
    )
    async def me(self, info: Info) -> Citizen | None:
        return Citizen.of(await handlers(info).ensure_me(info.context))

    @strawberry.field(
        description="A citizen by id (caseworkers only, with a stated purpose; every access "
        "is recorded)."
    )
    async def citizen(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The citizen's global id.")],
    ) -> Citizen | None:
        answer = handlers(info)
        citizen_id = answer.citizen_id_from_global(id)
        await answer.ensure_citizen(info.context, citizen_id)
        return Citizen.of(citizen_id)

    @strawberry.field(
        description="All citizens in the index, a page at a time, in a fixed order "
        "(caseworkers only). Page forwards with `first`/`after` or backwards with "
        "`last`/`before` (Relay cursor connection)."
    )
    async def citizens(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST_HELP)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER_HELP)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST_HELP)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE_HELP)] = None,
    ) -> CitizenConnection:
        rows, has_previous, has_next = await handlers(info).citizens_page(
            info.context, first, after, last, before
        )
        edges = [CitizenEdge(cursor=cursor, node=Citizen.of(cid)) for cid, cursor in rows]
        return CitizenConnection(
            edges=edges,
            page_info=PageInfo.of(
                [e.cursor for e in edges], has_previous=has_previous, has_next=has_next
            ),
        )

    @strawberry.field(description="Any object by its global id, if the caller may read it.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id from this API.")],
    ) -> Node | None:
        type_name, citizen_id, found = await handlers(info).resolve_node(info.context, id)
        if type_name == "Citizen":
            return Citizen.of(citizen_id)
        if type_name == "LinkReview":
            return LinkReview.of(found)
        if type_name == "AddressChange":
            return address_change_of(found)
        return found  # type: ignore[no-any-return]

    @strawberry.field(
        description="Each legacy source behind the gateway: whether it is answering, its "
        "circuit breaker's state and its recent latency (any signed-in caller)."
    )
    async def services(self, info: Info) -> list[Service]:
        return await handlers(info).services(info.context)

    @strawberry.field(
        description="A change of address you reported (`changeAddress`), with how its "
        "delivery to each department is going (the citizen who reported it only)."
    )
    async def address_change(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description="The change's id, as `changeAddress` gave it (the bare ids it gave "
                "before ids were global are still accepted)."
            ),
        ],
    ) -> AddressChange:
        return address_change_of(await handlers(info).address_change(info.context, str(id)))

    @strawberry.field(
        description="Deliveries of changes of address that a department refused, in id order, "
        "for a caseworker to `retryDelivery` or `cancelDelivery` (caseworkers only, with a "
        "stated purpose; each citizen listed sees it in their access log)."
    )
    async def failed_deliveries(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many, 1 to 100.")] = 20,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="`deliveryId` of the last one of the previous page."),
        ] = None,
    ) -> list[FailedDelivery]:
        found = await handlers(info).failed_deliveries(
            info.context, first, None if after is None else str(after)
        )
        return [failed_delivery_of(item) for item in found]

    @strawberry.field(
        description="Open link reviews, oldest first: records the linker would not link on "
        "its own, each with the reason, the score and the candidate, keys masked (caseworkers "
        "only, with a stated purpose). Decide them with `resolveLinkReview`."
    )
    async def link_review(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description=FIRST_HELP)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER_HELP)] = None,
        last: Annotated[int | None, strawberry.argument(description=LAST_HELP)] = None,
        before: Annotated[str | None, strawberry.argument(description=BEFORE_HELP)] = None,
    ) -> LinkReviewConnection:
        return await link_review_page(info, first, after, last, before)

    statistics: Statistics = strawberry.field(
        resolver=resolve_statistics,
        description="Counts and sums across departments with no person in them (analysts and "
        "caseworkers only). Small cells are suppressed; see `Statistics`.",
    )
