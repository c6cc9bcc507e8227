"""Fetching one citizen's records from each department, through the request's loaders.

Each function returns ``None`` (or an empty list) when the department holds nothing about the
citizen, and raises the source's typed error when the department cannot answer, so that only
the field asking for that department becomes null.
"""

from __future__ import annotations

import asyncio
from typing import Any

from legacy_connectors.base import PartialRecords
from legacy_connectors.errors import LegacyError
from resolvers import records
from resolvers.context import RequestContext
from schema.departments import (
    BenefitClaim,
    ClaimStatus,
    PenaltyNotice,
    TaxAccount,
)

__all__ = [
    "benefit_claims",
    "load_source",
    "parking_fines",
    "tax_account",
]


async def load_source(ctx: RequestContext, citizen_id: str, source: str) -> list[Any]:
    """Every record ``source`` holds for the citizen, across all of its keys.

    Returns a list of results (a record, a list of records, or a :class:`PartialRecords`);
    raises the source's error if any key failed.
    """
    keys = await ctx.keys(citizen_id, source)
    loader = ctx.loader(source)
    if not keys or loader is None:
        return []
    ctx.note_access(citizen_id, source)
    if len(keys) == 1:
        results = [await loader.load(keys[0])]
    else:
        results = list(await asyncio.gather(*(loader.load(k) for k in keys)))
    return [r for r in results if r is not None]


def _flatten(results: list[Any]) -> tuple[list[dict[str, Any]], list[LegacyError]]:
    rows: list[dict[str, Any]] = []
    errors: list[LegacyError] = []
    for result in results:
        if isinstance(result, PartialRecords):
            rows.extend(result.records)
            errors.extend(result.errors)
        elif isinstance(result, list):
            rows.extend(result)
        else:
            rows.append(result)
    return rows, errors


async def tax_account(ctx: RequestContext, citizen_id: str) -> TaxAccount | None:
    results = await load_source(ctx, citizen_id, "tax")
    return records.tax_account(results[0]) if results else None


async def benefit_claims(ctx: RequestContext, citizen_id: str) -> list[BenefitClaim] | None:
    keys = await ctx.keys(citizen_id, "benefits")
    if not keys:
        return []
    rows, _ = _flatten(await load_source(ctx, citizen_id, "benefits"))
    claims = [records.benefit_claim(citizen_id, r) for r in rows]
    claims.sort(key=lambda c: (c.status is not ClaimStatus.ACTIVE, c.reference))
    return claims


async def parking_fines(
    ctx: RequestContext, citizen_id: str
) -> tuple[list[PenaltyNotice], list[LegacyError]]:
    """Notices from every council that holds any, and one error per council that failed."""
    rows, errors = _flatten(await load_source(ctx, citizen_id, "parking"))
    seen: set[tuple[str, str]] = set()
    notices = []
    for row in rows:
        notice = records.penalty_notice(citizen_id, row, ctx.today)
        if (notice.authority, notice.pcn) in seen:
            continue
        seen.add((notice.authority, notice.pcn))
        notices.append(notice)
    notices.sort(key=lambda n: (n.issued_at is None, n.issued_at), reverse=False)
    unique_errors = list({(e.service, e.code): e for e in errors}.values())
    return notices, unique_errors
