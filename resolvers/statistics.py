"""``Query.statistics``: who may ask, which filter applies, and the engine's published tables
(the work behind the fields of ``schema/statistics.py``'s ``Statistics``, through
:mod:`schema.handlers`).

Analysts and caseworkers only; every number comes from the statistics engine after disclosure
control (:mod:`govgraph.statistics`), never from a citizen's records.
"""

from __future__ import annotations

from typing import Any

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
from schema.statistics import StatisticsVariable

__all__ = [
    "STATISTICS_ROLES",
    "BudgetExhausted",
    "StatisticsUnavailable",
    "budget",
    "build",
    "catalogue",
    "open_statistics",
    "require_statistics",
    "service",
    "table",
]

MAX_PURPOSE = 64
STATISTICS_GROUP = "statistics"
"""The field group statistics requests are recorded under in the access ledger."""

STATISTICS_ROLES = frozenset({"analyst", "caseworker"})


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


def catalogue(ctx: Any) -> list[StatisticsVariable]:
    """Every dimension, condition and measure a table request may name."""
    cat = service(ctx).catalogue
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


def open_statistics(
    ctx: Any, from_month: str | None, to_month: str | None, postcode_areas: list[str] | None
) -> tuple[int, StatisticsFilter]:
    """Check the caller and the filter: (the suppression threshold, the filter to apply); the
    tables are computed when selected."""
    require_statistics(ctx.principal)
    engine = service(ctx)
    applied = statistics_filter(from_month, to_month, postcode_areas)
    return engine.protection.threshold, applied
