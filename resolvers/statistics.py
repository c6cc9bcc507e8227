"""``Query.statistics``: who may ask, which filter applies, and the engine's published tables.

Analysts and caseworkers only; every number comes from the statistics engine after disclosure
control (:mod:`govgraph.statistics`), never from a citizen's records.
"""

from __future__ import annotations

from typing import Any

from govgraph.statistics import (
    FilterError,
    PublishedTable,
    StatisticsFilter,
    StatisticsService,
)
from resolvers.errors import ApiError, Forbidden, InvalidInput, Unauthenticated

__all__ = ["STATISTICS_ROLES", "StatisticsUnavailable", "require_statistics", "service", "table"]

STATISTICS_ROLES = frozenset({"analyst", "caseworker"})


class StatisticsUnavailable(ApiError):
    """The gateway was started without a statistics engine."""

    code = "SERVICE_UNAVAILABLE"


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
