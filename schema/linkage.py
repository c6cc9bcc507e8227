"""Linkage for caseworkers: how a citizen's records were linked, and the review queue.

Department keys are never shown whole: each comes masked to its last three characters.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal

import strawberry
from strawberry.types import Info

from govgraph.globalids import encode_id
from schema.common import Department, Node, PageInfo, department_of
from schema.handlers import handlers

__all__ = [
    "CitizenLink",
    "LinkReview",
    "LinkReviewConnection",
    "LinkReviewDecision",
    "LinkReviewEdge",
    "LinkReviewResolution",
    "LinkReviewStatus",
    "LinkageMutation",
    "citizen_links_of",
    "department_of",
    "encode_review_id",
    "link_review_page",
    "mask_key",
]

_SHOWN = 3
_MASK = "*****"


def mask_key(key: str) -> str:
    """A department key with all but its last three characters hidden (all of a short one);
    the mask has a fixed length so it does not reveal the key's."""
    if len(key) <= 2 * _SHOWN:
        return _MASK
    return _MASK + key[-_SHOWN:]


def encode_review_id(review_id: int) -> str:
    """The opaque global id of a review."""
    return base64.urlsafe_b64encode(f"LinkReview:{review_id}".encode()).decode().rstrip("=")


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@strawberry.type(
    description="One department record linked to the citizen: where it is held, how and how "
    "confidently the link was made (caseworkers only)."
)
class CitizenLink:
    department: Department = strawberry.field(description="The department holding the record.")
    method: str = strawberry.field(
        description="How the link was made: `exact:nino`, `exact:licence`, "
        "`exact:surname_dob_postcode`, `exact:vrm` (a shared identifier or exact identity), "
        "`probabilistic` (scored by the linkage model) or `caseworker` (decided by hand)."
    )
    score: float = strawberry.field(
        description="Confidence in the link, 0 to 1 (1 for exact rules and caseworkers)."
    )
    linked_at: datetime = strawberry.field(description="When the link was made (UTC).")
    model_version: str = strawberry.field(
        description="Version of the linkage rules and model that made it (`caseworker` for a "
        "link made by hand)."
    )
    masked_key: str = strawberry.field(
        description="The department's key for the record, all but the last three characters hidden."
    )


def citizen_links_of(links: Sequence[Any]) -> list[CitizenLink]:
    """The GraphQL view of a citizen's links from the index (departments' sources only)."""
    out = []
    for link in links:
        department = department_of(link.source)
        if department is None:
            continue
        out.append(
            CitizenLink(
                department=department,
                method=link.method,
                score=link.score,
                linked_at=_utc(link.linked_at),
                model_version=link.model_version,
                masked_key=mask_key(link.key),
            )
        )
    return out


@strawberry.enum(description="Where a link review stands.")
class LinkReviewStatus(Enum):
    OPEN = strawberry.enum_value("open", description="Waiting for a caseworker.")
    CONFIRMED = strawberry.enum_value(
        "confirmed", description="A caseworker linked the record to the candidate's citizen."
    )
    REJECTED = strawberry.enum_value(
        "rejected", description="A caseworker decided they are different people."
    )
    RESOLVED = strawberry.enum_value(
        "resolved", description="Closed because the record was linked by hand another way."
    )


@strawberry.enum(description="A caseworker's decision on a link review.")
class LinkReviewDecision(Enum):
    CONFIRM = strawberry.enum_value(
        "confirm", description="Same person: link the record to the candidate's citizen."
    )
    REJECT = strawberry.enum_value(
        "reject", description="Different people: close the review, link nothing."
    )


@strawberry.type(
    description="A record the linker would not link on its own: it resembles a candidate "
    "record in another department but not surely enough (or too many candidates do). It "
    "stays unlinked until a caseworker confirms or rejects it (`resolveLinkReview`)."
)
class LinkReview(Node):
    department: Department | None = strawberry.field(
        description="The department holding the unlinked record."
    )
    masked_key: str = strawberry.field(
        description="That record's key, all but the last three characters hidden."
    )
    candidate_department: Department | None = strawberry.field(
        description="The department holding the candidate record."
    )
    candidate_masked_key: str = strawberry.field(
        description="The candidate record's key, all but the last three characters hidden."
    )
    candidate_citizen_id: strawberry.ID | None = strawberry.field(
        description="Global id of the citizen the candidate record belonged to when the "
        "review was raised (usable with `citizen(id:)`), if any."
    )
    score: float = strawberry.field(
        description="The linkage model's probability that both records are the same person "
        "(0 when the reason is not a score, such as several equally good candidates)."
    )
    reason: str = strawberry.field(description="Why the linker would not decide.")
    model_version: str = strawberry.field(description="Version of the model that raised it.")
    raised_at: datetime | None = strawberry.field(description="When it was raised (UTC).")
    status: LinkReviewStatus = strawberry.field(description="Where the review stands.")

    @classmethod
    def of(cls, review: Any) -> LinkReview:
        cid = review.candidate_citizen_id
        return cls(
            id=strawberry.ID(encode_review_id(review.id)),
            department=department_of(review.source),
            masked_key=mask_key(review.key),
            candidate_department=department_of(review.candidate_source),
            candidate_masked_key=mask_key(review.candidate_key),
            candidate_citizen_id=strawberry.ID(encode_id("Citizen", cid)) if cid else None,
            score=review.score,
            reason=review.reason,
            model_version=review.model_version,
            raised_at=_utc(review.created_at) if review.created_at else None,
            status=LinkReviewStatus(review.status),
        )


@strawberry.type(description="A link review in a page of reviews.")
class LinkReviewEdge:
    cursor: str = strawberry.field(description="Cursor of this review.")
    node: LinkReview = strawberry.field(description="The review.")


@strawberry.type(description="A page of open link reviews, oldest first (Relay connection).")
class LinkReviewConnection:
    edges: list[LinkReviewEdge] = strawberry.field(description="Reviews on this page.")
    page_info: PageInfo = strawberry.field(
        description="Where this page starts and ends, and whether more lie on either side."
    )


async def link_review_page(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> LinkReviewConnection:
    """``Query.linkReview``: one page of the open review queue."""
    page = await handlers(info).review_page(info.context, first, after, last, before)
    edges = [
        LinkReviewEdge(cursor=encode_review_id(r.id), node=LinkReview.of(r)) for r in page.reviews
    ]
    return LinkReviewConnection(
        edges=edges,
        page_info=PageInfo.of(
            [e.cursor for e in edges], has_previous=page.has_previous, has_next=page.has_next
        ),
    )


@strawberry.type(description="The outcome of a caseworker's decision on a link review.")
class LinkReviewResolution:
    review: LinkReview = strawberry.field(description="The review, as it now stands.")
    citizen_id: strawberry.ID | None = strawberry.field(
        description="Global id of the citizen the record is now linked to (when confirmed)."
    )


@strawberry.type(description="Caseworkers' decisions on the citizen index.")
class LinkageMutation:
    @strawberry.mutation(
        description="Decide an open link review (caseworkers only, with a stated purpose; "
        "recorded in the access ledger of each citizen concerned). `CONFIRM` links the record "
        "to the citizen its candidate record is linked to now, moving it from any other "
        "citizen; `REJECT` closes the review and links nothing. Refusals are errors whose "
        "`extensions.code` says why: `NOT_FOUND` (no such review), `REVIEW_ALREADY_RESOLVED` "
        "(decided before), `REVIEW_NOT_LINKABLE` (the candidate record is no longer linked), "
        "`BAD_USER_INPUT` (not a review's id), `SERVICE_UNAVAILABLE` (the index cannot be "
        "changed just now); nothing is changed then."
    )
    async def resolve_link_review(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The review's id.")],
        decision: Annotated[
            LinkReviewDecision, strawberry.argument(description="Same person or not.")
        ],
    ) -> LinkReviewResolution:
        choice: Literal["confirm", "reject"] = (
            "confirm" if decision is LinkReviewDecision.CONFIRM else "reject"
        )
        review, citizen_id = await handlers(info).resolve_review(info.context, str(id), choice)
        return LinkReviewResolution(
            review=LinkReview.of(review),
            citizen_id=strawberry.ID(encode_id("Citizen", citizen_id)) if citizen_id else None,
        )
