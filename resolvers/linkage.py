"""Caseworkers and the citizen index: a citizen's links, the review queue, review decisions.

Only caseworkers with an allowed purpose get here (the field policy refuses everyone else
first; each function checks again). Department keys never leave the gateway whole: responses
carry :func:`mask_key`. Every citizen whose links are read or changed is noted for the access
ledger under the ``linkage`` source, so the citizen can see it in ``accessLog``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from govgraph.index import CitizenIndexError, Window
from resolvers.authz import check_group, require_caseworker
from resolvers.connections import decode_cursor, page_args
from resolvers.context import RequestContext
from resolvers.errors import ApiError, InvalidId, InvalidInput, NotFound
from resolvers.loader import BatchLoader
from schema.linkage import encode_review_id, mask_key

__all__ = [
    "LEDGER_SOURCE",
    "MAX_REVIEW_PAGE",
    "IndexUnavailable",
    "ReviewAlreadyResolved",
    "ReviewNotLinkable",
    "ReviewPage",
    "citizen_links",
    "decode_review_id",
    "encode_review_id",
    "mask_key",
    "resolve_review",
    "review",
    "review_page",
]

LEDGER_SOURCE = "linkage"
"""The source name the access ledger records for reads and changes of a citizen's links."""
MAX_REVIEW_PAGE = 100


class ReviewAlreadyResolved(ApiError):
    """The review was already confirmed, rejected or closed; nothing was changed."""

    code = "REVIEW_ALREADY_RESOLVED"


class ReviewNotLinkable(ApiError):
    """The review's candidate record is no longer linked to any citizen; nothing was changed."""

    code = "REVIEW_NOT_LINKABLE"


class IndexUnavailable(ApiError):
    """The citizen index cannot be read or written just now; nothing was changed."""

    code = "SERVICE_UNAVAILABLE"


class ReviewIndex(Protocol):
    """What these resolvers need of the citizen index."""

    async def links_for(self, citizen_ids: Sequence[str]) -> dict[str, list[Any]]: ...

    async def citizens_for(self, source: str, keys: Sequence[str]) -> dict[str, str]: ...

    async def review_window(
        self,
        *,
        first: int | None,
        after: int | None = None,
        last: int | None = None,
        before: int | None = None,
    ) -> Window[Any]: ...

    async def review(self, review_id: int) -> Any: ...

    async def confirm_review(self, review_id: int, citizen_id: str) -> bool: ...

    async def reject_review(self, review_id: int) -> bool: ...


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """One page of the open review queue."""

    reviews: list[Any]
    has_previous: bool
    has_next: bool


def decode_review_id(global_id: str) -> int:
    """The index's review id from a global id, or :class:`InvalidId`."""
    if not global_id or len(global_id) > 64:
        raise InvalidId("`id` is not a link review's id")
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidId("`id` is not a link review's id") from exc
    kind, _, number = raw.partition(":")
    if kind != "LinkReview" or not number.isdigit():
        raise InvalidId("`id` is not a link review's id")
    return int(number)


def _index(ctx: RequestContext) -> ReviewIndex:
    index: ReviewIndex = ctx.index  # type: ignore[assignment]
    return index


async def citizen_links(ctx: RequestContext, citizen_id: str) -> list[Any]:
    """The citizen's active links (caseworkers with an allowed purpose only)."""
    problem = check_group(ctx.principal, "linkage")
    if problem is not None:
        raise problem
    require_caseworker(ctx.principal)
    found = await _link_loader(ctx).load(citizen_id)
    ctx.note_access(citizen_id, LEDGER_SOURCE)
    return found


def _link_loader(ctx: RequestContext) -> BatchLoader[str, list[Any]]:
    """The request's loader of citizens' full links (one index read per batch of citizens),
    made on first use and kept on the request's context."""
    loader: BatchLoader[str, list[Any]] | None = ctx.link_details
    if loader is None:
        index = _index(ctx)

        async def batch(citizen_ids: list[str]) -> list[list[Any]]:
            found = await index.links_for(citizen_ids)
            return [list(found.get(cid, [])) for cid in citizen_ids]

        loader = BatchLoader(batch, batch=ctx.batch_loads)
        ctx.link_details = loader
    return loader


async def review_page(
    ctx: RequestContext,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> ReviewPage:
    """Open reviews in the order they were raised: the first ``first`` after cursor ``after``
    or the last ``last`` before cursor ``before`` (a cursor is a review's global id)."""
    require_caseworker(ctx.principal)
    args = page_args(first, after, last, before, maximum=MAX_REVIEW_PAGE)
    found = await _index(ctx).review_window(
        first=args.first,
        after=_review_cursor(args.after, "after"),
        last=args.last,
        before=_review_cursor(args.before, "before"),
    )
    for review in found.rows:
        if review.candidate_citizen_id:
            ctx.note_access(review.candidate_citizen_id, LEDGER_SOURCE)
    return ReviewPage(reviews=found.rows, has_previous=found.has_previous, has_next=found.has_next)


def _review_cursor(cursor: str | None, argument: str) -> int | None:
    key = decode_cursor(cursor, "LinkReview", argument)
    if key is None:
        return None
    if not key.isdigit() or len(key) > 18:
        raise InvalidInput(f"`{argument}` is not a cursor from this API")
    return int(key)


async def review(ctx: RequestContext, review_id: int) -> Any:
    """One review by its index id, open or decided (caseworkers with the linkage purpose)."""
    require_caseworker(ctx.principal)
    problem = check_group(ctx.principal, "linkage")
    if problem is not None:
        raise problem
    found = await _index(ctx).review(review_id)
    if found is None:
        raise NotFound("no link review has this id")
    if found.candidate_citizen_id:
        ctx.note_access(found.candidate_citizen_id, LEDGER_SOURCE)
    return found


async def resolve_review(
    ctx: RequestContext, global_id: str, decision: Literal["confirm", "reject"]
) -> tuple[Any, str | None]:
    """Confirm (link the review's key to the candidate's citizen) or reject an open review.

    Returns the review as it now stands and, when confirmed, the citizen its key is now
    linked to. The candidate's citizen is the one its record is linked to now (the index may
    have been relinked since the review was raised).
    """
    require_caseworker(ctx.principal)
    review_id = decode_review_id(global_id)
    try:
        return await _decide(ctx, review_id, decision)
    except CitizenIndexError as exc:
        raise IndexUnavailable("the citizen index cannot be changed just now") from exc


async def _decide(
    ctx: RequestContext, review_id: int, decision: Literal["confirm", "reject"]
) -> tuple[Any, str | None]:
    index = _index(ctx)
    review = await index.review(review_id)
    if review is None:
        raise NotFound("no link review has this id")
    if review.status != "open":
        raise ReviewAlreadyResolved(f"the link review is already {review.status}")
    if decision == "reject":
        if not await index.reject_review(review_id):
            raise ReviewAlreadyResolved("the link review was resolved by someone else just now")
        if review.candidate_citizen_id:
            ctx.note_access(review.candidate_citizen_id, LEDGER_SOURCE)
        return await index.review(review_id), None
    current = await index.citizens_for(review.candidate_source, [review.candidate_key])
    target = current.get(review.candidate_key) or review.candidate_citizen_id
    if not target:
        raise ReviewNotLinkable("the candidate record is not linked to a citizen")
    held_by = await index.citizens_for(review.source, [review.key])
    if not await index.confirm_review(review_id, target):
        raise ReviewAlreadyResolved("the link review was resolved by someone else just now")
    ctx.note_access(target, LEDGER_SOURCE)
    for previous in held_by.values():
        if previous != target:
            ctx.note_access(previous, LEDGER_SOURCE)
    return await index.review(review_id), target
