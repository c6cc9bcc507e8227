"""What answers the schema's fields: the handlers a schema is built with.

``schema/`` declares the types and fields (with the documentation analysts read); the work
behind a field lives in ``resolvers/``, which imports ``schema/`` and never the other way round.
A field method asks :func:`handlers` for the :class:`Handlers` of the schema answering the
request and calls the one it needs. The composition root supplies them when it builds the
schema (``build_schema(handlers=resolvers.handlers)``, as the app does); a schema built
without them still prints, introspects and validates, and a field that runs says so.

``ctx`` is the request's context (``resolvers.context.RequestContext``), opaque here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

from strawberry.types import Info

if TYPE_CHECKING:
    from govgraph.departments import CitizenField, Department
    from govgraph.outbox import FailedDelivery as FailedRecord
    from govgraph.outbox.types import AddressChange as ChangeRecord
    from govgraph.statistics import PublishedTable, StatisticsFilter
    from govgraph.statistics.requests import TableRequest
    from schema.access import AccessRecord
    from schema.services import Service
    from schema.statistics import StatisticsVariable
    from schema.views import Document, Entitlement, Obligation, Task
    from schema.writes import Application

__all__ = ["Handlers", "HandlersMissing", "handlers"]

Path = list[str | int]


class Handlers(Protocol):
    """The API layer's work behind each field (``resolvers.handlers`` implements it)."""

    # Query
    async def ensure_me(self, ctx: Any) -> str: ...

    def citizen_id_from_global(self, global_id: str) -> str: ...

    async def ensure_citizen(self, ctx: Any, citizen_id: str) -> None: ...

    async def citizens_page(
        self,
        ctx: Any,
        first: int | None,
        after: str | None,
        last: int | None = None,
        before: str | None = None,
    ) -> tuple[list[tuple[str, str]], bool, bool]: ...

    async def resolve_node(self, ctx: Any, global_id: str) -> tuple[str, str, Any]: ...

    async def services(self, ctx: Any) -> list[Service]: ...

    async def address_change(self, ctx: Any, change_id: str) -> ChangeRecord: ...

    async def failed_deliveries(
        self, ctx: Any, first: int, after: str | None
    ) -> list[FailedRecord]: ...

    async def review_page(
        self,
        ctx: Any,
        first: int | None,
        after: str | None,
        last: int | None = None,
        before: str | None = None,
    ) -> Any: ...

    # Query.statistics
    def open_statistics(
        self,
        ctx: Any,
        from_month: str | None,
        to_month: str | None,
        postcode_areas: list[str] | None,
    ) -> tuple[int, StatisticsFilter]: ...

    async def statistics_table(
        self, ctx: Any, name: str, flt: StatisticsFilter
    ) -> PublishedTable: ...

    async def build_table(
        self, ctx: Any, request: TableRequest, purpose: str
    ) -> dict[str, Any]: ...

    async def privacy_budget(self, ctx: Any) -> tuple[float, float, float]: ...

    def statistics_catalogue(self, ctx: Any) -> list[StatisticsVariable]: ...

    # Citizen
    async def citizen_field(
        self,
        ctx: Any,
        path: Path,
        citizen_id: str,
        department: Department,
        field: CitizenField,
    ) -> Any: ...

    async def reported_address(self, ctx: Any, citizen_id: str) -> dict[str, Any] | None: ...

    async def citizen_links(self, ctx: Any, citizen_id: str) -> Sequence[Any]: ...

    async def applications(self, ctx: Any, citizen_id: str) -> list[Application]: ...

    async def obligations(self, ctx: Any, cid: str, path: Path | None) -> list[Obligation]: ...

    async def entitlements(self, ctx: Any, cid: str, path: Path | None) -> list[Entitlement]: ...

    async def documents(self, ctx: Any, cid: str, path: Path | None) -> list[Document]: ...

    async def tasks(self, ctx: Any, cid: str, path: Path | None) -> list[Task]: ...

    async def access_log(
        self, ctx: Any, citizen_id: str, first: int, include_own: bool
    ) -> list[AccessRecord]: ...

    # Mutation
    async def pay_penalty_notice(
        self, ctx: Any, path: Path, pcn: str, amount: object, key: str
    ) -> dict[str, Any]: ...

    async def change_address(
        self, ctx: Any, path: Path, lines: list[str], town: str, postcode: str, key: str
    ) -> ChangeRecord: ...

    async def retry_delivery(self, ctx: Any, delivery_id: str) -> FailedRecord: ...

    async def cancel_delivery(self, ctx: Any, delivery_id: str) -> FailedRecord: ...

    async def apply_for_renewal(
        self,
        ctx: Any,
        path: Path,
        number: str,
        photo: str,
        declaration: bool,
        key: str,
    ) -> dict[str, Any]: ...

    async def resolve_review(
        self, ctx: Any, global_id: str, decision: Literal["confirm", "reject"]
    ) -> tuple[Any, str | None]: ...


class HandlersMissing(RuntimeError):
    """A field ran on a schema built without handlers (a programming error)."""


def handlers(info: Info) -> Handlers:
    """The handlers of the schema answering ``info``'s request."""
    found: Handlers | None = getattr(info.schema, "handlers", None)
    if found is None:
        raise HandlersMissing(
            "the schema was built without handlers: build it with "
            "build_schema(handlers=resolvers.handlers)"
        )
    return found
