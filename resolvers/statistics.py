"""``Query.statistics``: who may ask, which filter applies, and the engine's published tables
(the ``Statistics`` type and its fields are resolved here; the types it returns are in
``schema/statistics.py``).

Analysts and caseworkers only; every number comes from the statistics engine after disclosure
control (:mod:`govgraph.statistics`), never from a citizen's records.
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from govgraph.ledger.chain import AccessEntry
from govgraph.ledger.store import LedgerError
from govgraph.statistics import (
    FilterError,
    PublishedTable,
    StatisticsFilter,
    StatisticsService,
)
from govgraph.statistics.budget import BudgetSpent, BudgetStoreError
from govgraph.statistics.requests import PERSON_DIMENSIONS, TableRequest, TableRequestError
from resolvers.errors import ApiError, Forbidden, InvalidInput, Unauthenticated
from schema.statistics import (
    BuiltTable,
    PrivacyBudget,
    StatisticsTable,
    StatisticsVariable,
    TableRequestInput,
)
from schema.statistics import StatisticsFilter as StatisticsFilterInput

__all__ = [
    "STATISTICS_ROLES",
    "BudgetExhausted",
    "Statistics",
    "StatisticsUnavailable",
    "budget",
    "build",
    "require_statistics",
    "resolve_statistics",
    "service",
    "table",
]

MAX_PURPOSE = 64
STATISTICS_GROUP = "statistics"
"""The field group statistics requests are recorded under in the access ledger."""

STATISTICS_ROLES = frozenset({"analyst", "caseworker"})
DEPRECATED = (
    "Use `table`: a named table withholds small cells, which does not survive differencing "
    "of filtered answers (see docs/analysts.md)."
)


class StatisticsUnavailable(ApiError):
    """The gateway was started without a statistics engine."""

    code = "SERVICE_UNAVAILABLE"


class BudgetExhausted(ApiError):
    """The analyst's privacy budget cannot pay for another table."""

    code = "BUDGET_SPENT"


def require_statistics(principal: Any) -> None:
    """Only analysts and caseworkers may read statistics."""
    if principal is None:
        raise Unauthenticated("sign in to use `statistics`")
    if principal.role not in STATISTICS_ROLES:
        raise Forbidden(f"the {principal.role} role may not use `statistics`")


def service(ctx: Any) -> StatisticsService:
    """The gateway's statistics engine, as the request context carries it."""
    found = ctx.statistics
    if not isinstance(found, StatisticsService):
        raise StatisticsUnavailable("statistics are not available on this gateway")
    return found


def statistics_filter(
    from_month: str | None, to_month: str | None, postcode_areas: list[str] | None
) -> StatisticsFilter:
    """The validated filter of a request."""
    try:
        return StatisticsFilter.of(from_month, to_month, postcode_areas)
    except FilterError as exc:
        raise InvalidInput(str(exc)) from exc


async def table(ctx: Any, name: str, flt: StatisticsFilter) -> PublishedTable:
    """Published table ``name`` under ``flt`` (the caller is checked again)."""
    require_statistics(ctx.principal)
    return await service(ctx).table(name, flt)


def analyst(ctx: Any) -> str:
    """The pseudonymous analyst a budget belongs to (a hash of the token's subject)."""
    return str(ctx.principal.subject_hash)


async def budget(ctx: Any) -> tuple[float, float, float]:
    """(budget, spent, cost of one table) of the calling analyst."""
    require_statistics(ctx.principal)
    engine = service(ctx)
    try:
        spent = await engine.budgets.spent(analyst(ctx))
    except BudgetStoreError as exc:
        raise StatisticsUnavailable("privacy budgets cannot be read just now") from exc
    return engine.settings.budget, spent, engine.settings.epsilon


async def build(ctx: Any, request: TableRequest, purpose: str) -> dict[str, Any]:
    """The published answer to a table-builder request, after writing it to the ledger."""
    require_statistics(ctx.principal)
    engine = service(ctx)
    purpose = purpose.strip()
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise InvalidInput(
            f"`purpose`: say why you need the table, in 1 to {MAX_PURPOSE} characters"
        )
    try:
        plan = engine.catalogue.check(request, engine.settings.max_cells)
    except TableRequestError as exc:
        raise InvalidInput(str(exc)) from exc
    await _audit(
        ctx, request, purpose, sorted(p.department.source_name for p in plan.parts.values())
    )
    try:
        return await engine.builder.answer(plan, analyst(ctx))
    except BudgetSpent as exc:
        raise BudgetExhausted(str(exc)) from exc
    except BudgetStoreError as exc:
        raise StatisticsUnavailable("privacy budgets cannot be written just now") from exc


async def _audit(ctx: Any, request: TableRequest, purpose: str, sources: list[str]) -> None:
    ledger = ctx.ledger
    if ledger is None:
        raise StatisticsUnavailable("statistics need the access ledger, which is not configured")
    principal = ctx.principal
    entry = AccessEntry(
        request_id=ctx.request_id,
        actor=principal.subject_hash,
        role=principal.role,
        purpose=purpose,
        citizen_id="",
        sources=tuple(sorted({*sources, "index"})),
        field_groups=(STATISTICS_GROUP, f"table:{request.text()}"),
    )
    try:
        await ledger.append([entry])
    except LedgerError as exc:
        raise StatisticsUnavailable(
            "the access ledger cannot be written just now, so no table was computed"
        ) from exc


async def _table(info: Info, name: str, flt: StatisticsFilter) -> StatisticsTable:
    return StatisticsTable.of(await table(info.context, name, flt))


@strawberry.type(
    description="Counts and sums across departments: tables built to a request under "
    "differential privacy (`table`), and the departments' named tables, whose cells describing "
    "fewer people than `threshold` are suppressed."
)
class Statistics:
    threshold: int = strawberry.field(
        description="Smallest number of people a published cell may describe."
    )
    applied: strawberry.Private[StatisticsFilter]

    @strawberry.field(description="First month included, if the filter gave one.")
    def from_month(self) -> str | None:
        return self.applied.from_month

    @strawberry.field(description="Last month included, if the filter gave one.")
    def to_month(self) -> str | None:
        return self.applied.to_month

    @strawberry.field(description="Postcode areas included; empty for all areas.")
    def postcode_areas(self) -> list[str]:
        return list(self.applied.postcode_areas)

    @strawberry.field(
        description="A table built to the request under differential privacy, charged to your "
        "privacy budget unless already published today. The request and purpose (never the "
        "answer) are written to the access ledger."
    )
    async def table(
        self,
        info: Info,
        request: Annotated[
            TableRequestInput, strawberry.argument(description="The table to build.")
        ],
        purpose: Annotated[
            str, strawberry.argument(description="Why the table is needed (for the ledger).")
        ],
    ) -> BuiltTable:
        return BuiltTable.of(await build(info.context, request.request(), purpose))

    @strawberry.field(description="Your privacy budget: what is spent and what is left.")
    async def budget(self, info: Info) -> PrivacyBudget:
        return PrivacyBudget.of(await budget(info.context))

    @strawberry.field(
        description="Every dimension, condition and measure a table request may name, from "
        "the departments' declarations."
    )
    def catalogue(self, info: Info) -> list[StatisticsVariable]:
        cat = service(info.context).catalogue
        out = [
            StatisticsVariable(
                name=name,
                kind="dimension",
                description=text,
                values=list(cat.person_categories(name)),
            )
            for name, text in PERSON_DIMENSIONS.items()
        ]
        for name, (_, dim) in sorted(cat.dimensions.items()):
            if dim is not None:
                out.append(
                    StatisticsVariable(
                        name=name,
                        kind="dimension",
                        description=dim.description,
                        values=list(dim.values),
                    )
                )
        for name, (_, cond) in sorted(cat.conditions.items()):
            out.append(
                StatisticsVariable(
                    name=name,
                    kind="condition",
                    description=cond.description,
                    values=list(cond.choices),
                )
            )
        for name, (_, m) in sorted(cat.measures.items()):
            out.append(
                StatisticsVariable(name=name, kind="measure", description=m.description, values=[])
            )
        return out

    @strawberry.field(
        description="Benefit claims by benefit and claim status: claimants, claims and the sum "
        "of award amounts. Dated by the claim's start month; placed by the claimant's postcode.",
        deprecation_reason=DEPRECATED,
    )
    async def benefit_claims(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "benefit_claims", self.applied)

    @strawberry.field(
        description="Penalty charge notices by council and contravention (rows) and month of "
        "issue (columns): vehicles, notices and the sum of charges. Placed by the keeper's "
        "postcode.",
        deprecation_reason=DEPRECATED,
    )
    async def penalty_notices(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "penalty_notices", self.applied)

    @strawberry.field(
        description="Passports by month of expiry: holders. Placed by the holder's postcode.",
        deprecation_reason=DEPRECATED,
    )
    async def passport_expiries(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "passport_expiries", self.applied)

    @strawberry.field(
        description="Taxpayers by band of tax owed: taxpayers and the sum owed. Placed by the "
        "taxpayer's postcode; the month range does not apply.",
        deprecation_reason=DEPRECATED,
    )
    async def tax_balances(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "tax_balances", self.applied)

    @strawberry.field(
        description="People with an unpaid penalty notice (open or charge certificate, issued "
        "in the month range) who also have an active benefit claim, by the postcode area of "
        "their claim. Joined across departments through the citizen index.",
        deprecation_reason=DEPRECATED,
    )
    async def unpaid_penalty_and_active_benefit(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "unpaid_penalty_and_active_benefit", self.applied)

    @strawberry.field(
        description="People whose passport expires in the month range (default: this month "
        "and the next five) and who keep a vehicle whose tax or MOT also runs out in it, by the "
        "postcode area of the passport holder. Joined through the citizen index.",
        deprecation_reason=DEPRECATED,
    )
    async def passport_and_vehicle_renewals(self, info: Info) -> StatisticsTable | None:
        return await _table(info, "passport_and_vehicle_renewals", self.applied)


def resolve_statistics(
    info: Info,
    filter: Annotated[
        StatisticsFilterInput | None,
        strawberry.argument(description="Months and postcode areas to restrict to."),
    ] = None,
) -> Statistics:
    """Check the caller and the filter; the tables are computed when selected."""
    require_statistics(info.context.principal)
    engine = service(info.context)
    given = filter or StatisticsFilterInput()
    applied = statistics_filter(given.from_month, given.to_month, given.postcode_areas)
    return Statistics(threshold=engine.protection.threshold, applied=applied)
