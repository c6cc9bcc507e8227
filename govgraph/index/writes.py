"""The citizen index's write side: one linkage run's changes in one transaction, in chunks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.index.tables import citizens, links, reviews
from govgraph.index.types import ACTIVE, WITHDRAWN, CitizenProfile, IndexChanges, Link

__all__ = ["apply_changes", "profile_values", "upsert_links"]

_CHUNK = 5000

_LINK_MATCH = and_(
    links.c.citizen_id == bindparam("b_citizen_id"),
    links.c.source == bindparam("b_source"),
    links.c.key == bindparam("b_key"),
)


def profile_values(p: CitizenProfile, now: datetime) -> dict[str, Any]:
    return {
        "citizen_id": p.citizen_id,
        "created_at": p.created_at or now,
        "given_name": p.given_name,
        "middle_names": p.middle_names,
        "surname": p.surname,
        "date_of_birth": p.date_of_birth,
        "address_lines": "\n".join(p.address_lines),
        "town": p.town,
        "postcode": p.postcode,
        "profile_source": p.source,
        "status": ACTIVE,
    }


def _chunks(rows: list[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    for i in range(0, len(rows), _CHUNK):
        yield rows[i : i + _CHUNK]


def _link_values(link: Link, now: datetime) -> dict[str, Any]:
    return {
        "citizen_id": link.citizen_id,
        "source": link.source,
        "key": link.key,
        "method": link.method,
        "score": link.score,
        "linked_at": link.linked_at,
        "model_version": link.model_version,
        "status": link.status,
        "withdrawn_at": now if link.status == WITHDRAWN else None,
    }


async def upsert_links(conn: AsyncConnection, new: list[Link], now: datetime) -> None:
    """Insert links; a (citizen, source, key) that exists already is overwritten instead."""
    existing: set[tuple[str, str, str]] = set()
    cids = sorted({link.citizen_id for link in new})
    for i in range(0, len(cids), _CHUNK):
        stmt = select(links.c.citizen_id, links.c.source, links.c.key).where(
            links.c.citizen_id.in_(cids[i : i + _CHUNK])
        )
        existing.update((r[0], r[1], r[2]) for r in (await conn.execute(stmt)).all())
    fresh = [_link_values(x, now) for x in new if x.link_key not in existing]
    for chunk in _chunks(fresh):
        await conn.execute(insert(links), chunk)
    await _update_links(conn, [x for x in new if x.link_key in existing], now)


async def _update_links(conn: AsyncConnection, changed: list[Link], now: datetime) -> None:
    rows = [
        {
            "b_citizen_id": x.citizen_id,
            "b_source": x.source,
            "b_key": x.key,
            "method": x.method,
            "score": x.score,
            "linked_at": x.linked_at,
            "model_version": x.model_version,
            "status": x.status,
            "withdrawn_at": now if x.status == WITHDRAWN else None,
        }
        for x in changed
    ]
    for chunk in _chunks(rows):
        await conn.execute(update(links).where(_LINK_MATCH), chunk)


async def _decided_pairs(conn: AsyncConnection) -> set[tuple[str, str, str, str]]:
    """Record pairs a caseworker confirmed or rejected, both ways round: not raised again."""
    stmt = select(
        reviews.c.source, reviews.c.key, reviews.c.candidate_source, reviews.c.candidate_key
    ).where(reviews.c.status.in_(("confirmed", "rejected")))
    pairs: set[tuple[str, str, str, str]] = set()
    for s, k, cs, ck in (await conn.execute(stmt)).all():
        pairs.update({(s, k, cs, ck), (cs, ck, s, k)})
    return pairs


async def _delete_open_reviews(conn: AsyncConnection, keys: list[tuple[str, str]]) -> None:
    """Delete the open reviews naming one of ``keys`` as record or candidate."""
    by_source: dict[str, list[str]] = {}
    for source_name, key_value in keys:
        by_source.setdefault(source_name, []).append(key_value)
    columns = (
        (reviews.c.source, reviews.c.key),
        (reviews.c.candidate_source, reviews.c.candidate_key),
    )
    for source_name, values in by_source.items():
        for i in range(0, len(values), _CHUNK):
            part = values[i : i + _CHUNK]
            for source_column, key_column in columns:
                await conn.execute(
                    delete(reviews).where(
                        reviews.c.status == "open",
                        source_column == source_name,
                        key_column.in_(part),
                    )
                )


async def apply_changes(conn: AsyncConnection, changes: IndexChanges, now: datetime) -> None:
    for chunk in _chunks([profile_values(p, now) for p in changes.new_citizens]):
        await conn.execute(insert(citizens), chunk)
    profile_rows = [
        {f"b_{k}" if k == "citizen_id" else k: v for k, v in profile_values(p, now).items()}
        for p in changes.profile_updates
    ]
    for row in profile_rows:
        row.pop("created_at")
    stmt = update(citizens).where(citizens.c.citizen_id == bindparam("b_citizen_id"))
    for chunk in _chunks(profile_rows):
        await conn.execute(stmt, chunk)
    dormant = [{"b_citizen_id": cid, "status": "dormant"} for cid in changes.dormant_citizens]
    for chunk in _chunks(dormant):
        await conn.execute(stmt, chunk)
    withdrawn = [
        {"b_citizen_id": c, "b_source": s, "b_key": k, "status": WITHDRAWN, "withdrawn_at": now}
        for c, s, k in changes.withdrawals
    ]
    for chunk in _chunks(withdrawn):
        await conn.execute(update(links).where(_LINK_MATCH), chunk)
    await upsert_links(conn, changes.new_links, now)
    await _update_links(conn, changes.link_updates, now)
    if changes.reviews is not None:
        if changes.reviews_for is None:
            await conn.execute(delete(reviews).where(reviews.c.status == "open"))
        else:
            await _delete_open_reviews(conn, changes.reviews_for)
        decided = await _decided_pairs(conn)
        rows = [
            {
                "source": r.source,
                "key": r.key,
                "candidate_source": r.candidate_source,
                "candidate_key": r.candidate_key,
                "candidate_citizen_id": r.candidate_citizen_id,
                "score": r.score,
                "reason": r.reason[:400],
                "model_version": r.model_version,
                "created_at": r.created_at or now,
                "status": "open",
            }
            for r in changes.reviews
            if (r.source, r.key, r.candidate_source, r.candidate_key) not in decided
        ]
        for chunk in _chunks(rows):
            await conn.execute(insert(reviews), chunk)
