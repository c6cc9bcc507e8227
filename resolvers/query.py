"""Root fields: who the caller is, citizen look-ups, and global object ids."""

from __future__ import annotations

from typing import Any

from resolvers import address_change as moves
from resolvers import declared, linkage, views
from resolvers.authz import (
    ITEM_VIEWS,
    check_citizen_access,
    department_of_item,
    require_caseworker,
)
from resolvers.connections import decode_cursor, encode_cursor, page_args
from resolvers.context import RequestContext
from resolvers.errors import Forbidden, InvalidId, NotFound, Unauthenticated
from resolvers.ids import decode_id
from schema.declared import is_declared_node

__all__ = [
    "MAX_PAGE_SIZE",
    "citizen_id_from_global",
    "ensure_me",
    "page",
    "resolve_me",
    "resolve_node",
]

MAX_PAGE_SIZE = 100


def resolve_me(ctx: RequestContext) -> str:
    """The citizen id of the signed-in citizen."""
    principal = ctx.principal
    if principal is None:
        raise Unauthenticated("sign in to see your records")
    if principal.role != "citizen" or not principal.citizen_id:
        raise Forbidden("`me` is for signed-in citizens")
    return str(principal.citizen_id)


async def ensure_me(ctx: RequestContext) -> str:
    """The signed-in citizen's id, once the index is known to hold them (``NOT_FOUND`` if not).

    The check is not recorded as a read of the citizen's profile (the same index read brings
    their links, which the fields under ``me`` use next): a citizen who is not held
    leaves nothing in the access ledger, and one who is gets an entry only for what is read.
    """
    citizen_id = resolve_me(ctx)
    if not await ctx.held(citizen_id):
        raise NotFound("the signed-in citizen is not in the citizen index")
    return citizen_id


async def ensure_citizen(ctx: RequestContext, citizen_id: str) -> None:
    check_citizen_access(ctx.principal, citizen_id)
    if await ctx.profiles.load(citizen_id) is None:
        raise NotFound("no citizen has this id")


def citizen_id_from_global(global_id: str) -> str:
    type_name, citizen_id, local = decode_id(global_id)
    if type_name != "Citizen" or local is not None:
        raise InvalidId("the id is not a citizen's id")
    return citizen_id


_CURSOR_KIND = "cursor"


async def page(
    ctx: RequestContext,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> tuple[list[tuple[str, str]], bool, bool]:
    """Citizen ids with their cursors, and whether more lie before and after them."""
    require_caseworker(ctx.principal)
    args = page_args(first, after, last, before, maximum=MAX_PAGE_SIZE)
    found = await ctx.index.citizen_window(
        first=args.first,
        after=decode_cursor(args.after, _CURSOR_KIND, "after"),
        last=args.last,
        before=decode_cursor(args.before, _CURSOR_KIND, "before"),
    )
    rows = [(cid, encode_cursor(_CURSOR_KIND, cid)) for cid in found.rows]
    return rows, found.has_previous, found.has_next


async def resolve_node(ctx: RequestContext, global_id: str) -> tuple[str, str, Any]:
    """Return ``(type, citizen_id-or-review-number, object-or-None)`` for a global id the
    caller may read, under the same rules as the field that first gave the object out."""
    if moves.is_change_id(global_id):
        change = await moves.address_change(ctx, global_id)
        return "AddressChange", change.citizen_id, change
    type_name, citizen_id, local = decode_id(global_id)
    if type_name == "LinkReview":
        if local is not None or not citizen_id.isdigit() or len(citizen_id) > 18:
            raise InvalidId("the id is not valid")
        return type_name, citizen_id, await linkage.review(ctx, int(citizen_id))
    check_citizen_access(ctx.principal, citizen_id)
    if type_name == "AddressChange":
        return type_name, citizen_id, await moves.address_change(ctx, global_id)
    if type_name == "Citizen" and local is None:
        await ensure_citizen(ctx, citizen_id)
        return type_name, citizen_id, None
    if local is None:
        raise InvalidId("the id is not valid")
    if type_name in ITEM_VIEWS:
        if department_of_item(type_name, local) is None:
            raise InvalidId("the id is not valid")
        found = await views.item_node(ctx, type_name, citizen_id, local)
    elif is_declared_node(type_name):
        found = await declared.declared_node(ctx, type_name, citizen_id, local)
    else:
        raise InvalidId("the id is not valid")
    if found is None:
        raise NotFound("no object has this id")
    return type_name, citizen_id, found
