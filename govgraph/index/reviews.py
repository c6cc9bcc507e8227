"""Caseworkers' changes to the index: link a key by hand, confirm or reject an open review.

Each function runs inside the caller's transaction. A review is decided once: its status moves
from ``open`` to ``confirmed`` or ``rejected`` only if it is still open, so two caseworkers
deciding the same review at once cannot both succeed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.index.tables import citizens, links, reviews
from govgraph.index.types import ACTIVE, WITHDRAWN, Link, Review
from govgraph.index.writes import upsert_links

__all__ = [
    "REVIEW_CONFIRMED",
    "REVIEW_OPEN",
    "REVIEW_REJECTED",
    "REVIEW_RESOLVED",
    "decide_review",
    "link_key",
    "review_from_row",
]

REVIEW_OPEN = "open"
REVIEW_CONFIRMED = "confirmed"
"""A caseworker linked the key to the candidate's citizen."""
REVIEW_REJECTED = "rejected"
"""A caseworker decided the key and the candidate are different people."""
REVIEW_RESOLVED = "resolved"
"""Closed because the key was linked by hand some other way."""


def review_from_row(r: Row[Any]) -> Review:
    created = r.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Review(
        source=r.source,
        key=r.key,
        candidate_source=r.candidate_source,
        candidate_key=r.candidate_key,
        candidate_citizen_id=r.candidate_citizen_id,
        score=r.score,
        reason=r.reason,
        model_version=r.model_version,
        created_at=created,
        status=r.status,
        id=r.id,
    )


async def decide_review(conn: AsyncConnection, review_id: int, status: str) -> bool:
    """Move an open review to ``status``; ``False`` if it is not open (or does not exist)."""
    result = await conn.execute(
        update(reviews)
        .where(reviews.c.id == review_id, reviews.c.status == REVIEW_OPEN)
        .values(status=status)
    )
    return bool(result.rowcount == 1)


async def link_key(
    conn: AsyncConnection,
    citizen_id: str,
    source: str,
    key: str,
    now: datetime,
    model_version: str,
) -> None:
    """Link ``source``/``key`` to ``citizen_id`` by hand: the key's other active links are
    withdrawn (a citizen left with no active link becomes dormant) and its open reviews are
    closed as resolved."""
    held_by = select(links.c.citizen_id).where(
        links.c.source == source, links.c.key == key, links.c.status == ACTIVE
    )
    previous = {row[0] for row in (await conn.execute(held_by)).all()} - {citizen_id}
    await conn.execute(
        update(links)
        .where(links.c.source == source, links.c.key == key, links.c.status == ACTIVE)
        .values(status=WITHDRAWN, withdrawn_at=now)
    )
    link = Link(citizen_id, source, key, "caseworker", 1.0, now, model_version)
    await upsert_links(conn, [link], now)
    await conn.execute(
        update(reviews)
        .where(reviews.c.source == source, reviews.c.key == key, reviews.c.status == REVIEW_OPEN)
        .values(status=REVIEW_RESOLVED)
    )
    for cid in sorted(previous):
        still = select(func.count()).where(links.c.citizen_id == cid, links.c.status == ACTIVE)
        if (await conn.execute(still)).scalar_one() == 0:
            await conn.execute(
                update(citizens).where(citizens.c.citizen_id == cid).values(status="dormant")
            )
