"""``Citizen.accessLog``: the citizen reads who read their data, from the access ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from govgraph.ledger.store import LedgerError
from resolvers.authz import check_group
from resolvers.context import RequestContext
from resolvers.errors import ApiError, Forbidden, InvalidInput
from schema.access import AccessorRole, AccessRecord
from schema.common import department_of

__all__ = ["MAX_ACCESS_LOG", "LedgerUnavailable", "access_log"]

MAX_ACCESS_LOG = 200


class LedgerUnavailable(ApiError):
    """The access ledger cannot be read just now."""

    code = "SERVICE_UNAVAILABLE"


def _record(rec: Any) -> AccessRecord:
    entry = rec.entry
    return AccessRecord(
        at=datetime.fromisoformat(entry.at),
        accessor=entry.actor,
        role=AccessorRole(entry.role.upper()),
        purpose=entry.purpose,
        departments=[d for s in entry.sources if (d := department_of(s)) is not None],
        field_groups=list(entry.field_groups),
        request_id=entry.request_id,
    )


async def access_log(
    ctx: RequestContext, citizen_id: str, first: int, include_own: bool
) -> list[AccessRecord]:
    """The newest ``first`` reads of the citizen's data (only the citizen may ask)."""
    principal = ctx.principal
    problem = check_group(principal, "access_log")
    if problem is not None:
        raise problem
    if principal is None or principal.citizen_id != citizen_id:
        raise Forbidden("only the citizen may read who read their data")
    if not 1 <= first <= MAX_ACCESS_LOG:
        raise InvalidInput(f"`first` must be between 1 and {MAX_ACCESS_LOG}, got {first}")
    ledger = ctx.ledger
    if ledger is None:
        raise LedgerUnavailable("the access log is not available")
    try:
        records = await ledger.for_citizen(
            citizen_id, limit=first, exclude_roles=() if include_own else ("citizen",)
        )
    except LedgerError as exc:
        raise LedgerUnavailable("the access log cannot be read just now") from exc
    return [_record(r) for r in records]
