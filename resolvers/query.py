"""Root fields: who the caller is, citizen look-ups, and global object ids."""

from __future__ import annotations

import base64
from typing import Any

from resolvers import citizen as fetch
from resolvers.authz import check_citizen_access, require_caseworker
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, InvalidId, InvalidInput, NotFound, Unauthenticated
from resolvers.ids import decode_id

__all__ = ["MAX_PAGE_SIZE", "citizen_id_from_global", "page", "resolve_me", "resolve_node"]

MAX_PAGE_SIZE = 100


def resolve_me(ctx: RequestContext) -> str:
    """The citizen id of the signed-in citizen."""
    principal = ctx.principal
    if principal is None:
        raise Unauthenticated("sign in to see your records")
    if principal.role != "citizen" or not principal.citizen_id:
        raise Forbidden("`me` is for signed-in citizens")
    return str(principal.citizen_id)


async def ensure_citizen(ctx: RequestContext, citizen_id: str) -> None:
    check_citizen_access(ctx.principal, citizen_id)
    if await ctx.profiles.load(citizen_id) is None:
        raise NotFound("no citizen has this id")


def citizen_id_from_global(global_id: str) -> str:
    type_name, citizen_id, local = decode_id(global_id)
    if type_name != "Citizen" or local is not None:
        raise InvalidId("the id is not a citizen's id")
    return citizen_id


def _cursor(citizen_id: str) -> str:
    return base64.urlsafe_b64encode(f"cursor:{citizen_id}".encode()).decode().rstrip("=")


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError as exc:
        raise InvalidInput("`after` is not a cursor from this API") from exc
    if not raw.startswith("cursor:"):
        raise InvalidInput("`after` is not a cursor from this API")
    return raw[len("cursor:") :]


async def page(
    ctx: RequestContext, first: int, after: str | None
) -> tuple[list[tuple[str, str]], bool]:
    """Citizen ids with their cursors, and whether more follow."""
    require_caseworker(ctx.principal)
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise InvalidInput(f"`first` must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    ids, has_next = await ctx.index.page(first, _after(after))
    return [(cid, _cursor(cid)) for cid in ids], has_next


async def resolve_node(ctx: RequestContext, global_id: str) -> tuple[str, str, Any]:
    """Return ``(type, citizen_id, object-or-None)`` for a global id the caller may read."""
    type_name, citizen_id, local = decode_id(global_id)
    check_citizen_access(ctx.principal, citizen_id)
    if type_name == "Citizen" and local is None:
        await ensure_citizen(ctx, citizen_id)
        return type_name, citizen_id, None
    if local is None:
        raise InvalidId("the id is not valid")
    found: Any = None
    if type_name == "Passport":
        p = await fetch.passport(ctx, citizen_id)
        found = p if p is not None and p.number == local else None
    elif type_name == "DrivingLicence":
        lic = await fetch.driving_licence(ctx, citizen_id)
        found = lic if lic is not None and lic.number == local else None
    elif type_name == "Vehicle":
        found = next(
            (v for v in await fetch.vehicles(ctx, citizen_id) if v.registration == local), None
        )
    elif type_name == "BenefitClaim":
        claims = await fetch.benefit_claims(ctx, citizen_id) or []
        found = next((c for c in claims if c.reference == local), None)
    elif type_name == "PenaltyNotice":
        notices, _ = await fetch.parking_fines(ctx, citizen_id)
        found = next((n for n in notices if n.pcn == local), None)
    else:
        raise InvalidId("the id is not valid")
    if found is None:
        raise NotFound("no object has this id")
    return type_name, citizen_id, found
